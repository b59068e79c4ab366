"""The simulated nights, end to end, and the report (`<out>/report.json`)."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.simulation.calendar import (
    FAULT_KINDS,
    MONTHLY,
    RUN_FAULTS,
    Calendar,
    Delivery,
    as_dict,
    build_calendar,
    due_date,
)
from pipelines.simulation.daemon import Daemon, SimClock, faked_clock
from pipelines.simulation.deliveries import Deliveries
from pipelines.simulation.invariants import Expected, Invariants, Violation, check_alerts, owner_of
from sources import CONTRACTS
from warehouse.db import is_lock_error
from warehouse.reporting_periods import add_months
from warehouse.settings import load_settings

log = logging.getLogger("pipelines.simulation")
NIGHTLY_AT = dt.time(2, 0)
COPYING_SECONDS = 1  # how far into the copy the "still being copied" file is when the nightly run starts
INSTANCE_YAML = """telemetry:
  enabled: false
"""


def simulate(out: Path, start: dt.date, nights: int, seed: int, scale: float = 0.1,
             faults: tuple[str, ...] = FAULT_KINDS, rebuild: bool = True, pdf: bool = True,
             sources: tuple[str, ...] = MONTHLY, analyst_copy: bool = True) -> dict:
    """Simulate `nights` nights from `start` in the folder `out` (replaced) and return the report. The paths,
    the clock and the time zone are this process's for the while; they are restored afterwards."""
    started = time.monotonic()
    out = out.resolve()
    if out.exists():
        shutil.rmtree(out)
    saved = dict(os.environ)
    for name in [k for k in os.environ if k.startswith("BDC_")]:  # none of the caller's settings leak in
        del os.environ[name]
    os.environ.update(_environment(out))
    os.environ["BDC_REPORTS_PDF"] = "true" if pdf else "false"  # PDFs are most of the outputs job's time
    os.environ["BDC_ANALYST_COPY"] = "true" if analyst_copy else "false"  # a second publish a run
    os.environ["TZ"] = "Europe/London"  # the council's clocks, which change in March and October
    time.tzset()
    sim_clock = SimClock()
    try:
        # In a copy of the context: Dagster keeps the instance's state storage in a ContextVar that the sensor and
        # schedule contexts set and never reset, which would point this process's later Dagster work at the
        # simulation's (deleted) instance.
        report = contextvars.copy_context().run(
            _simulate, out, build_calendar(start, nights, seed, faults, sources), scale, rebuild, sim_clock)
    finally:
        sim_clock.restore()
        os.environ.clear()
        os.environ.update(saved)
        time.tzset()
    report = {"nights": nights, "start": str(start), "seed": seed, "scale": scale, "pdf": pdf,
              "analyst_copy": analyst_copy,
              "sources_delivering": list(sources), **report,
              "seconds": round(time.monotonic() - started, 1)}
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def _simulate(out: Path, calendar: Calendar, scale: float, rebuild: bool, sim_clock: SimClock) -> dict:
    deliveries = Deliveries(calendar, out / "landing", out / "scratch", scale)
    deliveries.backlog()
    instance = dg.DagsterInstance.get()
    daemon = Daemon(instance, sim_clock, out / "work", _environment_of(out))
    invariants = Invariants(out / "data" / "published" / "bromsgrove.duckdb")
    expected: list[Expected] = []
    faults_injected: list[dict] = []
    try:
        for day in calendar.days:
            log.info("night %s: %s", day, ", ".join(calendar.faults_on(day)) or "no fault")
            faults_injected += _night(day, calendar, deliveries, daemon, expected)
            sim_clock.set(dt.datetime.combine(day, dt.time(23, 0)))
            invariants.after_night(day, sim_clock.now, [s for shas in deliveries.sha256.values() for s in shas])
        expected += _overdue_expected(calendar)
        alert_violations, fired = check_alerts(expected, out / "data" / "warehouse" / "alerts.duckdb")
        equal, differences = _compare_with_rebuild(out, calendar) if rebuild else (None, [])
    finally:
        deliveries.close()
        instance.dispose()
    violations = invariants.violations + alert_violations + [
        Violation(str(calendar.end), "equals_full_rebuild", d) for d in differences]
    return {
        "faults_injected": faults_injected,
        "invariant_violations": [v.__dict__ for v in violations],
        "alerts_expected": len(expected), "alerts_fired": fired,
        "equals_full_rebuild": equal,
        "published_bytes_first": invariants.published_bytes[0] if invariants.published_bytes else 0,
        "published_bytes_last": invariants.published_bytes[-1] if invariants.published_bytes else 0,
        "published_bytes_max": max(invariants.published_bytes, default=0),
        "published_bytes_by_night": invariants.published_bytes,
        "working_bytes_last": _size(out / "data" / "warehouse" / "working.duckdb"),
        "calendar": as_dict(calendar),
        "quiet_nights": [str(d) for d in daemon.quiet_nights],
        "runs": [{"night": str(r.at.date()), "at": f"{r.at:%H:%M}", "job": r.job, "trigger": r.trigger,
                  "success": r.success, "fault": r.fault, "seconds": round(r.seconds, 1), "notes": r.notes}
                 for r in daemon.runs],
        "expected_alerts": [e.__dict__ | {"first": str(e.first), "last": str(e.last)} for e in expected],
    }


