"""Demand, end-to-end time, true cost and the trials register, on the hand-made fixture plus
tests/fixtures/systems (ledger, planning, benefits, street scene, trials). Every expected value is worked out
by hand in the comments from those files."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import build_definitions
from pipelines.nightly import run_nightly
from tests.conftest import copy_fixture, query
from warehouse.settings import SettingsResource

SYSTEMS_FIXTURE = Path(__file__).parent / "fixtures" / "systems"
ALPHA, BETA, GAMMA = "E05015400", "E05015401", "E05015402"


@pytest.fixture(scope="module")
def systems(tmp_path_factory) -> SettingsResource:
    """The fixture and the systems fixture loaded and published once, in a folder of the module's own."""
    resource = SettingsResource(data_dir=str(tmp_path_factory.mktemp("systems") / "data"))
    settings = resource.get()
    settings.landing_dir.mkdir(parents=True)
    copy_fixture(settings)
    shutil.copytree(SYSTEMS_FIXTURE, settings.landing_dir, dirs_exist_ok=True)
    outcome = run_nightly(build_definitions(resource), instance=dg.DagsterInstance.ephemeral(), log_level="WARNING")
    assert outcome.success, outcome.checks_failed
    return resource


@pytest.fixture
def published(systems: SettingsResource):
    return systems.get().published_path


def rows(path, sql: str) -> list[tuple]:
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in query(path, sql)]


def test_demand_by_service_channel_and_month(published):
    # January: C1 Benefits failure (not resolved), C2 Waste value, C3 Council Tax failure, C4 Other value;
    # C5 is quarantined (UPRN not in the gazetteer). February: C6 Waste value (face to face), C7 Waste failure
    # (phone, not resolved).
    assert rows(published, """SELECT month_start::VARCHAR, service, contacts, value_demand, failure_demand,
                                     failure_demand_pct, resolved_first_contact, resolved_first_contact_pct
                              FROM marts.demand_by_service WHERE channel = 'All channels' ORDER BY 1, 2""") == [
        ("2026-01-01", "Benefits", 1, 0, 1, 100.0, 0, 0.0),
        ("2026-01-01", "Council Tax", 1, 0, 1, 100.0, 1, 100.0),
        ("2026-01-01", "Other", 1, 1, 0, 0.0, 1, 100.0),
        ("2026-01-01", "Waste", 1, 1, 0, 0.0, 1, 100.0),
        ("2026-02-01", "Waste", 2, 1, 1, 50.0, 1, 50.0),
    ]
    assert rows(published, """SELECT channel, contacts, failure_demand_pct FROM marts.demand_by_service
                              WHERE month_start = '2026-02-01' AND channel <> 'All channels' ORDER BY 1""") == [
        ("face to face", 1, 0.0), ("phone", 1, 100.0)]


def test_top_failure_demand_categories(published):
    # Failure demand in the 12 months to February 2026: C1, C3, C7, one category each.
    assert rows(published, """SELECT service, demand_category, contacts, share_of_service_failure_pct,
                                     rank_in_service, window_start::VARCHAR, window_end::VARCHAR
                              FROM marts.demand_failure_categories ORDER BY 1""") == [
        ("Benefits", "Progress chasing", 1, 100.0, 1, "2025-03-01", "2026-02-28"),
        ("Council Tax", "Not understood letter", 1, 100.0, 1, "2025-03-01", "2026-02-28"),
        ("Waste", "Service not delivered", 1, 100.0, 1, "2025-03-01", "2026-02-28"),
    ]


def test_demand_per_thousand_residents_by_ward(published):
    # Residents: Alpha 1,000, Beta 2,000, Gamma 3,000. January: Alpha C1 + C2, Beta C3, C4 has no address.
    assert rows(published, """SELECT ward_code, contacts, failure_demand, contacts_per_1000, failure_demand_per_1000
                              FROM marts.demand_by_ward WHERE month_start = '2026-01-01'
                              ORDER BY ward_code NULLS LAST""") == [
        (ALPHA, 2, 1, 2.0, 1.0), (BETA, 1, 1, 0.5, 0.5), (GAMMA, 0, 0, 0.0, 0.0), (None, 1, 0, None, None)]
    # February: C6, C7 at Gamma: 2 / 3,000 x 1,000.
    assert rows(published, """SELECT contacts_per_1000 FROM marts.demand_by_ward
                              WHERE month_start = '2026-02-01' AND ward_code = 'E05015402'""") == [(0.666667,)]


