"""The sensors that raise alerts: at the end of every run (failed checks, a failed run), once a day for the
WARN digest, and hourly for sources whose file is overdue. They never open the working warehouse for
writing: overdue sources are judged on the published copy, read-only, and alerts go to their own file."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg
import duckdb

from assets.common import PUBLISHED, council_key
from pipelines.alert_channels import deliver
from pipelines.alerts import Alert, AlertStore, alerts_for_run, digests, recipients, run_url
from pipelines.quiet import recorded_night
from pipelines.sensors import located
from quality.source_checks import timely
from sources import CONTRACTS
from warehouse import clock
from warehouse.council import load_council, scope
from warehouse.settings import Settings, SettingsResource, councils_of_run


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


def send_digest(store: AlertStore, now: dt.datetime, hour: int) -> str:
    """From `hour`, once a day per person: one digest of the WARN alerts no digest has carried to them yet.
    A person whose digest every configured channel failed to send has not had today's: their warnings stay
    waiting and are tried again at the next evaluation (nobody else gets them twice); with no channel configured
    there is nowhere to send, and the digest is recorded as carried. Returns what was done, for the tick."""
    if now.hour < hour:
        return "not digest time yet"
    waiting = store.waiting_for(now.date())
    if not waiting:
        return "no warnings waiting"
    sent, failed = [], []
    for alert in digests(waiting, now.date()):
        (person,) = alert.recipients
        outcome = deliver(alert)
        if outcome and all(result.startswith("failed") for result in outcome.values()):
            failed.append(person)
            continue
        store.mark_digested([key for key, _, _, to in waiting if to == person], at=now, recipient=person)
        sent.append(person)
    return f"digest sent to {len(sent)} person(s)" + (
        f"; every channel failed for {len(failed)}, tried again at the next evaluation" if failed else "")


def overdue_alerts(settings: Settings) -> list[Alert]:
    """An alert for each monthly source whose next file is past its due day on the night `settings.as_of`:
    WARN, then ERROR after the grace period (the council's, else the contract's). Judged on the published warehouse's
    audit.loaded_files."""
    if not settings.published_path.exists():
        return []
    alerts = []
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        for contract in CONTRACTS.values():
            if contract.cadence.frequency != "monthly":
                continue
            outcome = timely(con, contract, settings.as_of)
            late = [p for p in outcome.problems if " late." in p or "No " in p]
            if outcome.passed or not late:
                continue
            severity = "ERROR" if outcome.status == "fail" else "WARN"
            provider = load_council().named(contract.provider)
            body = "\n".join([
                f"{severity}: {contract.title} is overdue.",
                f"Which: source {contract.name} (criterion timely), from {provider} ({contract.system})",
                f"What: {' '.join(late)}",
                f"Due: day {contract.cadence.due_day} of the following month; ERROR after {contract.grace_days}"
                f" days' grace. Latest file received: {outcome.period:%B %Y}" if outcome.period else
                "Due: no file has been received yet.",
                f"Owner: {contract.owner.email}",
                f"Landing folder: {settings.landing_for(contract.name)}",
            ])
            alerts.append(Alert(
                kind="source_overdue", severity=severity,
                title=f"[{severity}] {contract.title} from {provider} is overdue",
                body=body, recipients=recipients(contract.owner.email), subject=f"staging/{contract.name}",
                criterion="timely", key_parts=(contract.name, outcome.period, severity)))
    return alerts


DEADLINE_HOUR = 6  # local time by which the night's load should have been published (BDC_NIGHTLY_DEADLINE_HOUR)


def deadline_hour() -> int:
    return int(os.environ.get("BDC_NIGHTLY_DEADLINE_HOUR", str(DEADLINE_HOUR)))


def last_published_night(published: Path) -> tuple[dt.date | None, dt.datetime | None]:
    """(the night `as_of`, the time) of the published copy's latest publish, or of the latest quiet night recorded
    for that copy (pipelines/quiet.py), or (None, None) without one."""
    if not published.exists():
        return None, None
    with duckdb.connect(str(published), read_only=True) as con:
        columns = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE "
                                             "table_schema = 'marts' AND table_name = 'publish_info'").fetchall()}
        night = "max(as_of)" if "as_of" in columns else "max(published_at)::DATE"
        copy_night, published_at, run_id = con.execute(
            f"SELECT {night}, max(published_at), arg_max(run_id, published_at) FROM marts.publish_info").fetchone()
    quiet = recorded_night(published, run_id)
    if quiet and copy_night is not None and quiet["as_of"] > copy_night.isoformat():
        return dt.date.fromisoformat(quiet["as_of"]), dt.datetime.fromisoformat(quiet["recorded_at"])
    return copy_night, published_at


def missed_night_alert(night: dt.date | None, published_at: dt.datetime | None, as_of: dt.date, now: dt.datetime,
                       source: str) -> Alert | None:
    """An ERROR alert when, past the deadline hour, nothing has been published for the night `as_of` (no run,
    a run that failed, a stopped schedule, a dead daemon). `source` says who noticed. Keyed by the night, so the
    daemon's sensor and the systemd timer raise it once between them."""
    if now.hour < deadline_hour() or (night is not None and night >= as_of):
        return None
    last = (f"last published {published_at:%d %B %Y %H:%M} (for the night of {night:%d %B %Y})" if night
            else "never published")
    body = "\n".join([
        f"ERROR: no nightly load has been published for {as_of:%A %d %B %Y} by {deadline_hour():02d}:00.",
        f"The published warehouse is {last}; readers still see that copy.",
        "Possible causes: the nightly run failed (see the Dagster UI), the nightly_0200 schedule is stopped, the "
        "Dagster daemon is not running, or a run is stuck holding the warehouse.",
        f"Noticed by: {source}.",
        f"Dagster UI: {run_url('').rsplit('/runs/', 1)[0]}",
    ])
    return Alert(kind="nightly_missed", severity="ERROR", title=f"[ERROR] No nightly load published for "
                 f"{as_of:%d %B %Y}", body=body, recipients=recipients(), subject="published/warehouse",
                 key_parts=(as_of,))


