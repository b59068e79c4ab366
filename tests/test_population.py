"""core.population_by_age and core.population (warehouse/sql/core/) run alone on hand-made census rows, no night:
wards as published, localities and the district as sums of their wards (the census's own LSOA and district rows
are not added in again)."""

from __future__ import annotations

import duckdb

from warehouse.models import CORE_DIR, sql_models


def test_localities_and_the_district_are_sums_of_their_wards() -> None:
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA staging; CREATE SCHEMA core")
        con.execute("SET VARIABLE district_code = 'E07000234'")
        con.execute("""CREATE TABLE staging.census_ts007a AS SELECT * FROM (VALUES
                       ('ward', 'W1', 'Aged 0 to 4 years', 0, 4, 100), ('ward', 'W1', 'Aged 85 years and over', 85,
                        NULL, 7),
                       ('ward', 'W2', 'Aged 0 to 4 years', 0, 4, 50), ('ward', 'W2', 'Aged 85 years and over', 85,
                        NULL, 3),
                       ('ward', 'W3', 'Aged 0 to 4 years', 0, 4, 20), ('ward', 'W3', 'Aged 85 years and over', 85,
                        NULL, 1),
                       ('lsoa', 'E01000001', 'Aged 0 to 4 years', 0, 4, 999),
                       ('district', 'E07000234', 'Aged 0 to 4 years', 0, 4, 9999))
                       t(area_type, area_code, age_band, age_from, age_to, residents)""")
        con.execute("""CREATE TABLE core.dim_ward AS SELECT * FROM (VALUES ('W1', 'L1'), ('W2', 'L1'), ('W3', 'L2'))
                       t(ward_code, locality_code)""")
        rows = con.execute(f"""SELECT area_type, area_code, age_band, age_from, age_to, residents
                               FROM ({sql_models(CORE_DIR)["population_by_age"]})""").fetchall()
    assert len(rows) == 12 and set(rows) == {
        ("ward", "W1", "Aged 0 to 4 years", 0, 4, 100), ("ward", "W1", "Aged 85 years and over", 85, None, 7),
        ("ward", "W2", "Aged 0 to 4 years", 0, 4, 50), ("ward", "W2", "Aged 85 years and over", 85, None, 3),
        ("ward", "W3", "Aged 0 to 4 years", 0, 4, 20), ("ward", "W3", "Aged 85 years and over", 85, None, 1),
        ("locality", "L1", "Aged 0 to 4 years", 0, 4, 150), ("locality", "L1", "Aged 85 years and over", 85, None, 10),
        ("locality", "L2", "Aged 0 to 4 years", 0, 4, 20), ("locality", "L2", "Aged 85 years and over", 85, None, 1),
        ("district", "E07000234", "Aged 0 to 4 years", 0, 4, 170),  # 100 + 50 + 20, not the census's 9,999
        ("district", "E07000234", "Aged 85 years and over", 85, None, 11)}


def test_residents_lsoas_and_wards_as_published_localities_and_the_district_as_sums_of_wards() -> None:
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA staging; CREATE SCHEMA core")
        con.execute("SET VARIABLE district_code = 'E07000234'")
        con.execute("""CREATE TABLE staging.census_ts001 AS SELECT * FROM (VALUES
                       ('lsoa', 'E01000001', 1500), ('lsoa', 'E01000002', 1700), ('lsoa', 'E01000003', 900),
                       ('ward', 'W1', 1500), ('ward', 'W2', 1700), ('ward', 'W3', 900))
                       t(area_type, area_code, usual_residents)""")
        con.execute("""CREATE TABLE core.dim_ward AS SELECT * FROM (VALUES ('W1', 'L1'), ('W2', 'L1'), ('W3', 'L2'))
                       t(ward_code, locality_code)""")
        rows = con.execute(f"""SELECT area_type, area_code, usual_residents, census_year
                               FROM ({sql_models(CORE_DIR)["population"]})""").fetchall()
    assert len(rows) == 9 and set(rows) == {
        ("lsoa", "E01000001", 1500, 2021), ("lsoa", "E01000002", 1700, 2021), ("lsoa", "E01000003", 900, 2021),
        ("ward", "W1", 1500, 2021), ("ward", "W2", 1700, 2021), ("ward", "W3", 900, 2021),
        ("locality", "L1", 3200, 2021), ("locality", "L2", 900, 2021),  # 1,500 + 1,700; 900
        ("district", "E07000234", 4100, 2021)}