def _environment(out: Path) -> dict[str, str]:
    """Make the simulation's folders and return its settings (every path inside `out`)."""
    (out / "dagster").mkdir(parents=True)
    (out / "dagster" / "dagster.yaml").write_text(INSTANCE_YAML)
    (out / "work").mkdir()
    return _environment_of(out)


def _environment_of(out: Path) -> dict[str, str]:
    return {"BDC_DATA_DIR": str(out / "data"), "BDC_LANDING_DIR": str(out / "landing"),
            "DAGSTER_HOME": str(out / "dagster"), "BDC_FILE_SETTLE_SECONDS": "2", "BDC_FILE_RETRIES": "2",
            "BDC_FILE_RETRY_SECONDS": "0.1", "BDC_DIGEST_HOUR": "7", "BDC_NIGHTLY_DEADLINE_HOUR": "6",
            # the sample's made-up people, delivered file by file (no sample marker): a key of its own
            "BDC_PSEUDONYM_KEY": "simulation-only-pseudonym-key-not-secret-0123"}


def _night(day: dt.date, calendar: Calendar, deliveries: Deliveries, daemon: Daemon,
           expected: list[Expected]) -> list[dict]:
    """One day: the 02:00 run (or not), the morning's alert ticks, the day's deliveries and their runs."""
    faults = calendar.faults_on(day)
    present = "daemon_absent" not in faults
    at = dt.datetime.combine(day, NIGHTLY_AT)
    injected = []
    if present:
        copying = _start_copy(day, calendar, deliveries) if "file_still_copying" in faults else None
        run_fault = next((f for f in faults if f in RUN_FAULTS), None)
        if "second_run" in faults:
            _nightly_with_a_second_run(daemon, at)
        else:
            daemon.nightly(at, run_fault)
        daemon.outputs()
        for kind in faults:
            injected.append({"night": str(day), "kind": kind, "step": _fault_step(kind, daemon, copying)})
        if run_fault:
            expected.append(Expected("run_failed", None, day, day, f"{run_fault} on the nightly run"))
        if run_fault == "disk_full":  # not retried (a step failed): nothing published by the deadline
            expected.append(Expected("nightly_missed", "published/warehouse", day, day, "disk full at the publish"))
    else:
        injected.append({"night": str(day), "kind": "daemon_absent", "step": None})
        expected.append(Expected("nightly_missed", "published/warehouse", day, day, "no daemon, no nightly run"))
    daemon.published_check(day)
    if present:
        daemon.morning(day)
    for hour in sorted({d.hour for d in calendar.arriving(day) if d.hour >= 2}):
        for delivery in [d for d in calendar.arriving(day) if d.hour == hour]:
            deliveries.deliver(delivery)
            expected += _expected_for(delivery, day, calendar)
        if present:
            daemon.landing(dt.datetime.combine(day, dt.time(hour, 5)))
            daemon.outputs()
    return injected


