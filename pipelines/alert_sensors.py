"""The sensors that raise alerts: at the end of every run (failed checks, a failed run), once a day for the
WARN digest, and hourly for sources whose file is overdue. They never open the working warehouse for
writing: overdue sources are judged on the published copy, read-only, and alerts go to their own file."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.alert_channels import deliver
from pipelines.alerts import Alert, AlertStore, alerts_for_run, digests, recipients
from quality.source_checks import timely
from sources import CONTRACTS
from warehouse.settings import load_settings


def raise_alerts(store: AlertStore, alerts: list[Alert]) -> int:
    """Store each new alert and send it at once, except WARN check alerts, which wait for the digest.
    Returns how many were new."""
    new = 0
    for alert in alerts:
        if not store.add(alert):
            continue
        new += 1
        if alert.kind != "check_warn":
            store.mark_delivered(alert, deliver(alert))
    return new


def overdue_alerts(published: Path, as_of: dt.date) -> list[Alert]:
    """An alert for each monthly source whose next file is past its due day: WARN, then ERROR after the
    grace period (from the contract). Judged on the published warehouse's audit.loaded_files."""
    if not published.exists():
        return []
    alerts = []
    with duckdb.connect(str(published), read_only=True) as con:
        for contract in CONTRACTS.values():
            if contract.cadence.frequency != "monthly":
                continue
            outcome = timely(con, contract, as_of)
            late = [p for p in outcome.problems if " late." in p or "No " in p]
            if outcome.passed or not late:
                continue
            severity = "ERROR" if outcome.status == "fail" else "WARN"
            body = "\n".join([
                f"{severity}: {contract.title} is overdue.",
                f"Which: source {contract.name} (criterion timely), from {contract.provider} ({contract.system})",
                f"What: {' '.join(late)}",
                f"Due: day {contract.cadence.due_day} of the following month; ERROR after {contract.cadence.grace_days}"
                f" days' grace. Latest file received: {outcome.period:%B %Y}" if outcome.period else
                "Due: no file has been received yet.",
                f"Owner: {contract.owner.email}",
                f"Landing folder: {load_settings().landing_for(contract.name)}",
            ])
            alerts.append(Alert(
                kind="source_overdue", severity=severity,
                title=f"[{severity}] {contract.title} from {contract.provider} is overdue",
                body=body, recipients=recipients(contract.owner.email), subject=f"staging/{contract.name}",
                criterion="timely", key_parts=(contract.name, outcome.period, severity)))
    return alerts


def _store() -> AlertStore:
    return AlertStore(load_settings().alerts_path)


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name="alert_on_checks",
                      default_status=dg.DefaultSensorStatus.RUNNING,
                      description="After a successful run: an alert for each check that failed (ERROR at once, "
                                  "WARN in the daily digest).")
def alert_on_checks(context: dg.RunStatusSensorContext):
    new = raise_alerts(_store(), alerts_for_run(context.instance, context.dagster_run))
    return dg.SkipReason(f"{new} alert(s) raised") if not new else None


@dg.run_failure_sensor(name="alert_on_failed_run", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="After a failed run: an alert for the run and each check that failed.")
def alert_on_failed_run(context: dg.RunFailureSensorContext):
    raise_alerts(_store(), alerts_for_run(context.instance, context.dagster_run))


@dg.sensor(name="warn_digest", minimum_interval_seconds=600, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Once a day from BDC_DIGEST_HOUR (default 07:00): one email per person with the WARN "
                       "checks since the last digest.")
def warn_digest(context: dg.SensorEvaluationContext):
    now = dt.datetime.now()
    store = _store()
    last = store.last_digest()
    if now.hour < int(os.environ.get("BDC_DIGEST_HOUR", "7")) or (last and last.date() >= now.date()):
        return dg.SkipReason("not digest time yet")
    pending = store.pending_digest()
    if not pending:
        return dg.SkipReason("no warnings since the last digest")
    for alert in digests(pending, now.date()):
        deliver(alert)
    store.mark_digested([row[0] for row in pending])
    return dg.SkipReason(f"digest sent: {len(pending)} warning(s)")


@dg.sensor(name="overdue_sources", minimum_interval_seconds=3600, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Hourly: an alert naming the partner and the owner when a monthly file is past its due day.")
def overdue_sources(context: dg.SensorEvaluationContext):
    settings = load_settings()
    new = raise_alerts(_store(), overdue_alerts(settings.published_path, settings.as_of))
    return dg.SkipReason(f"{new} new overdue alert(s)")


ALERT_SENSORS = [alert_on_checks, alert_on_failed_run, warn_digest, overdue_sources]
