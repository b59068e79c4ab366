"""Playing the Dagster daemon over the simulation's instance: the 02:00 schedule, the landing sensors, the alert
sensors, the outputs once a round of publishes is over, run monitoring and run retries (deploy/dagster.yaml), and the
published-check timer that runs without the daemon.

Runs go through the same definitions production loads (`pipelines.definitions`): the schedule's and the
sensors' own functions decide what to run, and `pipelines.nightly.run_nightly` executes it. A run with a fault
is launched in its own process under `faketime` (pipelines/simulation/worker.py) so that it can be killed or
crash for real; the others run in this process, with the one clock (warehouse/clock.py) set to the simulated
time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from assets.common import PUBLISHED, code_fingerprint
from pipelines.alert_sensors import ALERT_SENSORS, check_published
from pipelines.definitions import LANDING_SENSORS, build_definitions, nightly_schedule, published_outputs
from pipelines.locations import planned_request
from pipelines.nightly import run_nightly
from pipelines.selection import NightPlan
from pipelines.simulation.calendar import RUN_FAULTS
from warehouse import clock
from warehouse.settings import SettingsResource, load_settings

ROOT = Path(__file__).resolve().parent.parent.parent
SENSORS = {s.name: s for s in ALERT_SENSORS}
WORKER_TIMEOUT = 1800


class SimClock:
    """The one clock at the simulated time: `BDC_AS_OF` and `warehouse.clock`'s time functions follow it."""

    def __init__(self) -> None:
        self.now = dt.datetime(2000, 1, 1)
        self._saved = (clock.timestamp, clock.timestamp_utc)
        clock.timestamp = lambda: self.now
        clock.timestamp_utc = lambda: self.now.astimezone(dt.UTC)

    def set(self, when: dt.datetime) -> None:
        self.now = when
        os.environ["BDC_AS_OF"] = when.date().isoformat()

    def restore(self) -> None:
        clock.timestamp, clock.timestamp_utc = self._saved


@dataclass
class Worker:
    """A run started in a process of its own."""

    process: subprocess.Popen
    run_id: str
    job: str
    plan: NightPlan | None
    tags: dict[str, str]
    at: dt.datetime
    fault: str | None
    spec: Path
    started: float  # time.monotonic()


@dataclass
class RunResult:
    run_id: str
    job: str
    trigger: str
    at: dt.datetime
    success: bool
    fault: str | None = None
    published: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


