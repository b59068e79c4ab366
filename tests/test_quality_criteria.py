"""The six criteria: a clean fixture night where every check passes, then for each criterion a copy of that
warehouse broken on purpose and the named check failing with the expected reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.definitions import build_definitions
from pipelines.nightly import RunOutcome, run_nightly
from quality import measure_checks, source_checks
from sources import CONTRACTS
from tests.conftest import FIXTURE_LANDING, copy_fixture, query, with_profile
from warehouse.catalogue import CatalogueError, Rebase, catalogue, parse_measure
from warehouse.db import ensure_schemas, prepare
from warehouse.settings import Settings, SettingsResource

AS_OF = dt.date(2026, 3, 1)  # the fixture holds January and February 2026; February's files are not yet due
FIXTURE_MEASURES = ("contacts_received", "failure_demand_pct", "resolved_first_contact_pct",
                    "online_contact_pct", "crimes_per_1000", "asb_incidents")
FIXTURE_SOURCES = ("crm_contacts", "police_street", "llpg", "localities", "ons_lookup", "census_ts001")


@pytest.fixture(scope="module")
def clean_night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, RunOutcome]]:
    """The fixture landing without its one bad contact row (C5, UPRN not in the gazetteer), loaded once."""
    resource = SettingsResource(data_dir=str(tmp_path_factory.mktemp("clean") / "data"), as_of=AS_OF.isoformat())
    settings = resource.get()
    copy_fixture(settings)
    january = settings.landing_dir / "crm_contacts" / "crm_contacts_2026-01.csv"
    lines = january.read_bytes().split(b"\r\n")
    january.write_bytes(b"\r\n".join(line for line in lines if not line.startswith(b"C5,")))
    outcome = run_nightly(build_definitions(resource), instance=dg.DagsterInstance.ephemeral(), log_level="WARNING")
    yield settings, outcome


@pytest.fixture
def con(clean_night, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable copy of the clean night's working warehouse, to break on purpose."""
    settings, _ = clean_night
    copy = tmp_path / "copy.duckdb"
    shutil.copy(settings.warehouse_path, copy)
    connection = duckdb.connect(str(copy))
    prepare(connection)
    ensure_schemas(connection)
    yield connection
    connection.close()


def _measure(measure_id: str, **changes):
    return dataclasses.replace(catalogue().measures[measure_id], **changes)


def test_clean_fixture_passes_all_six_criteria(clean_night):
    settings, outcome = clean_night
    assert outcome.success, outcome.checks_failed
    evaluations = {(tuple(e.asset_key.path), e.check_name): e for e in outcome.result.get_asset_check_evaluations()}
    for measure in FIXTURE_MEASURES:
        for criterion in ("relevant", "well_defined", "timely", "reliable", "verifiable", "accurate"):
            evaluation = evaluations[(("measures", measure), criterion)]
            assert evaluation.passed, (measure, criterion, evaluation.description)
    for source in FIXTURE_SOURCES:
        failed = [(k, e.description) for k, e in evaluations.items() if k[0] == ("staging", source) and not e.passed]
        assert not failed, failed
    # The scorecard has one passing row per fixture measure and criterion, with when it last passed.
    rows = query(settings.published_path, """SELECT measure_id, criterion, status, last_passed_at IS NOT NULL
                 FROM marts.quality_scorecard WHERE measure_id IN ('contacts_received', 'crimes_per_1000')
                 AND criterion NOT IN ('commentary', 'sign_off')""")
    assert len(rows) == 12 and {r[2] for r in rows} == {"pass"} and all(r[3] for r in rows)
    # Beside them, the owners' commentary and sign-off: no returns in this fixture, so both warn.
    assert query(settings.published_path, """SELECT criterion, status FROM marts.quality_scorecard
                 WHERE measure_id = 'contacts_received' AND criterion IN ('commentary', 'sign_off')
                 ORDER BY criterion""") == [("commentary", "warn"), ("sign_off", "warn")]


def test_relevant_fails_for_a_measure_without_a_purpose():
    outcome = measure_checks.relevant(_measure("contacts_received", purpose="nowhere"))
    assert outcome.status == "fail" and "Purpose 'nowhere' is not one of the council's purposes" in outcome.summary
    orphan = measure_checks.relevant(_measure("contacts_received", source_tables=("core.fact_contacts",
                                                                                   "core.fact_cases")))
    assert orphan.status == "warn" and "core.fact_cases" in orphan.summary