def test_end_to_end_distribution_from_first_contact(published):
    # Planning, decided 20 Jan: received 10, 20, 30, 40 and 100 days before (from receipt, not validation).
    #   median 30; 80th percentile at rank 0.8 x 4 = 3.2: 40 + 0.2 x 60 = 52; 95th at 3.8: 40 + 0.8 x 60 = 88.
    # Benefits new claims: 4 and 8 days (the change of circumstances is not a new claim): 6, 7.2, 7.8.
    # Fly-tipping: cleared in 2 days and the same day (the missed bin is not fly-tipping): 1, 1.6, 1.9.
    assert rows(published, """SELECT service, cases_completed, median_days, p80_days, p95_days, min_days, max_days
                              FROM marts.end_to_end_times WHERE month_start = '2026-01-01' ORDER BY 1""") == [
        ("Benefits new claims", 2, 6.0, 7.2, 7.8, 4, 8),
        ("Fly-tipping clearance", 2, 1.0, 1.6, 1.9, 0, 2),
        ("Planning applications", 5, 30.0, 52.0, 88.0, 10, 100),
    ]
    # The median's XmR chart: one month so far, so no limits yet.
    assert rows(published, """SELECT service, value, upper_process_limit, point_type FROM marts.end_to_end_spc
                              WHERE service = 'Planning applications'""") == [
        ("Planning applications", 30.0, None, "common_cause")]


def test_cost_of_service_and_failure_demand_cost(published):
    # January ledger: Benefits RB100 1,200 - (200) = 1,000; Waste ES300 3,000 + ES310 500 = 3,500;
    # CM900 700 is not mapped to a service. PL400 "about 900" is quarantined; period 13 is out of scope.
    assert rows(published, """SELECT service, ledger_cost, transactions, cost_per_transaction,
                                     cost_per_value_transaction, failure_demand_share, failure_demand_cost
                              FROM marts.cost_of_service WHERE month_start = '2026-01-01' ORDER BY 1""") == [
        ("Benefits", 1000.0, 1, 1000.0, None, 1.0, 1000.0),
        ("Council Tax", None, 1, None, None, 1.0, None),
        ("Other", None, 1, None, None, 0.0, None),
        ("Unallocated cost centres", 700.0, None, None, None, None, None),
        ("Waste", 3500.0, 1, 3500.0, 3500.0, 0.0, 0.0),
    ]
    # February: Waste 4,000 over C6 (value) and C7 (failure): 2,000 a contact; half of it failure demand.
    assert rows(published, """SELECT ledger_cost, cost_per_transaction, cost_per_value_transaction,
                                     failure_demand_cost FROM marts.cost_of_service
                              WHERE month_start = '2026-02-01' AND service = 'Waste'""") == [
        (4000.0, 2000.0, 4000.0, 2000.0)]
    # Nothing is lost: the month adds up to the staged ledger, and the bad rows say why they are not in it.
    assert rows(published, "SELECT sum(ledger_cost) FROM marts.cost_of_service WHERE month_start = '2026-01-01'") \
        == [(5200.0,)]
    assert rows(published, """SELECT reason FROM audit.quarantine WHERE source = 'finance_ledger'""") == [
        ("Actual about 900 is not an amount",)]
    assert rows(published, """SELECT reason FROM audit.out_of_scope WHERE source = 'finance_ledger'""") == [
        ("year-end adjustment period 13: not part of any month",)]