class Daemon:
    """One simulated Dagster daemon, with its instance, cursors and run history."""

    def __init__(self, instance: dg.DagsterInstance, sim_clock: SimClock, work: Path, env: dict[str, str]) -> None:
        self.instance, self.clock, self.work, self.env = instance, sim_clock, work, env
        self.resources = {"settings": SettingsResource()}  # the environment's settings, as the daemon's
        self.defs = build_definitions(self.resources["settings"])
        self.cursors: dict[str, str | None] = {}
        self.runs: list[RunResult] = []
        self.quiet_nights: list[dt.date] = []  # nights the schedule recorded as quiet (no run)
        self.outputs_due = False

    # -- the schedule and the sensors ------------------------------------------------------------------------

    def nightly(self, at: dt.datetime, fault: str | None = None) -> None:
        """The 02:00 tick: the schedule's own function plans the run (none on a quiet night)."""
        tick = self._schedule_tick(at, allow_quiet=fault is None)
        if tick is None:
            self.quiet_nights.append(at.date())
        else:
            self.launch("nightly", *tick, at, fault)

    def _schedule_tick(self, at: dt.datetime, allow_quiet: bool = True) -> tuple[NightPlan, dict[str, str]] | None:
        """The nightly schedule's evaluation at `at`: its plan and its run tags, or None on a quiet night (the
        schedule recorded it). A night with a run fault to inject has its run even when it would be quiet."""
        self.clock.set(at)
        with dg.build_schedule_context(instance=self.instance, scheduled_execution_time=at,
                                       resources=self.resources) as context:
            if allow_quiet:
                request = nightly_schedule(context)
            else:
                night = self.resources["settings"].get()
                request = planned_request(self.instance, night, code_fingerprint(night), "a fault to inject")
        if isinstance(request, dg.SkipReason):
            return None
        return NightPlan(set(request.asset_selection), set(request.asset_check_keys)), request.tags

    def landing(self, at: dt.datetime) -> None:
        """Two ticks of every landing sensor a minute apart (a file counts once it is stable), and their runs."""
        for minute in (0, 1):
            for sensor in LANDING_SENSORS:
                self.clock.set(at + dt.timedelta(minutes=minute))
                with dg.build_sensor_context(instance=self.instance, cursor=self.cursors.get(sensor.name),
                                             resources=self.resources) as context:
                    result = sensor(context)
                    self.cursors[sensor.name] = context.cursor
                if isinstance(result, dg.RunRequest):  # as the daemon: the assets and all their checks
                    self.launch("nightly", NightPlan(set(result.asset_selection), None), result.tags,
                                self.clock.now)

    def morning(self, day: dt.date) -> None:
        """The day's alert ticks: the missed-night sensor, the WARN digest and the overdue sources."""
        for at, name in ((dt.time(6, 15), "nightly_missed"), (dt.time(7, 5), "warn_digest"),
                         (dt.time(8, 0), "overdue_sources")):
            self.clock.set(dt.datetime.combine(day, at))
            with dg.build_sensor_context(instance=self.instance, resources=self.resources) as context:
                SENSORS[name](context)

    def published_check(self, day: dt.date) -> None:
        """The systemd timer at 06:30, which needs no daemon (`pipelines.cli check-published`, which runs
        `check_published`)."""
        self.clock.set(dt.datetime.combine(day, dt.time(6, 30)))
        # What the CLI runs: alerts when nothing was published.
        check_published("the published-check timer", load_settings())

    # -- runs ------------------------------------------------------------------------------------------------

    def launch(self, job: str, plan: NightPlan | None, tags: dict[str, str], at: dt.datetime,
               fault: str | None = None) -> RunResult:
        """Run `job` (the nightly job's `plan`, or the whole job), then what the daemon does after a run."""
        self.clock.set(at)
        if fault in RUN_FAULTS:
            result = self._in_worker(job, plan, tags, at, fault)
        else:
            started = time.monotonic()  # how long the run took, for the report
            outcome = run_nightly(self.defs, instance=self.instance, log_level="ERROR", job_name=job, plan=plan,
                                  tags=tags)
            result = RunResult(outcome.run_id, job, tags.get("bdc/trigger", job), at, outcome.success,
                               published=_published_by(self.instance, outcome.run_id),
                               seconds=time.monotonic() - started)
        self.runs.append(result)
        self._after(result, plan, tags)
        return result

    def _in_worker(self, job: str, plan: NightPlan | None, tags: dict[str, str], at: dt.datetime,
                   fault: str) -> RunResult:
        """The run in a process of its own, under faketime at the simulated time, with the fault injected."""
        return self._finish(self._start_worker(job, plan, tags, at, fault))

    def nightly_in_background(self, at: dt.datetime) -> Worker:
        """The 02:00 tick's run in a process of its own, left running (to race a second run against it)."""
        plan, tags = self._schedule_tick(at, allow_quiet=False)  # the race needs a run
        return self._start_worker("nightly", plan, tags, at, None)

    def finish_background(self, worker: Worker) -> RunResult:
        result = self._finish(worker)
        self.runs.append(result)
        self._after(result, worker.plan, worker.tags)
        return result

    def _start_worker(self, job: str, plan: NightPlan | None, tags: dict[str, str], at: dt.datetime,
                      fault: str | None) -> Worker:
        run_id = str(uuid.uuid4())
        spec = self.work / f"run-{run_id}.json"
        spec.write_text(json.dumps({"job": job, "run_id": run_id, "tags": tags, "fault": fault,
                                    "assets": sorted(json.dumps(k.path) for k in plan.assets) if plan else None,
                                    "checks": sorted(json.dumps([c.asset_key.path, c.name]) for c in plan.checks)
                                    if plan and plan.checks is not None else None}))
        env = {**os.environ, **self.env, **faked_clock(at), "BDC_AS_OF": at.date().isoformat(),
               "PYTHONFAULTHANDLER": "1"}
        command = [sys.executable, "-m", "pipelines.simulation.worker", str(spec)]
        log_file = (self.work / f"run-{run_id}.log").open("w")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        return Worker(process, run_id, job, plan, tags, at, fault, spec, time.monotonic())

    def _finish(self, worker: Worker) -> RunResult:
        returncode = worker.process.wait(timeout=WORKER_TIMEOUT)
        seconds = time.monotonic() - worker.started
        worker.spec.unlink(missing_ok=True)
        output = (self.work / f"run-{worker.run_id}.log").read_text(errors="replace")
        notes = [f"worker exit code {returncode}"]
        run = self.instance.get_run_by_id(worker.run_id)
        if returncode < 0:  # killed by a signal: the run is left STARTED, as after a dead worker
            notes.append(f"killed by {signal.Signals(-returncode).name}")
            if run is not None and not run.is_finished:
                # What run monitoring (deploy/dagster.yaml) does once the run passes its maximum runtime.
                self.instance.report_run_failed(run, "The run worker died (a signal); marked failed by run "
                                                     "monitoring after the run's maximum runtime.")
        elif returncode > 0:
            notes.append(output[-600:])
        run = self.instance.get_run_by_id(worker.run_id)
        success = run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        published = success and _published_by(self.instance, worker.run_id)
        return RunResult(worker.run_id, worker.job, worker.tags.get("bdc/trigger", worker.job), worker.at, success,
                         worker.fault, published, seconds, notes)

    def _after(self, result: RunResult, plan: NightPlan | None, tags: dict[str, str]) -> None:
        """The run-status sensors, run retries (a dead worker only) and the outputs after a publish."""
        run = self.instance.get_run_by_id(result.run_id)
        if run is None:
            return
        event_type = dg.DagsterEventType.RUN_SUCCESS if result.success else dg.DagsterEventType.RUN_FAILURE
        records = self.instance.get_records_for_run(result.run_id, of_type=event_type).records
        if records:
            with dg.build_run_status_sensor_context(
                    sensor_name="alert_on_checks" if result.success else "alert_on_failed_run",
                    dagster_event=records[-1].event_log_entry.dagster_event, dagster_instance=self.instance,
                    dagster_run=run, resources=self.resources) as context:
                if result.success:
                    SENSORS["alert_on_checks"](context)
                else:
                    SENSORS["alert_on_failed_run"](context.for_run_failure())
        if not result.success and any(n.startswith("killed by") for n in result.notes) and \
                "dagster/parent_run_id" not in tags:  # run_retries: retry_on_asset_or_op_failure is false
            retry_at = result.at + dt.timedelta(hours=2, minutes=5)
            self.launch(result.job, plan, {**tags, "dagster/parent_run_id": result.run_id,
                                           "dagster/retry_number": "1"}, retry_at)
        if result.published:
            self.outputs_due = True

    def outputs(self) -> None:
        """The `published_outputs` sensor's tick once a round of runs is over (the 02:00 run and its retry, or
        the runs one hour's deliveries started): like Dagster's asset sensor, it builds the outputs once from
        the latest publish, however many publishes came before the tick."""
        if self.outputs_due:
            self.outputs_due = False
            self._outputs()

    def _outputs(self) -> None:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursors.get("published_outputs"),
                                          definitions=self.defs)
        evaluated = published_outputs(context)
        self.cursors["published_outputs"] = context.cursor
        requests = [evaluated] if isinstance(evaluated, dg.RunRequest) else list(evaluated or [])
        for request in requests:
            if isinstance(request, dg.RunRequest):
                self.launch("outputs", None, {"bdc/trigger": "published_outputs"}, self.clock.now)