def test_well_defined_fails_for_a_vague_definition_and_an_unknown_code(con):
    vague = measure_checks.well_defined(con, _measure("contacts_received", definition="Contacts."))
    assert vague.status == "fail" and "fewer than 8 words" in vague.summary
    # A staged value outside the contract's closed list fails the source's pandera schema.
    con.execute("UPDATE staging.crm_contacts SET channel = 'fax' WHERE contact_key = "
                "(SELECT min(contact_key) FROM staging.crm_contacts)")
    outcome = source_checks.well_defined(con, CONTRACTS["crm_contacts"])
    assert outcome.status == "fail" and "Column channel fails isin(" in outcome.summary
    assert "1 value(s); query staging.crm_contacts for them." in outcome.summary
    # Counted, never quoted: a staged value may be a UPRN or a key, and the reason reaches alerts and the BI copy.
    assert "fax" not in outcome.summary and "fax" not in json.dumps(outcome.sample, default=str)


def test_timely_warns_then_fails_as_a_source_and_a_measure_get_later(con):
    crm = CONTRACTS["crm_contacts"]
    assert source_checks.timely(con, crm, AS_OF).status == "pass"
    # January and February have arrived; March's file is due on 5 April, with 14 days' grace.
    assert source_checks.timely(con, crm, dt.date(2026, 4, 5)).status == "pass"
    warn = source_checks.timely(con, crm, dt.date(2026, 4, 12))
    assert warn.status == "warn" and "March 2026 file" in warn.summary and "7 day(s) late" in warn.summary
    fail = source_checks.timely(con, crm, dt.date(2026, 4, 30))  # 25 days late, grace is 14
    assert fail.status == "fail"
    measure = catalogue().measures["contacts_received"]          # February ended 28 Feb; allowed lag 45 days
    assert measure_checks.timely(con, measure, dt.date(2026, 4, 20)).status == "warn"
    assert measure_checks.timely(con, measure, dt.date(2026, 5, 30)).status == "fail"


def test_a_council_s_own_grace_and_volume_tolerance_replace_the_contract_s(con, tmp_path, monkeypatch):
    crm = CONTRACTS["crm_contacts"]  # the contract: 14 days' grace, deliveries within 50 % of the usual
    assert source_checks.timely(con, crm, dt.date(2026, 4, 9)).status == "warn"  # 4 days late, within 14
    with_profile(tmp_path / "councils", monkeypatch, thresholds={
        "sources": {"crm_contacts": {"grace_days": 3, "volume_tolerance": 0.2}}})
    # March's file is due on 5 April. With 3 days' grace: 8 April (3 days late) warns, 9 April (4 days) fails.
    assert source_checks.timely(con, crm, dt.date(2026, 4, 8)).status == "warn"
    assert source_checks.timely(con, crm, dt.date(2026, 4, 9)).status == "fail"
    # Four monthly deliveries of 100 rows, then 130: 30 % more than the usual (the median, 100) is within the
    # contract's 50 % but beyond this council's 20 %.
    con.execute("CREATE TEMP TABLE one AS FROM audit.loaded_files WHERE source = 'crm_contacts' LIMIT 1")
    con.execute("DELETE FROM audit.loaded_files WHERE source = 'crm_contacts'")
    con.execute("""INSERT INTO audit.loaded_files
                   SELECT one.* REPLACE ('crm_contacts_2026-0' || m || '.csv' AS file_name, 'sha' || m AS file_sha256,
                                         n AS rows_loaded)
                   FROM one, (VALUES (1, 100), (2, 100), (3, 100), (4, 100), (5, 130)) v(m, n)""")
    outcome = source_checks.reliable(con, crm)
    assert outcome.status == "warn" and "130 rows; the usual delivery has about 100 (more than 20% different)" in \
        outcome.summary
    monkeypatch.delenv("BDC_COUNCILS_DIR")
    assert source_checks.reliable(con, crm).status == "pass"


