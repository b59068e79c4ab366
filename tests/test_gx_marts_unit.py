"""Every Great Expectations rule on the marts (quality/gx_marts.py) triggered by a hand-made warehouse, no night:
a year of one count measure and one percentage with one fault planted per month, and dashboards and census totals
with one fault each. Which rule breaks, for which measure, on how many rows, was worked out from the plants below
(tests/test_quality_criteria.py runs the suites on a whole night's marts: Data Docs, reuse of unchanged verdicts).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pytest

from quality import gx_marts
from quality.gx_marts import (
    DASHBOARDS,
    Failure,
    MartReport,
    _named_columns,
    _prune_results,
    outcomes,
    validate_marts,
)
from tests.conftest import every_period_complete
from warehouse.catalogue import catalogue
from warehouse.db import ensure_schemas

DISTRICT = "E07000234"
# contacts_received (a count, by district, locality and ward; 0 or more; volume within 50 % of the median of up to
# 12 earlier months with at least 3 of them; at most 25 % not placed in a ward), month by month. A normal month:
# district 100 (100 records), wards W1 60 + W2 40, locality L1 100.
NORMAL = {"district": 100, "W1": 60, "W2": 40, "L1": 100}
PLANTS = {
    1: {"W2": -1},            # a negative count (value only; its numerator stays 40): accurate, value
    2: {},
    3: {},
    4: {"records": 151},      # 151 records against a median of 100 (Jan-Mar): reliable warn, volume_ratio
    # May missing: June is 2 months after April: timely warn, periods_since_previous
    6: {},
    7: {"W1": 70, "L1": 110},  # wards 110 > district 100: accurate, district >= ward; unplaced -10 %: warn
    8: {"L1": 90},            # locality 90 != wards 100: accurate, ward = locality
    9: {"W2": 10, "L1": 70},  # 30 % not placed in a ward (> 25 %): accurate warn, unplaced_share
    # One ward missing (the other has all 100): well_defined, areas_ward (1 of 2), on each of the month's 3 rows.
    10: {"W1": 100, "W2": None},
    # The district row twice: reliable, the key (2 rows); well_defined, areas_district (2), on the month's 5 rows.
    11: {"district twice": True},
    12: {"W2 code": None, "team": True},  # a ward without a code: well_defined, area_code; a team row: pairs
}


def _contacts_rows() -> list[tuple]:
    rows = []
    for month, plant in PLANTS.items():
        start = f"2026-{month:02d}-01"
        values = {**NORMAL, **{k: v for k, v in plant.items() if k in NORMAL}}
        records = plant.get("records", 100)
        rows.append(("district", DISTRICT, values["district"], values["district"], records))
        if plant.get("district twice"):
            rows.append(("district", DISTRICT, 100, 100, records))
        for ward in ("W1", "W2"):
            if values[ward] is None:
                continue
            code = None if ward == "W2" and "W2 code" in plant else ward
            numerator = 40 if (month, ward) == (1, "W2") else values[ward]
            rows.append(("ward", code, values[ward], numerator, None))
        rows.append(("locality", "L1", values["L1"], values["L1"], None))
        if plant.get("team"):
            rows.append(("team", "T1", 5, 5, None))
        rows = [r if len(r) == 6 else (start, *r) for r in rows]
    return [("contacts_received", start, area_type, code, value, numerator, records)
            for start, area_type, code, value, numerator, records in rows]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_schemas(con)
    con.execute("""CREATE TABLE core.dim_area AS SELECT * FROM (VALUES ('district', 'E07000234'), ('ward', 'W1'),
                   ('ward', 'W2'), ('locality', 'L1')) t(area_type, area_code)""")
    con.execute("CREATE TABLE core.dim_team AS SELECT 'T1' AS team_code")
    con.execute("""CREATE TABLE marts.measure_values (measure_id VARCHAR, period_start DATE, period_end DATE,
                   area_type VARCHAR, area_code VARCHAR, value DOUBLE, numerator DOUBLE, observations BIGINT)""")
    con.executemany("INSERT INTO marts.measure_values VALUES (?, ?, last_day(?::DATE), ?, ?, ?, ?, ?)",
                    [(m, start, start, *rest) for m, start, *rest in _contacts_rows()])
    # failure_demand_pct (a percentage, 0 to 100), district only, every month: 150 % in March, and one row
    # with no period.
    con.execute("""INSERT INTO marts.measure_values SELECT 'failure_demand_pct', m, last_day(m), 'district',
                   'E07000234', CASE WHEN month(m) = 3 THEN 150 ELSE 30 END, 30, 100
                   FROM (SELECT unnest(range(DATE '2026-01-01', DATE '2027-01-01', INTERVAL 1 MONTH))::DATE AS m)""")
    con.execute("""INSERT INTO marts.measure_values VALUES ('failure_demand_pct', NULL, NULL, 'district', 'E07000234',
                   30, 30, 100)""")
    every_period_complete(con)
    # Dashboards: the strategic one has a row without an owner and a repeated row; demographics a negative count,
    # a percentage over 100 and one below 0 (a value below 0 too), and a count and a percentage of 0 (allowed).
    # Census: LSOAs 5,999 residents, wards 6,000, the district 5,999.
    con.execute("""CREATE TABLE marts.dashboard_strategic AS SELECT * FROM (VALUES
                   ('contacts_received', DATE '2026-12-01', 'A Owner'), ('failure_demand_pct', DATE '2026-12-01', NULL),
                   ('contacts_received', DATE '2026-12-01', 'A Owner')) t(measure_id, period_start, owner_name)""")
    con.execute("""CREATE TABLE marts.dashboard_operational AS SELECT 'contacts_received' AS measure_id,
                   'ward' AS area_type, 'W1' AS area_code, DATE '2026-12-01' AS period_start,
                   'A Owner' AS owner_name""")
    con.execute("""CREATE TABLE marts.dashboard_demographics AS SELECT * FROM (VALUES
                   ('ward', 'W1', 'Usual residents', 3000.0, 'count'), ('ward', 'W2', 'Usual residents', -5.0, 'count'),
                   ('ward', 'W1', 'Aged 65 and over', 101.0, 'percent'), ('ward', 'W2', 'Aged 65 and over', 20.0,
                   'percent'), ('ward', 'W3', 'Usual residents', 0.0, 'count'),
                   ('ward', 'W3', 'Aged 65 and over', -1.0, 'percent'), ('ward', 'W4', 'Aged 65 and over', 0.0,
                   'percent'))
                   t(area_type, area_code, indicator, value, unit)""")
    con.execute("""CREATE TABLE core.population AS SELECT * FROM (VALUES ('lsoa', 'A', 2500), ('lsoa', 'B', 3499),
                   ('ward', 'W1', 3000), ('ward', 'W2', 3000), ('district', 'E07000234', 5999))
                   t(area_type, area_code, usual_residents)""")
    return con


def test_every_mart_expectation_is_triggered_by_the_fault_planted_for_it(con, tmp_path: Path) -> None:
    measures = [catalogue().measures[m] for m in ("contacts_received", "failure_demand_pct")]
    report = validate_marts(con, measures, tmp_path, DASHBOARDS, run_id="night-one-0000")
    found = sorted((f.mart.removeprefix("marts."), f.measure_id or "", f.criterion, f.severity, f.column,
                    f.unexpected) for f in report.failures)
    key = "['measure_id', 'period_start', 'area_type', 'area_code']"
    assert found == sorted([
        ("measure_values", "contacts_received", "accurate", "fail", "value", 1),                      # January
        ("measure_values", "contacts_received", "reliable", "warn", "volume_ratio", 1),               # April
        ("measure_values", "contacts_received", "timely", "warn", "periods_since_previous", 1),       # June
        ("measure_values", "contacts_received", "accurate", "fail", "district_numerator / ward_numerator", 1),  # July
        ("measure_values", "contacts_received", "accurate", "warn", "unplaced_share", 2),             # July, Sept.
        ("measure_values", "contacts_received", "accurate", "fail", "ward_numerator / locality_numerator", 1),  # Aug.
        ("measure_values", "contacts_received", "well_defined", "fail", "areas_ward", 3),             # October
        ("measure_values", "contacts_received", "reliable", "fail", key, 2),                          # November
        ("measure_values", "contacts_received", "well_defined", "fail", "areas_district", 5),         # November
        ("measure_values", "contacts_received", "well_defined", "fail", "area_code", 1),              # December
        ("measure_values", "contacts_received", "well_defined", "fail", "measure_id / area_type", 1),  # December
        ("measure_values", "failure_demand_pct", "accurate", "fail", "value", 1),                     # March
        ("measure_values", "failure_demand_pct", "well_defined", "fail", "period_start", 1),
        ("dashboard_strategic", "", "well_defined", "fail", "owner_name", 1),
        ("dashboard_strategic", "", "reliable", "fail", "['measure_id', 'period_start']", 2),
        ("dashboard_demographics", "", "accurate", "fail", "value", 2),
        ("dashboard_demographics", "", "accurate", "fail", "percent_value", 2),
        ("dashboard_demographics", "", "accurate", "fail", "lsoa_residents / ward_residents", 1),
        ("dashboard_demographics", "", "accurate", "fail", "ward_residents / district_residents", 1),
    ])
    assert {f.column: f.expectation for f in report.failures if f.column.endswith("_residents")} == {
        "lsoa_residents / ward_residents": "census totals match: LSOA residents add up to the ward residents",
        "ward_residents / district_residents": "census totals match: ward residents add up to the district's"}
    assert {f.expectation for f in report.failures if f.column == "measure_id / area_type"} == {
        "each measure's area types are those its catalogue entry breaks down by"}
    examples = {(f.measure_id, f.column): f.examples for f in report.failures}
    assert examples["contacts_received", "periods_since_previous"] == ["2026-06-01: periods_since_previous 2"]
    assert examples["contacts_received", "volume_ratio"] == ["2026-04-01: volume_ratio 1.51"]
    # A blank is named as one (a missing date used to stop the whole validation).
    assert examples["failure_demand_pct", "period_start"] == ["blank district E07000234"]
    assert examples["contacts_received", "area_code"] == ["2026-12-01 ward blank"]
    assert examples[None, "owner_name"] == ["2026-12-01: owner_name blank"]
    # What each rule says it checks (the Policy Team reads it in the check's summary and the alert).
    said = {f.column: f.expectation for f in report.failures}
    assert said["percent_value"] == "percentages are 0 to 100"
    assert said["unplaced_share"] == "most of the district total is placed in a ward"
    assert said["ward_numerator / locality_numerator"] == "locality counts add up to the same as their wards"
    assert said["areas_ward"] == "every period has all 2 ward areas"
    assert said["volume_ratio"] == "records per period in line with the previous periods' median"
    assert said["ward_residents / district_residents"] == ("census totals match: ward residents add up to the "
                                                           "district's")
    assert report.docs_index == tmp_path / "data_docs" / "index.html" and report.docs_index.is_file()

    # One verdict per measure for a criterion (and one for a dashboard mart), owned by the measure's owner.
    owners = {"contacts_received": "contacts@x", "failure_demand_pct": "demand@x"}
    accurate = outcomes(report, "marts.measure_values", "accurate", owners, "policy@x")
    assert [(o.subject, o.status, o.owner, o.rows_failed, len(o.problems)) for o in accurate] == [
        ("contacts_received", "fail", "contacts@x", 5, 4), ("failure_demand_pct", "fail", "demand@x", 1, 1)]
    assert accurate[1].problems == ["marts.measure_values: expect column values to be between (value) fails for 1 "
                                    "row(s), e.g. 2026-03-01 district E07000234: value 150."]
    contacts_warnings = [p for p in accurate[0].problems if "unplaced_share" in p]
    assert contacts_warnings == accurate[0].problems[3:]  # errors first, then the warning
    timely = outcomes(report, "marts.measure_values", "timely", owners, "policy@x")
    assert [(o.subject, o.status) for o in timely] == [("contacts_received", "warn"), ("failure_demand_pct", "pass")]
    [demographics] = outcomes(report, "marts.dashboard_demographics", "accurate", owners, "policy@x")
    assert demographics.title == ""  # a mart's verdict has no measure title: the scorecard names the mart
    assert (demographics.subject_type, demographics.subject, demographics.status, demographics.owner,
            demographics.rows_failed) == ("mart", "marts.dashboard_demographics", "fail", "policy@x", 6)


def test_a_verdict_samples_five_failures_and_counts_them_all() -> None:
    failures = [Failure("marts.measure_values", "missed_bins", "accurate", "fail", f"rule {n}", "value", 2,
                        [f"2026-0{n + 1}-01: value -1"]) for n in range(6)]
    [verdict] = outcomes(MartReport(docs_index=Path("index.html"), failures=failures), "marts.measure_values",
                         "accurate", {"missed_bins": "waste@x"}, "policy@x")
    assert (verdict.status, verdict.rows_failed, len(verdict.problems)) == ("fail", 12, 6)
    assert verdict.sample == [{"expectation": f"rule {n}", "column": "value",
                               "examples": [f"2026-0{n + 1}-01: value -1"]} for n in range(5)]


def test_a_night_that_changed_nothing_reuses_each_verdict_and_names_the_run_that_found_it(con, tmp_path) -> None:
    measures = [catalogue().measures[m] for m in ("contacts_received", "failure_demand_pct")]
    first = validate_marts(con, measures, tmp_path, DASHBOARDS, run_id="night-one-0000")
    # 2 measures x (values, series) + 3 dashboards + the census totals: 8 parts, all validated.
    assert (first.validated, first.unchanged, len(first.failures)) == (8, 0, 19)
    known = json.loads((tmp_path / "gx" / "validated_suites.json").read_text())
    assert sorted(known) == ["census_totals", "dashboard_demographics", "dashboard_operational",
                             "dashboard_strategic", "measure_series.contacts_received",
                             "measure_series.failure_demand_pct", "measure_values.contacts_received",
                             "measure_values.failure_demand_pct"]
    assert known["measure_values.contacts_received"]["result"].startswith("measure_values/")
    again = validate_marts(con, measures, tmp_path, DASHBOARDS, run_id="night-two-0000")
    assert (again.validated, again.unchanged) == (0, 8)
    assert sorted(_key(f) for f in again.failures) == sorted(_key(f) for f in first.failures)
    assert {f.since_run for f in again.failures} == {"night-one-0000"}
    assert again.unchanged_since["dashboard_strategic"] == "night-one-0000"
    # The strategic dashboard's owner filled in: that suite alone is validated again, and passes.
    con.execute("UPDATE marts.dashboard_strategic SET owner_name = 'An Owner' WHERE owner_name IS NULL")
    third = validate_marts(con, measures, tmp_path, DASHBOARDS, run_id="night-three-00")
    assert (third.validated, third.unchanged) == (1, 7)
    assert [f.column for f in third.failures if f.mart == "marts.dashboard_strategic"] == [
        "['measure_id', 'period_start']"]  # the repeated row still fails, found tonight
    assert [f.since_run for f in third.failures if f.mart == "marts.dashboard_strategic"] == [None]


def _key(failure) -> tuple:
    return failure.mart, failure.measure_id or "", failure.column, failure.unexpected


def test_an_expectation_on_a_column_the_mart_lacks_fails_rather_than_passing_unchecked(con, tmp_path) -> None:
    # The operational dashboard's area_type renamed: its uniqueness and not-null rules can check nothing (GX 1.x
    # passed such an expectation on a one-row frame), so each fails, named, with no row counted.
    con.execute("ALTER TABLE marts.dashboard_operational RENAME COLUMN area_type TO breakdown")
    report = validate_marts(con, [], tmp_path, ("dashboard_operational",), run_id="night-one-0000")
    assert sorted((f.mart, f.criterion, f.severity, f.column, f.unexpected, f.expectation) for f in report.failures
                  ) == [
        ("marts.dashboard_operational", "well_defined", "fail", "['measure_id', 'area_type', 'area_code', "
         "'period_start']", 0, "area_type not in the mart: nothing was checked (a column renamed, or the "
         "expectation is wrong)"),
        ("marts.dashboard_operational", "well_defined", "fail", "area_type", 0, "area_type not in the mart: nothing "
         "was checked (a column renamed, or the expectation is wrong)")]



@pytest.mark.parametrize(("kwargs", "named"), [
    ({"column": "value", "min_value": 0}, ["value"]), ({"column_list": ["measure_id", "period_start"]},
                                                       ["measure_id", "period_start"]),
    ({"column_A": "ward_residents", "column_B": "district_residents"}, ["ward_residents", "district_residents"])])
def test_each_kind_of_expectation_names_its_columns(kwargs, named) -> None:
    assert _named_columns(kwargs) == named


def test_a_failure_no_measure_owns_is_the_mart_s_verdict_beside_each_measure_s() -> None:
    broken = Failure("marts.measure_values", None, "well_defined", "fail", "areas_ward not in the mart", "areas_ward",
                     0, [])
    found = outcomes(MartReport(docs_index=Path("index.html"), failures=[broken]), "marts.measure_values",
                     "well_defined", {"missed_bins": "waste@x"}, "policy@x")
    assert [(o.subject_type, o.subject, o.status, o.owner) for o in found] == [
        ("mart", "marts.measure_values", "fail", "policy@x"), ("measure", "missed_bins", "pass", "waste@x")]


def test_a_renamed_column_is_validated_again_not_reused_and_the_night_is_logged(con, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="quality.gx_marts")
    first = validate_marts(con, [], tmp_path, ("dashboard_operational",), run_id="night-one-0000")
    assert (first.validated, first.failures) == (1, [])
    # The same values under another column name: the suite's verdict cannot be reused.
    con.execute("ALTER TABLE marts.dashboard_operational RENAME COLUMN area_type TO breakdown")
    second = validate_marts(con, [], tmp_path, ("dashboard_operational",), run_id="night-two-0000")
    assert (second.validated, second.unchanged, len(second.failures)) == (1, 0, 2)
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("GX:")] == [
        f"GX: 6 expectations, {n} failed; 1 suite(s) validated, 0 unchanged since last validated; Data Docs at "
        f"{tmp_path / 'data_docs' / 'index.html'}" for n in (0, 2)]


def test_each_suite_keeps_its_newest_seven_results_and_pinned_ones_with_their_pages(tmp_path) -> None:
    results, pages = tmp_path / "validations", tmp_path / "docs" / "validations"
    runs = [f"suite/__none__/2026110{n}T020000.000000Z" for n in range(1, 10)]  # nine nights, oldest first
    others = [f"suite_{n}/__none__/20261109T020000.000000Z" for n in range(8)]  # eight more suites, a night each
    for run in runs + others:
        (results / run).mkdir(parents=True)
        (pages / run).mkdir(parents=True)
    _prune_results(results, pages, pinned={runs[0]})  # the first night's result still backs a standing verdict
    kept = [run for run in runs if (results / run).is_dir()]
    assert kept == [runs[0], *runs[2:]]  # the second night's dropped: seven newest and the pinned one remain
    assert [run for run in runs if (pages / run).is_dir()] == kept
    assert all((results / run).is_dir() for run in others)  # seven runs a suite, not seven suites


def test_a_rule_no_row_can_be_named_for_is_reported_beside_every_measure_s_own_failures(con, tmp_path,
                                                                                         monkeypatch) -> None:
    # An expectation on a column the frame lacks names no measure: it goes against the mart, and each measure's
    # own failures are all still reported (none remembered: the next night validates them again).
    plain = gx_marts.measure_value_expectations

    def with_a_broken_rule(measures, expected_areas):
        yield from plain(measures, expected_areas)
        yield gxe.ExpectColumnValuesToNotBeNull(column="no_such_column")

    monkeypatch.setattr(gx_marts, "measure_value_expectations", with_a_broken_rule)
    measures = [catalogue().measures[m] for m in ("contacts_received", "failure_demand_pct")]
    report = validate_marts(con, measures, tmp_path, (), run_id="night-one-0000")
    values = [f for f in report.failures if f.mart == "marts.measure_values" and f.column != "no_such_column"]
    assert sorted((f.measure_id, f.column) for f in report.failures if f.column == "no_such_column") == [
        (None, "no_such_column")]
    assert len([f for f in values if f.measure_id == "contacts_received"]) == 11
    assert len([f for f in values if f.measure_id == "failure_demand_pct"]) == 2


def test_a_project_from_an_earlier_version_loses_its_old_datasource_and_validates(con, tmp_path) -> None:
    # Earlier versions kept a datasource "marts" with an asset per suite, and validation definitions on it.
    context, _ = gx_marts._context(tmp_path)
    old = context.data_sources.add_pandas(gx_marts.LEGACY_SOURCE)
    batch = old.add_dataframe_asset("dashboard_operational").add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add(gx.ExpectationSuite(name="dashboard_operational"))
    context.validation_definitions.add(gx.ValidationDefinition(name="dashboard_operational", data=batch, suite=suite))
    report = validate_marts(con, [], tmp_path, ("dashboard_operational",), run_id="night-one-0000")
    assert (report.validated, report.failures) == (1, [])
    assert gx_marts.LEGACY_SOURCE not in gx_marts._context(tmp_path)[0].data_sources.all()