# libfaketime also wraps stat(), taking a process-wide semaphore around each call to rewrite the file times. For
# a fixed fake time (`@...`) it changes no file time (a file's st_mtime reads the same faked and not), but a
# simulated worker once hung for good in that lock, in DuckDB's fstat while checkpointing at close (the
# semaphore at 0, its only waiter the main thread, no other thread inside libfaketime). NO_FAKE_STAT=1 (read by
# Debian's libfaketime 0.9.10) leaves stat() alone: the lock is never taken.
FAKETIME_OPTIONS = {"NO_FAKE_STAT": "1"}


def faked_clock(at: dt.datetime) -> dict[str, str]:
    """The environment that starts a process's clock at `at` (Debian's libfaketime, preloaded directly rather
    than through the `faketime` wrapper, so that a signal killing the process shows in its exit status)."""
    library = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))), None)
    if library is None:
        raise RuntimeError("Debian's faketime is not installed (make simulate installs it: apt-get install faketime)")
    return {"LD_PRELOAD": str(library), "FAKETIME": f"@{at:%Y-%m-%d %H:%M:%S}", **FAKETIME_OPTIONS}


def _published_by(instance: dg.DagsterInstance, run_id: str) -> bool:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return any(r.event_log_entry.dagster_event.asset_key == PUBLISHED for r in records)
