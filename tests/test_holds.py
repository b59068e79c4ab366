"""One source's bad delivery holds back only what is built from that source, and the hold is remembered: no row
of the failed file reaches the published warehouse, that night or on any later run (including a run started
for a sibling source that rebuilds the fact table they share), while every other source is refreshed and
published. A corrected delivery releases it.

Two sources feed `core.fact_cases`: street-scene reports (waste) and planning decisions. The files are written
here by hand, small enough to count.
"""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.definitions import affected_by, build_definitions
from pipelines.nightly import run_nightly
from pipelines.selection import NightPlan
from sources.reader import file_sha256
from tests.conftest import query
from warehouse.settings import SettingsResource

pytestmark = pytest.mark.night  # each test runs several nights

WASTE = "Report Ref,Report Type,Reported At,Completed At,UPRN,Reporter Name,Reporter Phone,Description"
PLANNING = ("Application Number,Application Type,Date Received,Date Valid,Decision Date,Decision,Extension Agreed,"
            "UPRN,Applicant Name,Agent Name,Proposal")


def _waste(month: int, refs: list[str]) -> str:
    rows = [f"{ref},Missed bin - residual,{3 + i % 20:02d}/{month:02d}/2026 09:00,{3 + i % 20:02d}/{month:02d}/2026 "
            f"15:00,1001,A Person,07700 900111,Bin missed" for i, ref in enumerate(refs)]
    return "\r\n".join([WASTE, *rows]) + "\r\n"


def _planning(month: int, refs: list[str]) -> str:
    rows = [f"{ref},Minor,01/{month:02d}/2026,02/{month:02d}/2026,{10 + i:02d}/{month:02d}/2026,Granted,N,"
            f"1001,A Applicant,An Agent,Extension" for i, ref in enumerate(refs)]
    return "\r\n".join([PLANNING, *rows]) + "\r\n"


@pytest.fixture
def night(warehouse_env):
    """Run the nightly job as the night `as_of`, on the test's folder (the settings resource, not the
    environment, says which night and where)."""
    def _run(as_of: str, plan: NightPlan | None = None):
        settings = SettingsResource(data_dir=str(warehouse_env.data_dir), as_of=as_of)
        return run_nightly(build_definitions(settings), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR",
                           plan=plan)

    return _run


def _errors(outcome) -> list[str]:
    """ERROR checks other than lateness (the fixture has no file of most sources, which are therefore late)."""
    return [c for c in outcome.checks_errored if not c.endswith(":timely")]


def _sources_in_facts(analyst, sha: str) -> int:
    return query(analyst, "SELECT count(*) FROM core.fact_cases WHERE _file_sha256 = ?", [sha])[0][0]


