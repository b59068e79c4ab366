"""Census 2021 TS007A's age bands as ages (sources/census_ts007a/staging.sql), on a hand-made raw row, no night:
"Aged 4 years and under" is 0 to 4, "Aged 5 to 9 years" 5 to 9, "Aged 85 years and over" 85 with no upper age."""

from __future__ import annotations

import duckdb

from sources import CONTRACTS
from sources.census_ts007a.contract import AGE_COLUMNS, BANDS
from warehouse.db import ensure_schemas, prepare

TS007A = CONTRACTS["census_ts007a"]


def test_each_band_is_its_ages_and_its_residents() -> None:
    con = duckdb.connect()
    ensure_schemas(con)
    prepare(con)  # the key tests/conftest.py sets
    con.execute("CREATE TABLE core.dim_lsoa AS SELECT 'E01000001' AS lsoa_code")
    con.execute("CREATE TABLE core.dim_ward AS SELECT 'E05000001' AS ward_code")
    columns = ", ".join(f'"{c}" VARCHAR' for c in ["date", "geography", "geography code",
                                                    "Age: Total; measures: Value", *AGE_COLUMNS])
    con.execute(f"CREATE TABLE raw.census_ts007a ({columns}, _source_file VARCHAR, _file_sha256 VARCHAR, "
                "_row_number BIGINT)")
    # 18 bands holding 1, 2, ..., 18 residents: 171 in all. An LSOA with no one in its youngest band (0, 1, ..., 17:
    # 153 in all): a band of 0 is a count, not a missing or negative one.
    con.execute(f"INSERT INTO raw.census_ts007a VALUES ('2021', 'A ward', 'E05000001', '171', "
                f"{', '.join(repr(str(n)) for n in range(1, 19))}, 'f.csv', 'f', 1)")
    con.execute(f"INSERT INTO raw.census_ts007a VALUES ('2021', 'An LSOA', 'E01000001', '153', "
                f"{', '.join(repr(str(n)) for n in range(18))}, 'f.csv', 'f', 2)")
    staged = con.execute(f"SELECT area_code, age_band, area_type, age_from, age_to, residents, _reject_reason "
                         f"FROM ({TS007A.staging_sql()})").fetchall()
    lsoa = {band: rest for code, band, *rest in staged if code == "E01000001"}
    assert lsoa["Aged 4 years and under"] == ["lsoa", 0, 4, 0, None]
    assert {reason for *_, reason in lsoa.values()} == {None} and sum(r[3] for r in lsoa.values()) == 153
    rows = {band: rest for code, band, *rest in staged if code == "E05000001"}
    assert len(rows) == len(BANDS) == 18
    assert rows["Aged 4 years and under"] == ["ward", 0, 4, 1, None]
    assert rows["Aged 5 to 9 years"] == ["ward", 5, 9, 2, None]
    assert rows["Aged 80 to 84 years"] == ["ward", 80, 84, 17, None]
    assert rows["Aged 85 years and over"] == ["ward", 85, None, 18, None]
