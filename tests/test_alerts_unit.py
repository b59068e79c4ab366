"""What a finished run alerts (pipelines/alerts.py `alerts_for_run`), from a two-asset Dagster job with hand-set
check results, no night: ERROR at once and WARN for the digest (lateness always WARN), a failure alerted once
while it stands, again when the period or severity changes, and a failed run. tests/test_alerts.py raises the
alerts of a whole night."""

from __future__ import annotations

import logging

import dagster as dg
import duckdb
import pytest

from pipelines.alert_sensors import alert_sensors
from pipelines.alerts import Alert, AlertStore, alerts_for_run
from warehouse.settings import COUNCIL_TAG, SettingsResource, SharedSettingsResource

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN
STAGED = dg.AssetKey(["staging", "crm_contacts"])
OWNER = "customer.services@bromsgrove.example"
RESULTS: dict[str, tuple[bool, dg.AssetCheckSeverity, dict]] = {}  # check name -> tonight's (passed, severity, ...)
BREAK = "break"  # in RESULTS: the second step raises


CHECKS = ("accurate", "reliable", "timely", "verifiable", "files_readable")


@dg.asset(key=STAGED, check_specs=[dg.AssetCheckSpec(name, asset=STAGED) for name in CHECKS])
def staged_contacts():
    yield dg.Output(1)
    for name, (passed, severity, metadata) in ((n, r) for n, r in RESULTS.items() if n != BREAK):
        yield dg.AssetCheckResult(check_name=name, passed=passed, severity=severity, metadata=metadata,
                                  description=f"{name} said so")


@dg.asset(deps=[STAGED])
def breaks(context) -> None:
    if BREAK in RESULTS:
        raise RuntimeError("could not open /data/landing/crm_contacts.csv")


def _night(instance: dg.DagsterInstance, results: dict) -> list:
    """A run with tonight's check `results`; a check not named passes."""
    RESULTS.clear()
    RESULTS.update({name: (True, WARN, {}) for name in CHECKS} | results)
    done = dg.materialize([staged_contacts, breaks], instance=instance, raise_on_error=False)
    return alerts_for_run(instance, instance.get_run_by_id(done.run_id))


def _failed(period: str, **more: str) -> dict:
    return {"owner": OWNER, "source": "crm_contacts", "period": period, "rows_failed": 2, **more}


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_each_failed_check_alerts_once_while_it_stands(instance, monkeypatch) -> None:
    monkeypatch.delenv("BDC_POLICY_TEAM_EMAIL", raising=False)
    first = _night(instance, {
        "accurate": (False, ERROR, _failed("2026-10", held_back="True", sample="[row 3: UPRN is not a number]")),
        "reliable": (False, WARN, _failed("2026-10", held_back="True")),  # the source is held (by accurate)
        "timely": (False, ERROR, _failed("2026-10")),   # late: a digest item, never an ERROR alert
        "verifiable": (True, ERROR, _failed("2026-10")),
        "files_readable": (False, ERROR, _failed("2026-11", errors="crm_contacts_2026-11.csv: not UTF-8"))})
    assert [(a.kind, a.severity, a.title, a.criterion) for a in first] == [
        ("check_error", "ERROR", "[ERROR] crm_contacts: accurate", "accurate"),
        ("check_warn", "WARN", "[WARN] crm_contacts: reliable", "reliable"),
        ("check_warn", "WARN", "[WARN] crm_contacts: timely", "timely"),
        ("check_error", "ERROR", "[ERROR] crm_contacts: files_readable", "files_readable")]
    refused = first[3].body.splitlines()
    assert "Files: crm_contacts_2026-11.csv: not UTF-8" in refused
    assert refused[-1] == ("The refused file was not loaded; its source is held back at its last good data until a "
                           "corrected delivery for the same period replaces it. Everything else was published.")
    assert len({a.key for a in first}) == 4  # the store keeps one alert per key: each its own
    error = first[0]
    assert error.recipients == [OWNER, "policy.team@bromsgrove.example"]
    assert error.subject == "staging/crm_contacts"
    lines = error.body.splitlines()
    assert lines[:5] == ["ERROR: the 'accurate' check on staging/crm_contacts did not pass.",
                         "Which: crm_contacts (staging/crm_contacts), criterion accurate", "Period: 2026-10",
                         "What failed: accurate said so", "Rows failing: 2"]
    assert "Sample: [row 3: UPRN is not a number]" in lines and f"Owner: {OWNER}" in lines
    assert lines[-1].startswith("HELD BACK: crm_contacts keeps its last good data")
    assert "HELD BACK" not in first[1].body  # a WARN says nothing of the hold: the ERROR does

    # The next night, the same failures for the same period: nothing new to tell anyone.
    assert _night(instance, {"accurate": (False, ERROR, _failed("2026-10", held_back="True")),
                             "reliable": (False, WARN, _failed("2026-10")),
                             "timely": (False, ERROR, _failed("2026-10"))}) == []
    # Then another period fails, and a WARN turns into an ERROR: each alerted again.
    again = _night(instance, {"accurate": (False, ERROR, _failed("2026-11")),
                              "reliable": (False, ERROR, _failed("2026-10"))})
    assert [(a.title, a.body.splitlines()[-1]) for a in again] == [
        ("[ERROR] crm_contacts: accurate",
         "Nothing built from this data was published; readers keep the last good warehouse."),
        ("[ERROR] crm_contacts: reliable",
         "Nothing built from this data was published; readers keep the last good warehouse.")]
    # A pass in between: the same failure afterwards is news again.
    assert _night(instance, {"reliable": (True, ERROR, _failed("2026-10"))}) == []
    assert [a.title for a in _night(instance, {"reliable": (False, ERROR, _failed("2026-10"))})] == [
        "[ERROR] crm_contacts: reliable"]