def test_trials_register_rebases_and_rejects_unknown_measures(published):
    # The register names failure_demand_share, the measure's id before its rename: staged under today's id.
    assert rows(published, "SELECT trial_id, measure_id FROM core.trials ORDER BY 2") == [
        ("CPD-T1", "failure_demand_pct"), ("CPD-T1", "resolved_first_contact_pct")]
    assert rows(published, "SELECT reason FROM audit.quarantine WHERE source = 'trials_register'") == [
        ("Measure id missed_bins_typo is not a measure in the catalogue (warehouse/catalogue/measures)",)]
    # The trial starts in February: February is segment 2 of the council-wide failure demand chart.
    assert rows(published, """SELECT period_start::VARCHAR, segment, segment_reason FROM marts.measure_spc
                              WHERE measure_id = 'failure_demand_pct' AND area_type = 'district'
                              ORDER BY 1""") == [
        ("2026-01-01", 1, "first point"), ("2026-02-01", 2, "trial CPD-T1: First contact redesign")]
    # One month before the start is not a process: too early to judge.
    assert rows(published, """SELECT verdict, points_before, points_after, summary FROM marts.trial_outcomes
                              WHERE measure_id = 'failure_demand_pct'""") == [
        ("too_early", 1, 1, "Not enough data before the trial started to know the old system's limits.")]


def test_the_marts_reconcile_and_a_broken_total_fails_accurate(published, tmp_path):
    import duckdb

    from quality.mart_checks import RULES, judge_mart

    assert rows(published, """SELECT subject, status FROM audit.check_results WHERE subject_type = 'mart'
                              AND check_name = 'accurate' AND subject IN ('marts.cost_of_service',
                              'marts.demand_by_service', 'marts.demand_by_ward', 'marts.end_to_end_times',
                              'marts.measure_spc') ORDER BY 1""") == [(m, "pass") for m in sorted(RULES)]
    copy = tmp_path / "copy.duckdb"
    shutil.copy(published, copy)
    with duckdb.connect(str(copy)) as con:
        # 100 pounds lost from Waste in January: the month no longer adds up to the ledger (5,200).
        con.execute("UPDATE marts.cost_of_service SET ledger_cost = 3400 WHERE service = 'Waste' "
                    "AND month_start = '2026-01-01'")
        outcome = judge_mart(con, "marts.cost_of_service", "finance@bromsgrove.example")
    assert outcome.status == "fail"
    assert outcome.problems == ["1 row(s): a month's cost differs from the ledger (core.fact_ledger)."]
    assert outcome.sample[0]["in_mart"] == 5100.0 and outcome.sample[0]["in_fact_ledger"] == 5200.0


def test_focus_lists_are_staged_and_the_outputs_build_from_the_published_warehouse(systems, published):
    # tests/fixtures/systems/focus_measures: two good rows; a period no Cabinet report starts, a report that is
    # not Cabinet or O&S, and a measure not in the catalogue are quarantined with their reasons. The Cabinet row
    # names failure_demand_share, the measure's former id: it is staged under failure_demand_pct.
    assert rows(published, "SELECT report, period_start::VARCHAR, measure_id FROM core.focus_measures ORDER BY 1") == [
        ("cabinet", "2026-02-01", "failure_demand_pct"), ("scrutiny", "2026-01-01", "missed_bins")]
    reasons = [r[0] for r in query(published, "SELECT reason FROM audit.quarantine WHERE source = 'focus_measures' "
                                              "ORDER BY row_number")]
    assert len(reasons) == 3
    assert "Period 2026-03 does not start a Cabinet period" in reasons[0]
    assert "Report Council is not Cabinet or Overview and Scrutiny" in reasons[1]
    assert "not_a_measure" in reasons[2]
    outcome = run_nightly(build_definitions(systems), instance=dg.DagsterInstance.ephemeral(), log_level="WARNING",
                          job_name="outputs")
    assert outcome.success
    outputs = systems.get().outputs_dir
    assert (outputs / "site" / "index.html").exists() and (outputs / "site" / "data" / "measure-values.csv").exists()
    assert sorted(p.name for p in (outputs / "reports").iterdir()) == ["cabinet", "scrutiny"]
    assert len(list((outputs / "partners").glob("*/*/manifest.json"))) == 3