def test_reliable_flags_a_small_delivery_and_an_unrecorded_change_of_definition(con):
    # Five earlier months of about 100 contacts, then a month of 40: more than 50% below the usual.
    con.execute("DELETE FROM measures.contacts_received WHERE area_type = 'district'")
    con.execute("""INSERT INTO measures.contacts_received (measure_id, period_start, period_end, area_type,
                   area_code, value, numerator, denominator, observations)
                   SELECT 'contacts_received', m, last_day(m), 'district', 'E07000234', n, n, NULL, n
                   FROM (VALUES (DATE '2025-09-01', 100), (DATE '2025-10-01', 104), (DATE '2025-11-01', 96),
                                (DATE '2025-12-01', 101), (DATE '2026-01-01', 99), (DATE '2026-02-01', 40)) v(m, n)""")
    measure = catalogue().measures["contacts_received"]
    outcome = measure_checks.reliable(con, measure, "run-1")
    assert outcome.status == "warn" and "February 2026 rests on 40 records; usually about 100" in outcome.summary
    # The definition seen on the clean night is recorded; new SQL without a rebase is flagged...
    changed = _measure("failure_demand_pct", sql=catalogue().measures["failure_demand_pct"].sql + " WHERE true")
    flagged = measure_checks.reliable(con, changed, "run-2")
    assert flagged.status == "warn" and "changed" in flagged.summary and "without a recorded rebase" in flagged.summary
    # ...and accepted once the catalogue records the rebase for that definition.
    rebased = dataclasses.replace(changed, rebases=(Rebase("2026-02-01", measure_checks.definition_hash(changed),
                                                           "counts web chats too"),))
    assert measure_checks.reliable(con, rebased, "run-3").status == "pass"


def test_verifiable_recomputes_from_raw_and_catches_a_changed_value(con):
    measure = catalogue().measures["failure_demand_pct"]
    assert measure_checks.verifiable(con, measure).status == "pass"
    con.execute("""UPDATE measures.failure_demand_pct SET value = 60 WHERE area_type = 'district'
                   AND period_start = DATE '2026-01-01'""")
    outcome = measure_checks.verifiable(con, measure)
    assert outcome.status == "fail" and outcome.rows_failed == 1
    assert outcome.sample[0]["published"] == 60 and outcome.sample[0]["recomputed"] == pytest.approx(50.0)


def test_verifiable_fails_when_a_row_no_longer_traces_to_raw(con):
    # A raw row disappears (as if raw were edited by hand): the fact row built from it cannot be traced.
    con.execute("DELETE FROM raw.crm_contacts WHERE \"Contact Ref\" = 'C1'")
    outcome = measure_checks.verifiable(con, catalogue().measures["contacts_received"])
    assert outcome.status == "fail" and "1 source row(s) do not trace back" in outcome.summary
    source = source_checks.verifiable(con, CONTRACTS["crm_contacts"])
    assert source.status == "fail" and "1 staged row(s) do not trace back" in source.summary


def test_accurate_fails_for_a_percentage_over_100_and_a_negative_count(con):
    con.execute("""UPDATE measures.failure_demand_pct SET value = 150, numerator = 3, denominator = 2
                   WHERE area_type = 'district' AND period_start = DATE '2026-01-01'""")
    outcome = measure_checks.accurate(con, catalogue().measures["failure_demand_pct"], AS_OF)
    assert outcome.status == "fail" and outcome.rows_failed == 1 and outcome.sample[0]["problem"] == "above 100.0"
    con.execute("UPDATE measures.contacts_received SET value = -1, numerator = -1 WHERE area_code = 'E05015402'"
                " AND period_start = DATE '2026-02-01'")
    negative = measure_checks.accurate(con, catalogue().measures["contacts_received"], AS_OF)
    assert negative.status == "fail" and negative.sample[0]["problem"] == "below 0"


def test_check_results_name_the_owner_and_period(clean_night):
    _, outcome = clean_night
    evaluation = next(e for e in outcome.result.get_asset_check_evaluations()
                      if e.asset_key.path == ["measures", "crimes_per_1000"] and e.check_name == "timely")
    metadata = {k: v.value for k, v in evaluation.metadata.items()}
    assert metadata["owner"] == "community.safety@bromsgrove.example"
    assert metadata["period"] == "January 2026" and metadata["measure"] == "Recorded crime per 1,000 residents"


