"""Retention: Dagster's run history (runs, their event logs and step logs), the GX validation results and
Data Docs pages, and the nightly command's log files (`<data dir>/logs/run-<night>.log`) are kept for
BDC_RETENTION_DAYS (default 365) before the night they are judged on, then deleted. Run metadata holds no
personal data (assets/common.py), but a retention period is what a DPIA asks for, and history kept for ever is
a liability. Runs daily at 05:00 (after the night's load and outputs) and from `pipelines.cli prune`. The
warehouse's own history (audit.*) is the council's record and is not pruned."""


import datetime as dt
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager

from pipelines.sensors import council_runs, located
from warehouse.settings import COUNCIL_TAG, Settings, SettingsResource

log = logging.getLogger(__name__)
DEFAULT_RETENTION_DAYS = 365
GX_RUN_FOLDER = re.compile(r"(\d{8}T\d{6})\.\d+Z")  # how GX names a validation run's folder (its UTC time)
ACTIVE = {dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.QUEUED,
          dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.CANCELING}


def retention_days() -> int:
    """BDC_RETENTION_DAYS: how many days of run history and GX results are kept (at least 1)."""
    days = int(os.environ.get("BDC_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS)))
    if days < 1:
        raise ValueError(f"BDC_RETENTION_DAYS must be at least 1, not {days}")
    return days


@dataclass(frozen=True)
class Pruned:
    runs: int
    gx_results: int
    cutoff: dt.datetime
    log_files: int = 0

    def summary(self) -> str:
        return (f"pruned {self.runs} Dagster run(s), {self.gx_results} GX result folder(s) and {self.log_files} "
                f"run log file(s) from before {self.cutoff:%Y-%m-%d}")


def prune_history(instance: dg.DagsterInstance, quality_dir: Path, cutoff: dt.datetime,
                  logs_dir: Path | None = None, settings: Settings | None = None) -> Pruned:
    """Delete finished runs created before `cutoff` (UTC, naive) with their event logs and step logs (except a
    run that still holds an asset's latest build), GX validation results and Data Docs pages from before it
    (the next GX run rebuilds the index), and the nightly command's log files (`logs_dir`) of nights before it.
    With `settings`, the runs are those `council_runs` counts as the council's (in the shared location, its own)."""
    records = (council_runs(instance, settings, dg.RunsFilter(created_before=cutoff.replace(tzinfo=dt.UTC)))
               if settings else instance.get_run_records(dg.RunsFilter(created_before=cutoff.replace(tzinfo=dt.UTC))))
    # The run that last built an asset is kept whatever its age: the night planner reads that build's code version
    # and night (pipelines/selection.py), and without it would rebuild everything.
    keep = {entry.asset_entry.last_materialization_record.run_id
            for entry in instance.get_asset_records()
            if entry.asset_entry.last_materialization_record is not None}
    runs = 0
    for record in records:
        if record.dagster_run.status in ACTIVE or record.dagster_run.run_id in keep:
            continue
        run_id = record.dagster_run.run_id
        instance.delete_run(run_id)
        logs = instance.compute_log_manager
        if isinstance(logs, LocalComputeLogManager):
            shutil.rmtree(Path(logs._base_dir) / run_id, ignore_errors=True)  # noqa: SLF001 (no public path)
        runs += 1
    folders = 0
    for folder in sorted(quality_dir.rglob("*")) if quality_dir.is_dir() else []:
        match = GX_RUN_FOLDER.fullmatch(folder.name)
        if match and folder.is_dir() and dt.datetime.strptime(match[1], "%Y%m%dT%H%M%S") < cutoff:
            shutil.rmtree(folder)
            folders += 1
    return Pruned(runs, folders, cutoff, prune_run_logs(logs_dir, cutoff.date()) if logs_dir else 0)


def prune_run_logs(logs_dir: Path, before: dt.date) -> int:
    """Delete `run-<night>.log` files of nights before `before`; returns how many."""
    deleted = 0
    for path in sorted(logs_dir.glob("run-*.log")) if logs_dir.is_dir() else []:
        try:
            night = dt.date.fromisoformat(path.stem.removeprefix("run-"))
        except ValueError:  # not one of ours: left alone
            continue
        if night < before:
            path.unlink()
            deleted += 1
    return deleted


def cutoff_for(settings: Settings, days: int | None = None) -> dt.datetime:
    """Midnight at the start of the night `days` (default BDC_RETENTION_DAYS) before the run's night."""
    start = settings.as_of - dt.timedelta(days=days if days is not None else retention_days())
    return dt.datetime.combine(start, dt.time())


@dg.op(description="Deletes Dagster runs, their logs, GX results and the nightly command's log files older than "
                   "BDC_RETENTION_DAYS (default 365).")
def prune_old_history(context: dg.OpExecutionContext, settings: SettingsResource) -> None:
    resolved = settings.get()
    pruned = prune_history(context.instance, resolved.quality_dir, cutoff_for(resolved), resolved.logs_dir,
                           resolved)  # in the shared location, the council's own runs only
    context.log.info(pruned.summary())


def retention(council: str | None = None) -> tuple[dg.JobDefinition, dg.ScheduleDefinition]:
    """The retention job and its 05:00 schedule: a council's own location's, or (`council`) one council's in the
    shared location (`<council>__retention_job`, its runs tagged with it: its GX results and log files)."""
    tags = {COUNCIL_TAG: council} if council else None

    @dg.job(name=located("retention_job", council), tags=tags,
            description="Retention: old Dagster run history and GX results are deleted (pipelines/retention.py).")
    def retention_job() -> None:
        prune_old_history()

    schedule = dg.ScheduleDefinition(
        name=located("retention_0500", council), job=retention_job,
        cron_schedule="0 5 * * *", execution_timezone="Europe/London", default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Deletes Dagster run history and GX results older than BDC_RETENTION_DAYS, daily at 05:00.")
    return retention_job, schedule


retention_job, retention_schedule = retention()
