"""A run left STARTED by a dead worker (killed with the daemon, out of memory, a native crash) must not block
every later night: with one writer allowed, it would hold the queue's only slot and, producing no run, no alert
either. The deployed instance (deploy/dagster.yaml) monitors runs: past the nightly job's maximum runtime the
run is marked failed, and the queue then launches the next night's run.

The test loads deploy/dagster.yaml as a council would (only the storage is SQLite in a temp folder instead of
PostgreSQL, and the run launcher records launches instead of starting processes) and drives the daemon's own
run-monitoring and run-queue iterations over the project's workspace."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.test_utils import create_run_for_test, create_test_daemon_workspace_context
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._daemon.monitoring.run_monitoring import execute_run_monitoring_iteration
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

from pipelines.definitions import NIGHTLY_MAX_RUNTIME_SECONDS, nightly_job, nightly_schedule

pytestmark = pytest.mark.night  # runs in processes of their own

ROOT = Path(__file__).resolve().parent.parent
DEPLOYED = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())


def test_the_deployed_instance_monitors_and_retries_runs_and_the_schedule_runs_by_default():
    assert DEPLOYED["run_monitoring"]["enabled"] is True
    assert DEPLOYED["run_retries"] == {"enabled": True, "max_retries": 1, "retry_on_asset_or_op_failure": False}
    assert nightly_job.tags["dagster/max_runtime"] == "7200"  # two hours: the README's promise
    assert nightly_schedule.default_status == dg.DefaultScheduleStatus.RUNNING


@pytest.fixture
def deployed_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    config = {**DEPLOYED, "storage": {"sqlite": {"base_dir": str(tmp_path / "storage")}},
              "compute_logs": {**DEPLOYED["compute_logs"],
                               "config": {"base_dir": str(tmp_path / "logs")}},
              "run_launcher": {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"}}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("BDC_DATA_DIR", str(tmp_path / "data"))
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    yield instance
    instance.dispose()


def _queue_once(context) -> None:
    list(QueuedRunCoordinatorDaemon(interval_seconds=1).run_iteration(context))


def _workspace(instance: dg.DagsterInstance):
    return create_test_daemon_workspace_context(WorkspaceFileTarget(paths=[str(ROOT / "workspace.yaml")]), instance)


def _nightly_run(instance: dg.DagsterInstance, context, status: dg.DagsterRunStatus) -> dg.DagsterRun:
    """A run of the nightly job as the schedule would create it (with its tags and its code location)."""
    location = next(iter(context.create_request_context().get_code_location_entries().values())).code_location
    repository = next(iter(location.get_repositories().values()))
    job = repository.get_full_job("nightly")
    return create_run_for_test(instance, job_name="nightly", tags=dict(nightly_job.tags), status=status,
                               remote_job_origin=job.get_remote_origin(),
                               job_code_origin=job.get_python_origin())


def _started(instance: dg.DagsterInstance, run: dg.DagsterRun, seconds_ago: float) -> None:
    instance.report_dagster_event(dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, job_name="nightly"),
                                  run.run_id, timestamp=time.time() - seconds_ago)


def test_a_run_left_started_by_a_dead_worker_is_failed_and_the_next_night_runs(deployed_instance):
    instance = deployed_instance
    with _workspace(instance) as context:
        stuck = _nightly_run(instance, context, dg.DagsterRunStatus.STARTING)
        # Its worker started it more than the nightly job's maximum runtime ago, then died without a word.
        _started(instance, stuck, NIGHTLY_MAX_RUNTIME_SECONDS + 60)
        assert instance.get_run_by_id(stuck.run_id).status == dg.DagsterRunStatus.STARTED
        next_night = _nightly_run(instance, context, dg.DagsterRunStatus.QUEUED)

        _queue_once(context)
        assert not instance.run_launcher.did_run_launch(next_night.run_id)  # one writer: the stuck run holds it

        list(execute_run_monitoring_iteration(context, logging.getLogger("run_monitoring")))
        assert instance.get_run_by_id(stuck.run_id).status == dg.DagsterRunStatus.FAILURE

        _queue_once(context)
        assert instance.run_launcher.did_run_launch(next_night.run_id)


def test_a_run_within_its_runtime_is_left_alone(deployed_instance):
    instance = deployed_instance
    with _workspace(instance) as context:
        running = _nightly_run(instance, context, dg.DagsterRunStatus.STARTING)
        _started(instance, running, 600)
        list(execute_run_monitoring_iteration(context, logging.getLogger("run_monitoring")))
    assert instance.get_run_by_id(running.run_id).status == dg.DagsterRunStatus.STARTED


def test_neither_instance_asks_a_first_visitor_for_an_email_address(deployed_instance, tmp_path, monkeypatch):
    # The UI's "new user experience" pop-up (an e-mail sign-up) is off in the deployed and the project's instance.
    assert deployed_instance.nux_enabled is False
    local = tmp_path / "local"
    local.mkdir()
    (local / "dagster.yaml").write_text((ROOT / ".dagster" / "dagster.yaml").read_text())
    instance = dg.DagsterInstance.from_config(str(local))
    try:
        assert instance.nux_enabled is False
    finally:
        instance.dispose()


def test_a_command_line_run_shows_on_the_job_page_and_the_timeline_like_the_schedules(deployed_instance):
    # `make run` executes the job in its own process. The Dagster UI's job page lists runs by the hidden
    # .dagster/repository tag and its timeline drops runs without a job origin: both must be the ones the
    # schedule's runs of the workspace's code location carry (pipelines/ui_origin.py).
    from dagster._core.storage.tags import REPOSITORY_LABEL_TAG

    from pipelines.nightly import run_nightly

    @dg.asset
    def one() -> None:
        return None

    tiny = dg.Definitions(assets=[one], jobs=[dg.define_asset_job("nightly", selection=[one])])
    outcome = run_nightly(tiny, instance=deployed_instance)
    assert outcome.success
    with _workspace(deployed_instance) as context:
        location = next(iter(context.create_request_context().get_code_location_entries().values())).code_location
        schedules_origin = next(iter(location.get_repositories().values())).get_full_job("nightly").get_remote_origin()
    run = deployed_instance.get_run_by_id(outcome.run_id)
    assert run.remote_job_origin.get_id() == schedules_origin.get_id()
    label = schedules_origin.repository_origin.get_label()
    on_job_page = deployed_instance.get_runs(dg.RunsFilter(job_name="nightly", tags={REPOSITORY_LABEL_TAG: label}))
    assert [r.run_id for r in on_job_page] == [outcome.run_id]
    assert run.tags["dagster/max_retries"] == "0" and run.status == dg.DagsterRunStatus.SUCCESS


def test_a_run_whose_ui_origin_cannot_be_worked_out_still_runs(deployed_instance, monkeypatch, tmp_path, caplog):
    from pipelines import ui_origin
    from pipelines.nightly import run_nightly

    @dg.asset
    def one() -> None:
        return None

    monkeypatch.setattr(ui_origin, "WORKSPACE_YAML", tmp_path / "no-workspace.yaml")
    tiny = dg.Definitions(assets=[one], jobs=[dg.define_asset_job("nightly", selection=[one])])
    with caplog.at_level(logging.WARNING, logger="pipelines.ui_origin"):
        outcome = run_nightly(tiny, instance=deployed_instance)
    assert outcome.success and deployed_instance.get_run_by_id(outcome.run_id).remote_job_origin is None
    assert "listed under Runs only" in caplog.text