def test_fixture_landing_is_untouched():
    # The clean night edits its own copy: the shared fixture still has C5 for the other tests.
    assert b"\r\nC5," in (FIXTURE_LANDING / "crm_contacts" / "crm_contacts_2026-01.csv").read_bytes()


def test_gx_data_docs_name_the_failing_expectation(con, tmp_path: Path):
    from quality.gx_marts import validate_marts

    con.execute("""UPDATE marts.measure_values SET value = 150 WHERE measure_id = 'failure_demand_pct'
                   AND area_type = 'ward' AND area_code = 'E05015401' AND period_start = DATE '2026-01-01'""")
    report = validate_marts(con, [catalogue().measures["failure_demand_pct"]], tmp_path, dashboards=())
    [failure] = report.failures
    assert (failure.measure_id, failure.criterion, failure.severity, failure.column) == (
        "failure_demand_pct", "accurate", "fail", "value")
    assert failure.examples == ["2026-01-01 ward E05015401: value 150"]
    assert report.docs_index.is_file()
    pages = list((tmp_path / "data_docs" / "validations" / "measure_values").rglob("*.html"))
    assert len(pages) == 1  # one suite over every measure's rows (quality/gx_marts.py)
    text = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(pages[0].read_text(encoding="utf-8"))).split())
    assert "Failed" in text
    assert ("If measure_id IN (failure_demand_pct) , then values must be greater than or equal to 0.0 and less "
            "than or equal to 100.0 . 1 unexpected values found") in text
    assert "150.0 1 failure_demand_pct 2026-01-01T00:00:00 ward E05015401" in text  # the failing row, named


def test_gx_suite_not_rerun_on_unchanged_data_still_fails_and_names_the_run(con, tmp_path: Path):
    from quality.gx_marts import validate_marts

    failure_demand = [catalogue().measures["failure_demand_pct"]]
    con.execute("""UPDATE marts.measure_values SET value = 150 WHERE measure_id = 'failure_demand_pct'
                   AND area_type = 'ward' AND area_code = 'E05015401' AND period_start = DATE '2026-01-01'""")
    first = validate_marts(con, failure_demand, tmp_path, dashboards=(), run_id="night-one-0000")
    assert (first.validated, first.unchanged, len(first.failures)) == (2, 0, 1)
    known = json.loads((tmp_path / "gx" / "validated_suites.json").read_text())  # each verdict names its result
    assert (tmp_path / "gx" / "uncommitted" / "validations" / known["measure_values.failure_demand_pct"]["result"]
            ).is_dir()
    # An incremental night that did not change these rows reuses the verdict: the failure stands, named
    again = validate_marts(con, failure_demand, tmp_path, dashboards=(), run_id="night-two-0000")
    assert (again.validated, again.unchanged) == (0, 2)
    [failure] = again.failures
    assert (failure.criterion, failure.severity, failure.since_run) == ("accurate", "fail", "night-one-0000")
    assert "unchanged since run night-on" in failure.detail_text()
    # a changed row is validated again
    con.execute("UPDATE marts.measure_values SET value = 151 WHERE value = 150")
    third = validate_marts(con, failure_demand, tmp_path, dashboards=(), run_id="night-three-00")
    assert third.validated == 1 and third.failures[0].since_run is None and "151" in third.failures[0].examples[0]