def _fault_step(kind: str, daemon: Daemon, copying: Delivery | None) -> str | None:
    """Where the fault struck, for the report."""
    if kind in RUN_FAULTS:
        run = next((r for r in reversed(daemon.runs) if r.fault == kind), None)
        if run is None:
            return "nightly run"
        outcome = next((n for n in run.notes if n.startswith("killed by")), run.notes[0] if run.notes else "")
        if kind == "disk_full":
            outcome = "OSError ENOSPC while writing the published copy"
        return f"nightly run {run.run_id[:8]}, in step {_unfinished_steps(daemon, run.run_id)}: {outcome}"
    if kind == "file_still_copying" and copying:
        return f"landing: {copying.describe()} half-copied at 02:00"
    return {"second_run": "a run by hand while the nightly held the warehouse"}.get(kind)


def _unfinished_steps(daemon: Daemon, run_id: str) -> str:
    """The steps of a run that started and never succeeded (where a kill or a failure struck), from its event log."""
    import dagster as dg

    events = daemon.instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START,
                                                       dg.DagsterEventType.STEP_SUCCESS,
                                                       dg.DagsterEventType.STEP_FAILURE})
    started = [e.step_key for e in events if e.dagster_event_type == dg.DagsterEventType.STEP_START]
    ended = {e.step_key for e in events if e.dagster_event_type == dg.DagsterEventType.STEP_SUCCESS}
    return ", ".join(k for k in started if k not in ended) or "none (between steps)"


def _next_present_day(day: dt.date, calendar: Calendar) -> dt.date:
    while "daemon_absent" in calendar.faults_on(day):
        day += dt.timedelta(days=1)
    return day


def _expected_for(delivery: Delivery, day: dt.date, calendar: Calendar) -> list[Expected]:
    """The alert a bad or broken delivery calls for, on the night it is first loaded."""
    loaded = _next_present_day(day, calendar)
    last = loaded + dt.timedelta(days=1) if loaded != day else loaded
    owner = owner_of(delivery.source)
    if delivery.variant.startswith("broken:"):
        return [Expected("check_error", f"raw/{delivery.source}", day, last, f"{delivery.describe()} refused",
                         "ERROR", owner)]
    if delivery.variant == "bad":
        return [Expected("check_error", f"staging/{delivery.source}", day, last,
                         f"{delivery.describe()}: rows repeated", "ERROR", owner)]
    return []


def _start_copy(day: dt.date, calendar: Calendar, deliveries: Deliveries):
    """A file still being copied into its landing folder when the nightly run starts: the next normal delivery,
    brought forward, written half and stamped a second before the run. Once the run is over the copy finishes
    (the file lands again, whole, at 09:00 that day, and the landing sensors load it)."""
    upcoming = next((d for d in calendar.deliveries if d.day >= day and d.variant == "normal"), None)
    if upcoming is None:
        return None
    calendar.deliveries.remove(upcoming)
    # Under its own name (a corrected re-delivery keeps its suffix): the copy must not overwrite a file that was
    # loaded, which a rebuild from the final landing folder could not know of.
    finished = Delivery(day, upcoming.source, upcoming.month, upcoming.variant, upcoming.suffix, hour=9)
    calendar.deliveries.append(finished)
    paths = deliveries.deliver(finished)
    just_before = (dt.datetime.combine(day, NIGHTLY_AT) - dt.timedelta(seconds=COPYING_SECONDS)).timestamp()
    for path in paths:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        os.utime(path, (just_before, just_before))
    return finished


