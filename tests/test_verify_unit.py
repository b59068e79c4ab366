"""The `verifiable` recomputation (quality/verify.py) on hand-made observations, no night: each aggregation (a
count, a ratio, a median, a rate per 1,000 residents) recomputed by area type and compared with the built values;
a wrong, a missing and an unpublished value found; and rows that no longer trace to raw left out and counted."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from quality.measure_checks import verifiable
from quality.verify import mismatches_sql, traced_sql
from warehouse.catalogue import catalogue
from warehouse.db import ensure_schemas

MEASURES = catalogue().measures
# October: W1 (locality L1) two rows, W2 (L1) one on the 31st, one row with no ward, one with no date (left out);
# November: one row in W2. (event date, ward, numerator, denominator, observation)
OBSERVATIONS = """SELECT * FROM (VALUES
    (DATE '2026-10-03', 'W1', 1, 1, 4.0), (DATE '2026-10-20', 'W1', 0, 1, 10.0), (DATE '2026-10-31', 'W2', 1, 1, 6.0),
    (DATE '2026-10-15', NULL, 1, 1, 2.0), (NULL, 'W1', 1, 1, 99.0), (DATE '2026-11-01', 'W2', 1, 1, 8.0))
    t(event_date, ward_code, numerator, denominator, observation)"""
# Worked by hand. October: district 3 of 4 (observations 4, 10, 6, 2: median 5); W1 1 of 2 (median 7); W2 1 of 1
# (6); L1 = W1 + W2: 2 of 3 (median of 4, 10, 6: 6). November: 1 of 1 (8) in the district, W2 and L1.
# Residents: district 2,000, W1 1,000, W2 500, L1 1,500.
EXPECTED = {
    "contacts_received": {("2026-10-01", "district"): 3, ("2026-10-01", "W1"): 1, ("2026-10-01", "W2"): 1,
                          ("2026-10-01", "L1"): 2, ("2026-11-01", "district"): 1, ("2026-11-01", "W2"): 1,
                          ("2026-11-01", "L1"): 1},
    "failure_demand_pct": {("2026-10-01", "district"): 75.0, ("2026-10-01", "W1"): 50.0, ("2026-10-01", "W2"): 100.0,
                           ("2026-10-01", "L1"): 200 / 3, ("2026-11-01", "district"): 100.0,
                           ("2026-11-01", "W2"): 100.0, ("2026-11-01", "L1"): 100.0},
    "fly_tipping_clearance_days": {("2026-10-01", "district"): 5.0, ("2026-10-01", "L1"): 6.0,
                                   ("2026-11-01", "district"): 8.0, ("2026-11-01", "L1"): 8.0},
    # A ratio shown for the district only (no ward or locality join): 3 / 4 in October, 1 / 1 in November, scale 1.
    "benefits_new_claims_evidence_days": {("2026-10-01", "district"): 0.75, ("2026-11-01", "district"): 1.0},
    "crimes_per_1000": {("2026-10-01", "district"): 1.5, ("2026-10-01", "W1"): 1.0, ("2026-10-01", "W2"): 2.0,
                        ("2026-10-01", "L1"): 2000 / 1500, ("2026-11-01", "district"): 0.5,
                        ("2026-11-01", "W2"): 2.0, ("2026-11-01", "L1"): 1000 / 1500},
}
AREA_TYPES = {"district": "district", "W1": "ward", "W2": "ward", "L1": "locality"}


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_schemas(con)
    con.execute("SET VARIABLE district_code = 'district'")
    con.execute("CREATE TABLE core.dim_ward AS SELECT * FROM (VALUES ('W1', 'L1'), ('W2', 'L1')) t(ward_code, "
                "locality_code)")
    con.execute("""CREATE TABLE core.population AS SELECT * FROM (VALUES ('district', 'district', 2000),
                   ('ward', 'W1', 1000), ('ward', 'W2', 500), ('locality', 'L1', 1500))
                   t(area_type, area_code, usual_residents)""")
    for measure_id, values in EXPECTED.items():
        con.execute(f"""CREATE TABLE measures.{measure_id} (period_start DATE, area_type VARCHAR, area_code VARCHAR,
                        value DOUBLE, observations BIGINT)""")
        con.executemany(f"INSERT INTO measures.{measure_id} VALUES (?, ?, ?, ?, 1)",
                        [(start, AREA_TYPES[code], code, value) for (start, code), value in values.items()])
    return con


def _mismatches(con: duckdb.DuckDBPyConnection, measure_id: str) -> list[tuple]:
    return con.execute(mismatches_sql(MEASURES[measure_id], OBSERVATIONS)).fetchall()


@pytest.mark.parametrize("measure_id", sorted(EXPECTED))
def test_each_aggregation_recomputes_the_built_values(con, measure_id) -> None:
    assert _mismatches(con, measure_id) == []


def test_a_wrong_a_missing_and_an_unpublished_value_are_each_a_mismatch(con) -> None:
    con.execute("UPDATE measures.failure_demand_pct SET value = 74.9 WHERE area_type = 'district' AND "
                "period_start = '2026-10-01'")
    con.execute("DELETE FROM measures.failure_demand_pct WHERE area_code = 'W1'")
    con.execute("INSERT INTO measures.failure_demand_pct VALUES ('2026-11-01', 'ward', 'W1', 100, 1)")
    found = [(str(start), area, code, published, recomputed)
             for start, area, code, published, recomputed in _mismatches(con, "failure_demand_pct")]
    assert found == [("2026-11-01", "ward", "W1", 100.0, None),     # published, nothing behind it
                     ("2026-10-01", "district", "district", 74.9, 75.0),
                     ("2026-10-01", "ward", "W1", None, 50.0)]      # recomputed, not published


def test_a_zero_filled_count_is_not_a_mismatch_but_a_zero_filled_ratio_is_not_made_up(con) -> None:
    # November in W1: no records. A count publishes 0 there (zero-filled); a ratio publishes nothing.
    con.execute("INSERT INTO measures.contacts_received VALUES ('2026-11-01', 'ward', 'W1', 0, 0)")
    assert _mismatches(con, "contacts_received") == []
    con.execute("INSERT INTO measures.failure_demand_pct VALUES ('2026-11-01', 'ward', 'W1', 0, 0)")
    assert [r[2:] for r in _mismatches(con, "failure_demand_pct")] == [("W1", 0.0, None)]


def test_a_zero_filled_rate_is_0_where_the_population_is_known_and_no_figure_where_it_is_not(con) -> None:
    # November in W1: no crimes. W1's residents are known (1,000): the rate is 0, and a blank is a mismatch.
    con.execute("INSERT INTO measures.crimes_per_1000 VALUES ('2026-11-01', 'ward', 'W1', NULL, 0)")
    assert [r[2:] for r in _mismatches(con, "crimes_per_1000")] == [("W1", None, 0.0)]
    con.execute("UPDATE measures.crimes_per_1000 SET value = 0 WHERE area_code = 'W1' AND observations = 0")
    assert _mismatches(con, "crimes_per_1000") == []
    # Census held back (W1's residents unknown): no figure is right, and 0 would be made up.
    con.execute("DELETE FROM core.population WHERE area_code = 'W1'")
    con.execute("UPDATE measures.crimes_per_1000 SET value = NULL WHERE area_code = 'W1'")
    assert _mismatches(con, "crimes_per_1000") == []


def test_rows_that_no_longer_trace_to_raw_are_left_out_and_counted(con) -> None:
    con.execute("CREATE TABLE raw.crm_contacts (_file_sha256 VARCHAR, _row_number BIGINT)")
    con.execute("INSERT INTO raw.crm_contacts VALUES ('f1', 1), ('f1', 2)")
    con.execute("""INSERT INTO audit.loaded_files (source, file_name, file_path, file_sha256, rows_loaded, blank_rows,
                   loaded_at) VALUES ('crm_contacts', 'f1.csv', 'f1.csv', 'f1', 2, 0, '2026-11-01')""")
    con.execute("""CREATE TABLE core.fact_contacts AS SELECT * FROM (VALUES ('f1', 1, 'a'), ('f1', 2, 'b'),
                   ('f1', 3, 'c')) t(_file_sha256, _row_number, contact)""")
    measure = dataclasses.replace(MEASURES["contacts_received"], sql="SELECT contact FROM core.fact_contacts")
    sql, untraced = traced_sql(con, measure)
    assert untraced == 1  # row 3 of f1 is not in raw
    assert sorted(r[0] for r in con.execute(sql).fetchall()) == ["a", "b"]


def test_the_verifiable_check_passes_matching_values_and_fails_an_untraced_row(con) -> None:
    # The observations as a fact table with lineage: six rows of file f1, each in raw.
    con.execute(f"CREATE TABLE core.fact_obs AS SELECT *, 'f1' AS _file_sha256, row_number() OVER () AS _row_number "
                f"FROM ({OBSERVATIONS})")
    con.execute("CREATE TABLE raw.crm_contacts AS SELECT _file_sha256, _row_number FROM core.fact_obs")
    con.execute("""INSERT INTO audit.loaded_files (source, file_name, file_path, file_sha256, rows_loaded, blank_rows,
                   loaded_at) VALUES ('crm_contacts', 'f1.csv', 'f1.csv', 'f1', 6, 0, '2026-11-01')""")
    measure = dataclasses.replace(MEASURES["failure_demand_pct"], sql="SELECT * FROM core.fact_obs")
    outcome = verifiable(con, measure)
    assert (outcome.status, outcome.summary) == ("pass", "All 7 values recomputed from raw rows and matched.")
    # A fact row with no raw row behind it (left out of the recomputation), and one value built wrong.
    con.execute("INSERT INTO core.fact_obs VALUES ('2026-11-02', 'W2', 1, 1, 9.0, 'f1', 7)")
    con.execute("UPDATE measures.failure_demand_pct SET value = 74.9 WHERE area_type = 'district' AND "
                "period_start = '2026-10-01'")
    outcome = verifiable(con, measure)
    assert outcome.status == "fail" and outcome.rows_failed == 1 and outcome.problems == [
        "1 of 7 value(s) differ from a recomputation from raw rows.",
        "1 source row(s) do not trace back to a delivered raw row."]
    assert outcome.sample == [{"period_start": "2026-10-01", "area_type": "district", "area_code": "district",
                               "published": 74.9, "recomputed": 75.0}]  # the value built wrong, beside its own


def test_a_measure_reading_a_staging_table_is_traced_to_raw_too(con) -> None:
    con.execute("CREATE TABLE raw.crm_contacts (_file_sha256 VARCHAR, _row_number BIGINT)")
    con.execute("INSERT INTO raw.crm_contacts VALUES ('f1', 1)")
    con.execute("""INSERT INTO audit.loaded_files (source, file_name, file_path, file_sha256, rows_loaded, blank_rows,
                   loaded_at) VALUES ('crm_contacts', 'f1.csv', 'f1.csv', 'f1', 1, 0, '2026-11-01')""")
    con.execute("""CREATE TABLE staging.crm_contacts AS SELECT * FROM (VALUES ('f1', 1, 'a'), ('f1', 2, 'b'))
                   t(_file_sha256, _row_number, contact)""")
    measure = dataclasses.replace(MEASURES["contacts_received"], sql="SELECT contact FROM staging.crm_contacts")
    sql, untraced = traced_sql(con, measure)
    assert untraced == 1 and [r[0] for r in con.execute(sql).fetchall()] == ["a"]  # row 2 of f1 is not in raw


def test_two_lineage_tables_in_one_measure_are_each_traced_through_their_own_view(con) -> None:
    con.execute("CREATE TABLE raw.crm_contacts (_file_sha256 VARCHAR, _row_number BIGINT)")
    con.execute("INSERT INTO raw.crm_contacts VALUES ('f1', 1), ('f2', 1)")
    con.execute("""INSERT INTO audit.loaded_files (source, file_name, file_path, file_sha256, rows_loaded, blank_rows,
                   loaded_at) VALUES ('crm_contacts', 'f1.csv', 'f1.csv', 'f1', 1, 0, '2026-11-01'),
                   ('crm_contacts', 'f2.csv', 'f2.csv', 'f2', 1, 0, '2026-11-01')""")
    con.execute("CREATE TABLE core.fact_a AS SELECT * FROM (VALUES ('f1', 1, 'a1'), ('f1', 9, 'a9')) t(_file_sha256, "
                "_row_number, x)")
    con.execute("CREATE TABLE core.fact_b AS SELECT * FROM (VALUES ('f2', 1, 'b1')) t(_file_sha256, _row_number, x)")
    measure = dataclasses.replace(MEASURES["contacts_received"],
                                  sql="SELECT x FROM core.fact_a UNION ALL SELECT x FROM core.fact_b")
    sql, untraced = traced_sql(con, measure)
    assert untraced == 1 and sorted(r[0] for r in con.execute(sql).fetchall()) == ["a1", "b1"]  # a9 is not in raw