def test_gx_shared_suite_names_each_breaking_measure_and_revalidates_only_changed_ones(con, tmp_path: Path):
    # Every measure's rows are one GX suite: a failure must still be the breaking measure's own (its rows, its
    # count), and a night that changes one measure validates that measure only.
    from quality.gx_marts import validate_marts

    measures = [catalogue().measures[m] for m in ("failure_demand_pct", "contacts_received")]
    # One district row of each measure delivered twice: the key (measure, period, area type, area) repeats.
    con.execute("""INSERT INTO marts.measure_values SELECT * FROM marts.measure_values
                   WHERE measure_id IN ('failure_demand_pct', 'contacts_received') AND area_type = 'district'
                   AND period_start = DATE '2026-01-01'""")
    first = validate_marts(con, measures, tmp_path, dashboards=(), run_id="night-one-0000")
    assert (first.validated, first.unchanged) == (4, 0)  # two measures x (values, series)
    repeated = sorted((f.measure_id, f.unexpected, f.examples[0]) for f in first.failures
                      if f.column == "['measure_id', 'period_start', 'area_type', 'area_code']")
    assert repeated == [("contacts_received", 2, "2026-01-01 district E07000234"),
                        ("failure_demand_pct", 2, "2026-01-01 district E07000234")]
    # contacts_received counts its areas per period (zero-filled): two district rows break that too; the
    # percentage does not count areas
    grid = [(f.measure_id, f.column) for f in first.failures if f.column.startswith("areas_")]
    assert grid == [("contacts_received", "areas_district")]

    con.execute("""DELETE FROM marts.measure_values WHERE rowid IN (SELECT max(rowid) FROM marts.measure_values
                   WHERE measure_id = 'contacts_received' AND area_type = 'district'
                   AND period_start = DATE '2026-01-01')""")
    second = validate_marts(con, measures, tmp_path, dashboards=(), run_id="night-two-0000")
    assert (second.validated, second.unchanged) == (1, 3)  # contacts_received's rows only
    assert {f.measure_id for f in second.failures} == {"failure_demand_pct"}
    assert {f.since_run for f in second.failures} == {"night-one-0000"}


def test_gx_a_failure_no_row_names_stands_against_the_mart_and_is_validated_again(con, tmp_path: Path,
                                                                                   monkeypatch):
    # An expectation that raises names no row, so no measure: it fails the mart, and the measures validated with
    # it are not remembered as passing (the next night validates them again and fails again).
    import great_expectations.expectations as gxe

    from quality import gx_marts

    original = gx_marts.measure_value_expectations

    def with_a_broken_rule(measures, expected_areas):
        yield from original(measures, expected_areas)
        yield gxe.ExpectColumnValuesToBeBetween(column="no_such_column", min_value=0, meta=gx_marts._meta("accurate"))

    monkeypatch.setattr(gx_marts, "measure_value_expectations", with_a_broken_rule)
    failure_demand = [catalogue().measures["failure_demand_pct"]]
    first = gx_marts.validate_marts(con, failure_demand, tmp_path, dashboards=(), run_id="night-one-0000")
    assert [(f.mart, f.measure_id, f.column) for f in first.failures] == [
        ("marts.measure_values", None, "no_such_column")]
    again = gx_marts.validate_marts(con, failure_demand, tmp_path, dashboards=(), run_id="night-two-0000")
    assert (again.validated, again.unchanged) == (1, 1)  # the values part again; the series part was clean
    assert [(f.measure_id, f.column, f.since_run) for f in again.failures] == [(None, "no_such_column", None)]


def test_gx_a_dashboard_failure_stands_against_its_mart(con, tmp_path: Path):
    from quality.gx_marts import validate_marts

    con.execute("UPDATE marts.dashboard_strategic SET owner_name = NULL WHERE measure_id = 'failure_demand_pct'")
    report = validate_marts(con, [], tmp_path, dashboards=("dashboard_strategic",))
    assert {(f.mart, f.measure_id, f.column) for f in report.failures} == {
        ("marts.dashboard_strategic", None, "owner_name")}


def test_gx_project_config_has_an_asset_per_kind_of_frame_not_per_suite(con, tmp_path: Path):
    # GX rewrites its whole YAML for every datasource, asset and batch definition added: an asset per suite
    # made that a growing cost of every suite, every night. A project of the earlier layout loses its old
    # datasource.
    import great_expectations as gx

    from quality.gx_marts import validate_marts

    earlier = gx.get_context(mode="file", project_root_dir=str(tmp_path))  # a suite validated the old way
    whole = earlier.data_sources.add_pandas("marts").add_dataframe_asset("measure_values.contacts_received") \
        .add_batch_definition_whole_dataframe("whole")
    suite = earlier.suites.add(gx.ExpectationSuite(name="measure_values.contacts_received"))
    earlier.validation_definitions.add(gx.ValidationDefinition(name=suite.name, data=whole, suite=suite))
    measures = [catalogue().measures[m] for m in ("failure_demand_pct", "contacts_received")]
    report = validate_marts(con, measures, tmp_path, dashboards=(), run_id="night-one-0000")
    assert report.validated == 4 and report.failures == []
    config = yaml.safe_load((tmp_path / "gx" / "great_expectations.yml").read_text())
    sources = config["fluent_datasources"]
    assert list(sources) == ["mart_frames"]
    assert sorted(sources["mart_frames"]["assets"]) == ["measure_series", "measure_values"]