def _nightly_with_a_second_run(daemon: Daemon, at: dt.datetime) -> None:
    """The nightly run in its own process and, while it holds the warehouse, a second run started by hand
    (`pipelines.cli run`): it waits for the writer's lock, then runs."""
    from pipelines.definitions import tonight

    working = Path(os.environ["BDC_DATA_DIR"]) / "warehouse" / "working.duckdb"
    first = daemon.nightly_in_background(at)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.process.poll() is None and not _locked(working):
        time.sleep(0.2)
    daemon.clock.set(at + dt.timedelta(minutes=1))
    plan = tonight(daemon.instance, load_settings(), wait_seconds=600)
    daemon.launch("nightly", plan, {"bdc/trigger": "pipelines.cli run (by hand, during the nightly)"},
                  daemon.clock.now)
    daemon.finish_background(first)


def _locked(path: Path) -> bool:
    try:
        duckdb.connect(str(path), read_only=True).close()
        return False
    except duckdb.IOException as exc:
        if is_lock_error(exc):
            return True
        raise


def _overdue_expected(calendar: Calendar) -> list[Expected]:
    """The overdue alerts the calendar calls for, worked out from what was delivered when (not from the
    warehouse): at 08:00 each day the daemon runs, a monthly source whose next file is past its due day is
    overdue (WARN, ERROR after its grace days), once per latest month and severity."""
    expected = []
    for source in (c.name for c in CONTRACTS.values() if c.cadence.frequency == "monthly"):
        loaded = {calendar.history_end}
        arrivals = sorted((_load_time(d, calendar), d.month) for d in calendar.deliveries
                          if d.source == source and not d.variant.startswith("broken:"))
        alerted: set = set()
        for day in calendar.days:
            if "daemon_absent" in calendar.faults_on(day):
                continue
            tick = dt.datetime.combine(day, dt.time(8))
            loaded |= {month for when, month in arrivals if when <= tick}
            latest = max(loaded)
            due = due_date(source, add_months(latest, 1))
            if day <= due:
                continue
            severity = "ERROR" if (day - due).days > CONTRACTS[source].cadence.grace_days else "WARN"
            if (latest, severity) not in alerted:
                alerted.add((latest, severity))
                expected.append(Expected("source_overdue", f"staging/{source}", day, day,
                                         f"{source}: {add_months(latest, 1):%Y-%m} due {due}", severity,
                                         owner_of(source)))
    return expected


def _load_time(delivery: Delivery, calendar: Calendar) -> dt.datetime:
    """When a delivery is in the published warehouse: its landing sensor's run that day, or the next nightly."""
    if "daemon_absent" not in calendar.faults_on(delivery.day):
        return dt.datetime.combine(delivery.day, dt.time(max(delivery.hour, 2), 5))
    return dt.datetime.combine(_next_present_day(delivery.day, calendar), NIGHTLY_AT)


def _compare_with_rebuild(out: Path, calendar: Calendar) -> tuple[bool, list[str]]:
    """Build a second warehouse from scratch from every delivered file (one full run, on the last night) and
    compare it with the one the nights built."""
    from pipelines.simulation.compare import compare_warehouses

    rebuild = out / "rebuild"
    env = {**os.environ, "BDC_DATA_DIR": str(rebuild / "data"), "BDC_LANDING_DIR": str(out / "landing"),
           "DAGSTER_HOME": str(rebuild / "dagster"), "BDC_AS_OF": str(calendar.end)}
    (rebuild / "dagster").mkdir(parents=True)
    (rebuild / "dagster" / "dagster.yaml").write_text(INSTANCE_YAML)
    env |= faked_clock(dt.datetime.combine(calendar.end, dt.time(23, 30)))
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--all", "--skip-outputs", "--log-level",
                           "ERROR"], env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        return False, [f"the rebuild failed: {done.stdout[-1500:]} {done.stderr[-1500:]}"]
    differences = compare_warehouses(out / "data", rebuild / "data")
    return not differences, differences


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0