def tonights_missed_alert(noticed_by: str, settings: Settings, dagster_published_at: dt.datetime | None = None
                          ) -> tuple[Alert | None, dt.date | None]:
    """(the missed-night alert for tonight or None, the night last published), from the published copy (or,
    when it has no record, Dagster's last publish). Before the deadline hour nothing is read."""
    now = clock.timestamp()
    if now.hour < deadline_hour():
        return None, None
    night, published_at = last_published_night(settings.published_path)
    if night is None and dagster_published_at is not None:
        night, published_at = dagster_published_at.date(), dagster_published_at
    return missed_night_alert(night, published_at, settings.as_of, now, noticed_by), night


def check_published(noticed_by: str, settings: Settings) -> tuple[int, str]:
    """The daemon-independent watch (`pipelines.cli check-published`, run by a systemd timer): alert when
    nothing was published for the night. Returns (exit status, what to print)."""
    alert, night = tonights_missed_alert(noticed_by, settings)
    if alert is None:
        return 0, (f"Published for the night of {night}: {settings.published_path}"
                   if night and night >= settings.as_of else "Not yet the deadline hour: nothing to check")
    raise_alerts(AlertStore(settings.alerts_path), [alert])
    return 1, alert.title


def alert_sensors(council: str | None = None) -> list[dg.SensorDefinition]:
    """The alert sensors of a council's own code location (`council` None: the run's settings say whose), or of
    one council in the shared location: named for it, reading its settings, alerting on its runs only."""

    def mine(settings: SettingsResource) -> SettingsResource:
        return settings.for_council(council) if council else settings

    def for_this_council(run: dg.DagsterRun) -> bool:
        return council is None or council in councils_of_run(run)

    @dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name=located("alert_on_checks", council),
                          default_status=dg.DefaultSensorStatus.RUNNING,
                          description="After a successful run: an alert for each check that failed (ERROR at once, "
                                      "WARN in the daily digest).")
    def alert_on_checks(context: dg.RunStatusSensorContext, settings: SettingsResource):
        with scope(council):  # its profile: thresholds, providers, mailboxes
            if not for_this_council(context.dagster_run):
                return dg.SkipReason("another council's run")
            new = raise_alerts(AlertStore(mine(settings).get().alerts_path),
                               alerts_for_run(context.instance, context.dagster_run))
            return dg.SkipReason(f"{new} alert(s) raised") if not new else None

    @dg.run_failure_sensor(name=located("alert_on_failed_run", council), default_status=dg.DefaultSensorStatus.RUNNING,
                           description="After a failed run: an alert for the run and each check that failed.")
    def alert_on_failed_run(context: dg.RunFailureSensorContext, settings: SettingsResource):
        with scope(council):  # its profile: thresholds, providers, mailboxes
            if for_this_council(context.dagster_run):
                raise_alerts(AlertStore(mine(settings).get().alerts_path),
                             alerts_for_run(context.instance, context.dagster_run))

    @dg.sensor(name=located("warn_digest", council), minimum_interval_seconds=600,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Once a day from BDC_DIGEST_HOUR (default 07:00): one email per person with the WARN "
                           "checks since the last digest.")
    def warn_digest(context: dg.SensorEvaluationContext, settings: SettingsResource):
        with scope(council):  # its profile: thresholds, providers, mailboxes
            store = AlertStore(mine(settings).get().alerts_path)
            return dg.SkipReason(send_digest(store, clock.timestamp(), int(os.environ.get("BDC_DIGEST_HOUR", "7"))))

    @dg.sensor(name=located("overdue_sources", council), minimum_interval_seconds=3600,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Hourly: an alert naming the partner and the owner when a monthly file is past its due "
                           "day.")
    def overdue_sources(context: dg.SensorEvaluationContext, settings: SettingsResource):
        with scope(council):  # its profile: thresholds, providers, mailboxes
            night = mine(settings).get()
            new = raise_alerts(AlertStore(night.alerts_path), overdue_alerts(night))
            return dg.SkipReason(f"{new} new overdue alert(s)")

    @dg.sensor(name=located("nightly_missed", council), minimum_interval_seconds=900,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="From BDC_NIGHTLY_DEADLINE_HOUR (06:00): an ERROR alert when no load has been published "
                           "for the night (its last materialisation of published/warehouse is from an earlier day). "
                           "deploy/systemd's bromsgrove-published-check timer does the same without the daemon.")
    def nightly_missed(context: dg.SensorEvaluationContext, settings: SettingsResource):
        with scope(council):  # its profile: thresholds, providers, mailboxes
            if clock.timestamp().hour < deadline_hour():  # every 15 minutes: nothing to read before the deadline
                return dg.SkipReason("not yet the deadline hour")
            night = mine(settings).get()
            record = context.instance.get_latest_materialization_event(council_key(PUBLISHED, night.asset_prefix))
            alert, _ = tonights_missed_alert("the nightly_missed sensor", night,
                                             dt.datetime.fromtimestamp(record.timestamp) if record else None)
            if alert is None:
                return dg.SkipReason("the night's load is published, or it is not yet the deadline")
            raised = raise_alerts(AlertStore(night.alerts_path), [alert])
            return dg.SkipReason(f"{raised} alert(s) raised: nothing published tonight")

    return [alert_on_checks, alert_on_failed_run, warn_digest, overdue_sources, nightly_missed]


ALERT_SENSORS = alert_sensors()