def test_a_bad_file_holds_back_only_its_source_until_a_corrected_one_passes(landing, night):
    settings = landing
    waste, planning = settings.landing_dir / "waste_reports", settings.landing_dir / "planning_applications"
    published, working = settings.published_path, settings.warehouse_path
    analyst = settings.analyst_path  # the record-level facts
    (waste / "street_scene_reports_2026-01.csv").write_text(_waste(1, [f"W1{n}" for n in range(5)]), "utf-8-sig")
    (planning / "planning_decisions_2026-01.csv").write_text(_planning(1, ["P1", "P2"]), "utf-8")
    first = night("2026-03-10")
    assert first.success and not _errors(first), _errors(first)

    # Night two: February's street-scene file repeats 10 of its 25 reports (40% of the file fails its unique
    # key; more than 5% fails `accurate`); planning's February file is fine.
    bad = waste / "street_scene_reports_2026-02.csv"
    refs = [f"W2{n:02d}" for n in range(15)]
    bad.write_text(_waste(2, refs + refs[:10]), "utf-8-sig")
    (planning / "planning_decisions_2026-02.csv").write_text(_planning(2, ["P3", "P4", "P5"]), "utf-8")
    second = night("2026-03-11")
    assert second.success, "a held-back source does not fail the night"
    assert _errors(second) == ["staging/waste_reports:accurate"]
    bad_sha = file_sha256(bad)
    assert _sources_in_facts(analyst, bad_sha) == 0
    assert query(working, "SELECT count(*) FROM staging.waste_reports")[0][0] == 5  # January's, as before
    # planning was refreshed and published: 2 + 3 decisions
    assert query(analyst, "SELECT count(*) FROM core.fact_cases WHERE service = 'planning'")[0][0] == 5
    assert query(published, "SELECT max(run_id) FROM marts.publish_info")[0][0] == second.run_id
    held = dict(query(published, "SELECT measure_id, held_back FROM marts.data_holds"))
    assert held["missed_bins"] is True and held["planning_decisions"] is False
    assert query(published, """SELECT bool_and(held_back) FROM marts.dashboard_operational
                               WHERE measure_id = 'missed_bins'""")[0][0] is True
    (reason,) = query(published, "SELECT reason FROM audit.holds WHERE subject = 'waste_reports' "
                                 "AND released_at IS NULL")[0]
    assert "accurate" in reason and "10 of 25 rows failed" in reason
    evaluation = next(e for e in second.result.get_asset_check_evaluations()
                      if e.asset_key.to_user_string() == "staging/waste_reports" and e.check_name == "accurate")
    assert evaluation.description.startswith("HELD BACK")

    # A later run for planning alone (a landing sensor's) rebuilds the fact table both sources feed: the failed
    # rows stay out, because the hold is in the data, not in one run's plan.
    (planning / "planning_decisions_2026-03.csv").write_text(_planning(3, ["P6"]), "utf-8")
    only_planning = affected_by("planning_applications")
    third = night("2026-04-01", NightPlan(set(only_planning), None))
    assert third.success
    assert _sources_in_facts(analyst, bad_sha) == 0
    assert query(analyst, "SELECT count(*) FROM core.fact_cases WHERE service = 'planning'")[0][0] == 6

    # The corrected February file (15 reports, each once) replaces the bad one and releases the hold.
    (waste / "street_scene_reports_2026-02-corrected.csv").write_text(_waste(2, refs), "utf-8-sig")
    fourth = night("2026-04-02")
    assert fourth.success and not _errors(fourth), _errors(fourth)
    assert _sources_in_facts(analyst, bad_sha) == 0  # superseded: out of scope, never published
    assert query(analyst, "SELECT count(*) FROM core.fact_cases WHERE service = 'street_scene'")[0][0] == 20
    assert query(published, "SELECT count(*) FROM audit.holds WHERE released_at IS NULL")[0][0] == 0
    assert not any(h for _, h in query(published, "SELECT measure_id, held_back FROM marts.data_holds"))


def test_a_refused_file_holds_back_its_source_and_a_later_delivery_for_the_period_releases_it(landing,
                                                                                            night):
    settings = landing
    waste = settings.landing_dir / "waste_reports"
    (waste / "street_scene_reports_2026-01.csv").write_text(_waste(1, ["W10", "W11", "W12"]), "utf-8-sig")
    assert night("2026-03-10").success

    # February arrives without its Reported At column, with March alongside: both are held back (March's rows are
    # fine, but the source's February is missing), and the staged data stays January's.
    broken = _waste(2, ["W20", "W21"]).replace("Reported At,", "").replace(",03/02/2026 09:00", "")
    broken = broken.replace(",04/02/2026 09:00", "")
    (waste / "street_scene_reports_2026-02.csv").write_text(broken, "utf-8-sig")
    (waste / "street_scene_reports_2026-03.csv").write_text(_waste(3, ["W30"]), "utf-8-sig")
    second = night("2026-04-06")
    assert second.success
    assert _errors(second) == ["raw/waste_reports:files_readable"]
    assert query(settings.warehouse_path, "SELECT count(*) FROM staging.waste_reports")[0][0] == 3
    assert query(settings.analyst_path, "SELECT count(*) FROM core.fact_cases WHERE service = 'street_scene'"
                 )[0][0] == 3
    refused = query(settings.published_path, "SELECT file_name, resolved_at FROM audit.refused_files")
    assert refused == [("street_scene_reports_2026-02.csv", None)]

    # The same night again, nothing new: still held (the refusal is remembered, not forgotten by a quiet run).
    assert night("2026-04-07").success
    assert query(settings.warehouse_path, "SELECT count(*) FROM staging.waste_reports")[0][0] == 3

    # February re-sent under a new name, whole: the refusal is resolved and February and March are staged.
    (waste / "street_scene_reports_2026-02-resent.csv").write_text(_waste(2, ["W20", "W21"]), "utf-8-sig")
    third = night("2026-04-08")
    assert third.success and not _errors(third), _errors(third)
    assert query(settings.warehouse_path, "SELECT count(*) FROM staging.waste_reports")[0][0] == 6
    (resolution,) = query(settings.published_path, "SELECT resolution FROM audit.refused_files")[0]
    assert resolution.startswith("replaced by street_scene_reports_2026-02-resent.csv")