def test_gx_data_docs_follow_a_moved_data_folder(con, tmp_path: Path):
    # GX keeps the Data Docs site's folder in its project file: a data folder moved or restored elsewhere must
    # render its pages there, not recreate the old folder.
    from quality.gx_marts import validate_marts

    before, after = tmp_path / "before", tmp_path / "after"
    validate_marts(con, [], before)
    before.rename(after)
    con.execute("UPDATE core.population SET usual_residents = usual_residents + 1 WHERE area_type = 'district'")
    report = validate_marts(con, [], after)  # the census suite's data changed: validated, pages rendered
    assert report.validated == 1 and report.docs_index == after / "data_docs" / "index.html"
    assert report.docs_index.is_file() and not before.exists()


def test_gx_keeps_a_week_of_results_per_suite(tmp_path: Path):
    from quality.gx_marts import _prune_results

    runs = tmp_path / "validations" / "measure_values" / "contacts_received" / "__none__"
    for day in range(1, 10):
        (runs / f"202611{day:02d}T020000.000000Z").mkdir(parents=True)
    pages = tmp_path / "docs" / "validations" / "measure_values" / "contacts_received" / "__none__"
    for day in range(1, 10):
        (pages / f"202611{day:02d}T020000.000000Z").mkdir(parents=True)
    # 1 November's result is the evidence of a verdict that still stands (its measure unchanged since): kept
    pinned = {"measure_values/contacts_received/__none__/20261101T020000.000000Z"}
    _prune_results(tmp_path / "validations", tmp_path / "docs" / "validations", keep=7, pinned=pinned)
    assert sorted(p.name[:8] for p in runs.iterdir()) == ["20261101"] + [f"202611{d:02d}" for d in range(3, 10)]
    # the pruned runs' pages go; the kept runs' pages stay (only new results are rendered each night)
    assert sorted(p.name[:8] for p in pages.iterdir()) == ["20261101"] + [f"202611{d:02d}" for d in range(3, 10)]


def test_gx_census_totals_must_reconcile(con, tmp_path: Path):
    from quality.gx_marts import validate_marts

    con.execute("UPDATE core.population SET usual_residents = 999 WHERE area_type = 'lsoa' AND area_code = 'E01032110'")
    report = validate_marts(con, [], tmp_path)
    census = [f for f in report.failures if "census totals" in f.expectation]
    assert [(f.mart, f.criterion, f.severity, f.column) for f in census] == [
        ("marts.dashboard_demographics", "accurate", "fail", "lsoa_residents / ward_residents")]
    assert census[0].examples == ["census 2021: lsoa_residents 5999, ward_residents 6000"]


def test_thresholds_are_set_per_measure_in_the_catalogue(con, tmp_path: Path):
    source = catalogue().measures["contacts_received"].path
    text = source.read_text(encoding="utf-8")
    (tmp_path / "contacts_received.yaml").write_text(text + "quality:\n  max_lag_days: 10\n  grace_days: 5\n")
    cat = catalogue()
    measure = parse_measure(tmp_path / "contacts_received.yaml", cat.purposes, cat.teams)
    assert (measure.quality.max_lag_days, measure.quality.grace_days, measure.quality.max_value) == (10, 5, None)
    # February ended on the 28th: 12 days later is past the 10 allowed (WARN), 20 days past 10 + 5 (FAIL).
    assert measure_checks.timely(con, measure, dt.date(2026, 3, 12)).status == "warn"
    assert measure_checks.timely(con, measure, dt.date(2026, 3, 20)).status == "fail"
    (tmp_path / "contacts_received.yaml").write_text(text + "quality:\n  max_lag: 10\n")
    with pytest.raises(CatalogueError, match="unknown quality setting"):
        parse_measure(tmp_path / "contacts_received.yaml", cat.purposes, cat.teams)