def test_a_failed_run_alerts_the_policy_team_with_its_failed_step(instance, monkeypatch) -> None:
    monkeypatch.delenv("BDC_POLICY_TEAM_EMAIL", raising=False)
    monkeypatch.setenv("BDC_DAGSTER_URL", "https://dagster.example/")
    [alert] = _night(instance, {BREAK: ()})
    assert (alert.kind, alert.severity, alert.recipients) == ("run_failed", "ERROR", ["policy.team@bromsgrove.example"])
    assert alert.title.startswith("[ERROR] Run of ") and alert.title.endswith(" failed")
    lines = alert.body.splitlines()
    assert lines[0].endswith("failed; the published warehouse was not replaced.")
    assert lines[1] == "1 step(s) failed:" and lines[2].startswith("- breaks: ")
    # The step's own error, not its cause: a cause (a DuckDB conversion error, say) may quote a value from a file.
    # The cause is in the run, behind the link.
    assert "could not open" not in alert.body
    assert lines[3] == f"Run: https://dagster.example/runs/{alert.run_id}"


def test_a_failure_judging_no_period_is_alerted_once_and_says_what_it_lacks(instance) -> None:
    # A check of a whole mart judges no period and counts no rows: "all periods", "n/a", no owner recorded.
    [alert] = _night(instance, {"verifiable": (False, ERROR, {"mart": "dashboard"})})
    assert alert.body.splitlines()[1:5] == ["Which: dashboard (staging/crm_contacts), criterion verifiable",
                                            "Period: all periods", "What failed: verifiable said so",
                                            "Rows failing: n/a"]
    assert "Owner: not recorded" in alert.body.splitlines()
    assert _night(instance, {"verifiable": (False, ERROR, {"mart": "dashboard"})}) == []  # it still stands


def test_a_stored_alert_is_logged_at_its_severity_with_its_title_and_body(tmp_path, caplog) -> None:
    store = AlertStore(tmp_path / "alerts.duckdb")
    caplog.set_level(logging.DEBUG, logger="pipelines.alerts")
    for severity in ("ERROR", "WARN"):
        assert store.add(Alert(kind="check_error", severity=severity, title=f"[{severity}] title", body="body",
                               recipients=[OWNER], key_parts=(severity,)))
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", "[ERROR] title\nbody"), ("WARNING", "[WARN] title\nbody")]


def test_a_failed_step_s_error_is_cut_to_300_characters(instance, monkeypatch) -> None:
    long_name = "breaks_" + "x" * 320  # Dagster's error names the step: longer than the cut

    @dg.asset(name=long_name, deps=[STAGED])
    def breaks_long() -> None:
        raise RuntimeError("could not open the file")

    RESULTS.clear()
    RESULTS.update({name: (True, WARN, {}) for name in CHECKS})
    done = dg.materialize([staged_contacts, breaks_long], instance=instance, raise_on_error=False)
    [alert] = alerts_for_run(instance, instance.get_run_by_id(done.run_id))
    [step] = [line for line in alert.body.splitlines() if line.startswith("- ")]
    assert step.startswith(f"- {long_name}: ") and len(step.removeprefix(f"- {long_name}: ")) == 300


def test_a_measure_s_check_is_named_by_the_measure(instance) -> None:
    [alert] = _night(instance, {"verifiable": (False, ERROR, _failed("2026-10", measure="missed_bins"))})
    assert alert.title == "[ERROR] missed_bins: verifiable"
    assert "Which: missed_bins (staging/crm_contacts), criterion verifiable" in alert.body.splitlines()


def _sensor_says(sensor, instance: dg.DagsterInstance, run_id: str, settings: SettingsResource):
    """What an alert_on_checks sensor returns for one finished run (None: it raised alerts)."""
    success = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records[-1]
    with dg.build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_event=success.event_log_entry.dagster_event, dagster_instance=instance,
            dagster_run=instance.get_run_by_id(run_id), resources={"settings": settings}) as context:
        return sensor(context)


def _alert_titles(path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [title for (title,) in con.execute("SELECT title FROM audit.alerts ORDER BY title").fetchall()]


def test_an_alert_sensor_alerts_on_its_own_council_s_runs_only(instance, tmp_path) -> None:
    runs = {}
    for council, accurate in (("bromsgrove", (True, ERROR, {})), ("redditch", (False, ERROR, _failed("2026-10")))):
        RESULTS.clear()
        RESULTS.update({name: (True, WARN, {}) for name in CHECKS} | {"accurate": accurate})
        runs[council] = dg.materialize([staged_contacts, breaks], instance=instance,
                                       tags={COUNCIL_TAG: council}).run_id
    shared = SharedSettingsResource(data_dir=str(tmp_path / "shared"))
    [redditch_sensor] = [s for s in alert_sensors("redditch") if s.name == "redditch__alert_on_checks"]
    # The shared location's Redditch sensor: Bromsgrove's run is not its business; Redditch's run is.
    assert _sensor_says(redditch_sensor, instance, runs["bromsgrove"], shared).skip_message == "another council's run"
    assert _sensor_says(redditch_sensor, instance, runs["redditch"], shared) is None
    assert _alert_titles(shared.for_council("redditch").get().alerts_path) == ["[ERROR] crm_contacts: accurate"]
    assert not shared.for_council("bromsgrove").get().alerts_path.exists()
    # A council's own location (its sensors named for no council) alerts on every run it sees.
    own = SettingsResource(data_dir=str(tmp_path / "own"))
    [own_sensor] = [s for s in alert_sensors() if s.name == "alert_on_checks"]
    assert _sensor_says(own_sensor, instance, runs["redditch"], own) is None
    assert _alert_titles(own.get().alerts_path) == ["[ERROR] crm_contacts: accurate"]
