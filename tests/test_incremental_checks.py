"""An incremental night cannot hide a failing check: a check the night's plan does not run (its asset was not
rebuilt) still reports its last failing verdict, naming the run it stands from, and a night's failing checks
are exactly those of rebuilding everything on the same night: a blocking (ERROR) staging check, WARN checks and
the Great Expectations suites on the marts. (A rebuild from an empty warehouse can differ in data, not in
checks: a source held back since a bad file keeps its earlier good files incrementally, while a rebuild that
meets the bad file on its first night holds the whole source.)

The nights use the real planner (`pipelines.definitions.tonight`) on one Dagster instance, with hand-made
files for two sources (street-scene reports and planning decisions) beside the shared fixture."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.definitions import build_definitions, tonight
from pipelines.nightly import carried_forward, run_nightly, summary
from tests.test_holds import _planning, _waste
from warehouse.settings import SettingsResource, load_settings

pytestmark = pytest.mark.night  # nights and a rebuild


def _night(instance: dg.DagsterInstance, data_dir, as_of: str, planned: bool = True):
    resource = SettingsResource(data_dir=str(data_dir), as_of=as_of)
    plan = tonight(instance, resource.get()) if planned else None
    return run_nightly(build_definitions(resource), instance=instance, log_level="ERROR", plan=plan), plan


def _bare(name: str) -> str:
    return name.split(" (unchanged since run")[0]


def _failing(outcome) -> tuple[set[str], set[str]]:
    """(ERROR, WARN) checks that did not pass on the night: those it ran and those it carried forward."""
    warned = set(outcome.checks_failed) - set(outcome.checks_errored)
    return (set(outcome.checks_errored) | {_bare(n) for n in outcome.carried_errors},
            warned | {_bare(n) for n in outcome.carried_warnings})


@pytest.fixture
def missed_bins_doubted(monkeypatch):
    """A WARN expectation that missed bins' values always break (none is a billion), added to its GX suite."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    from quality import gx_marts

    original = gx_marts.measure_value_expectations

    def with_doubt(measures, expected_areas):
        yield from original(measures, expected_areas)
        if any(m.id == "missed_bins" for m in measures):
            yield gxe.ExpectColumnValuesToBeBetween(
                column="value", min_value=1e9, row_condition=Column("measure_id").is_in(["missed_bins"]),
                meta=gx_marts._meta("reliable", "warn", detail="a doubt the test plants"))

    monkeypatch.setattr(gx_marts, "measure_value_expectations", with_doubt)


def test_checks_a_night_does_not_rerun_still_fail_as_on_a_full_rebuild(landing, missed_bins_doubted):
    waste, planning = landing.landing_dir / "waste_reports", landing.landing_dir / "planning_applications"
    instance = dg.DagsterInstance.ephemeral()
    (waste / "street_scene_reports_2026-01.csv").write_text(_waste(1, [f"W1{n}" for n in range(5)]), "utf-8-sig")
    (planning / "planning_decisions_2026-01.csv").write_text(_planning(1, ["P1", "P2"]), "utf-8")
    first, _ = _night(instance, landing.data_dir, "2026-03-10")
    assert first.success

    # Night two: February's street-scene file repeats 10 of its 25 reports: its blocking `accurate` fails.
    refs = [f"W2{n:02d}" for n in range(15)]
    (waste / "street_scene_reports_2026-02.csv").write_text(_waste(2, refs + refs[:10]), "utf-8-sig")
    second, _ = _night(instance, landing.data_dir, "2026-03-11")
    assert "staging/waste_reports:accurate" in second.checks_errored

    # Night three brings planning's February file only: the street-scene assets are not rebuilt and their
    # checks do not run, but the failure still stands, from night two.
    (planning / "planning_decisions_2026-02.csv").write_text(_planning(2, ["P3", "P4", "P5"]), "utf-8")
    third, plan = _night(instance, landing.data_dir, "2026-03-12")
    assert third.success and not plan.everything
    ran = {f"{e.asset_key.to_user_string()}:{e.check_name}" for e in third.result.get_asset_check_evaluations()}
    assert "staging/waste_reports:accurate" not in ran
    assert f"staging/waste_reports:accurate (unchanged since run {second.run_id[:8]})" in third.carried_errors
    text = summary(third, load_settings(data_dir=landing.data_dir, as_of="2026-03-12"))
    assert "Not re-run tonight and still failing" in text and "staging/waste_reports:accurate" in text
    # each rebuilt measure says why it was rebuilt; a measure of another source was not rebuilt at all
    built = {e.asset_key.to_user_string(): e.materialization.metadata
             for e in third.result.get_asset_materialization_events()}
    assert "raw.planning_applications: 1 new or changed file(s)" in built["measures/planning_decisions"][
        "built_because"].value
    assert "measures/contacts_received" not in built

    # Rebuilding everything on the same night (every asset, every check, and every GX suite validated again:
    # its stored verdicts removed) fails the same checks, ERROR and WARN.
    from quality.gx_marts import VALIDATED  # (GX is heavy to import: only where needed)

    (landing.quality_dir / "gx" / VALIDATED).unlink()
    rebuilt, _ = _night(instance, landing.data_dir, "2026-03-12", planned=False)
    night_errors, night_warnings = _failing(third)
    rebuild_errors, rebuild_warnings = _failing(rebuilt)
    assert not rebuilt.carried_errors and not rebuilt.carried_warnings  # it ran them all
    assert night_errors == rebuild_errors
    assert night_warnings == rebuild_warnings
    assert set(third.carried_warnings)  # WARN verdicts are carried, not only ERRORs
    # Great Expectations: missed bins' suite is reused on night three (its data did not change): its failure
    # still fails the check, and says which run validated it
    assert "marts/measure_values:reliable" in night_warnings & rebuild_warnings
    reliable = next(e for e in third.result.get_asset_check_evaluations()
                    if e.asset_key.to_user_string() == "marts/measure_values" and e.check_name == "reliable")
    assert not reliable.passed and f"unchanged since run {first.run_id[:8]}" in reliable.description


def test_a_check_not_rerun_reads_as_its_last_verdict_and_never_as_passed():
    instance = dg.DagsterInstance.ephemeral()
    verdicts = iter(["warn", "crash", "pass"])

    @dg.asset
    def counts() -> int:
        return 1

    @dg.asset_check(asset=counts)
    def in_range() -> dg.AssetCheckResult:
        verdict = next(verdicts)
        if verdict == "crash":
            raise RuntimeError("the check's step died")
        return dg.AssetCheckResult(passed=verdict == "pass", severity=dg.AssetCheckSeverity.WARN)

    key = dg.AssetCheckKey(dg.AssetKey("counts"), "in_range")
    night = dg.materialize([counts, in_range], instance=instance, raise_on_error=False)
    assert carried_forward(instance, {key}) == ([], [f"counts:in_range (unchanged since run {night.run_id[:8]})"])
    crashed = dg.materialize([counts, in_range], instance=instance, raise_on_error=False)
    assert carried_forward(instance, {key}) == (
        [f"counts:in_range (no verdict: its last run {crashed.run_id[:8]} did not evaluate it)"], [])
    dg.materialize([counts, in_range], instance=instance, raise_on_error=False)
    assert carried_forward(instance, {key}) == ([], [])
