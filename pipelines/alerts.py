"""Alerts: what needs a person, written for that person, stored in audit.alerts and sent on every channel
that is configured.

Kinds: a check that failed with ERROR (sent at once), a WARN check (collected into one daily digest per
recipient), a failed run, an overdue source. Each alert names what failed, the source or measure and the
criterion, counts and a sample, the owner, and links to the run in the Dagster UI. Routing: the owner (from
the catalogue or the source contract) and the Policy Team receive it by email; the Teams and Slack channels
receive everything.

Alerts live in their own small DuckDB file (`BDC_ALERTS_PATH`), not the working warehouse: sensors write
them while a run may hold the warehouse, and there must never be two writers. Publishing copies them into
the published warehouse as `audit.alerts`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.sensors import job_kind
from warehouse import clock
from warehouse.alerts_table import alerts_ddl
from warehouse.catalogue import catalogue
from warehouse.council import load_council
from warehouse.db import connect_waiting
from warehouse.secrets import redact

log = logging.getLogger(__name__)
POLICY_TEAM = "policy.team@bromsgrove.example"



@dataclass
class Alert:
    kind: str
    severity: str
    title: str
    body: str
    recipients: list[str]
    run_id: str | None = None
    subject: str | None = None
    criterion: str | None = None
    key_parts: tuple = field(default_factory=tuple)

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps([self.kind, *self.key_parts], default=str).encode()).hexdigest()[:24]


def policy_team() -> str:
    """The run's council's Policy Team: BDC_POLICY_TEAM_EMAIL_<COUNCIL>, BDC_POLICY_TEAM_EMAIL, else its mailbox."""
    council = load_council()
    return (os.environ.get(f"BDC_POLICY_TEAM_EMAIL_{council.id.upper()}") or os.environ.get("BDC_POLICY_TEAM_EMAIL")
            or council.mailbox(POLICY_TEAM))


def run_url(run_id: str) -> str:
    """Link to a run in the Dagster UI (`BDC_DAGSTER_URL`, default the local `make dev` address)."""
    return f"{os.environ.get('BDC_DAGSTER_URL', 'http://127.0.0.1:3000').rstrip('/')}/runs/{run_id}"


def recipients(*owners: str | None) -> list[str]:
    """Owners (emails, at the run's council's mail domain; team:... owners are skipped) plus the Policy Team,
    without repeats."""
    council = load_council()
    found = [council.mailbox(o.strip()) for owner in owners if owner for o in owner.split(",") if "@" in o]
    return list(dict.fromkeys([*found, policy_team()]))


def _metadata_text(value: object) -> str:
    return str(getattr(value, "value", value))


def _check_keys(asset_key: dg.AssetKey, check_name: str) -> list[dg.AssetCheckKey]:
    """The check's key, then the same check on the measure's former ids (a renamed measure is a new asset key,
    and its history in Dagster stays under the old one)."""
    *prefix, layer, name = asset_key.path  # prefix: the council's id, in the shared code location
    measure = catalogue().measures.get(name) if layer == "measures" else None
    former = measure.renamed_from if measure else ()
    return [dg.AssetCheckKey(key, check_name)
            for key in (asset_key, *(dg.AssetKey([*prefix, "measures", f]) for f in former))]


def _same_failure_before(instance: dg.DagsterInstance, evaluation, run_id: str) -> bool:
    """Whether the check's previous result (from an earlier run) was the same failure: same severity, same period
    judged. Such a result is not alerted again (a source held back for a week is one alert, not seven)."""
    previous = None
    for key in _check_keys(evaluation.asset_key, evaluation.check_name):  # a renamed measure: its former keys too
        history = instance.event_log_storage.get_asset_check_execution_history(key, limit=20)
        previous = next((r for r in history if r.run_id != run_id and r.event is not None
                         and r.event.dagster_event is not None
                         and r.event.dagster_event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION), None)
        if previous is not None:
            break
    if previous is None:
        return False
    before = previous.event.dagster_event.event_specific_data
    period = _metadata_text(evaluation.metadata.get("period", ""))
    return (not before.passed and before.severity == evaluation.severity
            and _metadata_text(before.metadata.get("period", "")) == period)


def alerts_for_run(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[Alert]:
    """The alerts a finished run raises: one per check that failed (ERROR or WARN) unless its previous result
    was the same failure, and one if the run failed."""
    alerts = []
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        if evaluation.passed or _same_failure_before(instance, evaluation, run.run_id):
            continue
        metadata = {k: _metadata_text(v) for k, v in evaluation.metadata.items()}
        # Lateness goes in the digest: a source's is alerted at once by `overdue_sources` (one alert per missing
        # file), and a measure is late because a source is.
        error = evaluation.severity == dg.AssetCheckSeverity.ERROR and evaluation.check_name != "timely"
        asset = evaluation.asset_key.to_user_string()
        owner = metadata.get("owner")
        subject = next((metadata[k] for k in ("measure", "source", "mart") if k in metadata), asset)
        lines = [
            f"{'ERROR' if error else 'WARN'}: the '{evaluation.check_name}' check on {asset} did not pass.",
            f"Which: {subject} ({asset}), criterion {evaluation.check_name}",
            f"Period: {metadata.get('period', 'all periods')}",
            f"What failed: {evaluation.description or ''}",
            f"Rows failing: {metadata.get('rows_failed', 'n/a')}",
        ]
        if "errors" in metadata:  # refused files: each named with its problem, never a value from it
            lines.append(f"Files: {metadata['errors'][:800]}")
        if "sample" in metadata:
            lines.append(f"Sample: {metadata['sample'][:800]}")
        lines += [f"Owner: {owner or 'not recorded'}", f"Run: {run_url(run.run_id)}"]
        if error and metadata.get("held_back") == "True":
            lines.append(f"HELD BACK: {subject} keeps its last good data; the measures built from it keep their "
                         "last published values (marts.data_holds lists them). Everything else was refreshed and "
                         "published. It is released when a delivery passes this check.")
        elif error and evaluation.check_name == "files_readable":
            lines.append("The refused file was not loaded; its source is held back at its last good data until a "
                         "corrected delivery for the same period replaces it. Everything else was published.")
        elif error:
            lines.append("Nothing built from this data was published; readers keep the last good warehouse.")
        alerts.append(Alert(
            kind="check_error" if error else "check_warn", severity="ERROR" if error else "WARN",
            title=f"[{'ERROR' if error else 'WARN'}] {subject}: {evaluation.check_name}",
            body="\n".join(lines), recipients=recipients(owner), run_id=run.run_id, subject=asset,
            criterion=evaluation.check_name, key_parts=(run.run_id, asset, evaluation.check_name)))
    if run.status == dg.DagsterRunStatus.FAILURE:
        failures = [r.dagster_event for r in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)]
        steps = [f"- {e.step_key}: {redact(str(e.event_specific_data.error.message)).strip()[:300]}"
                 for e in failures[:10]]
        alerts.append(Alert(
            kind="run_failed", severity="ERROR", title=f"[ERROR] Run of {run.job_name} failed",
            body="\n".join([f"The {run.job_name} run failed; " + (  # <council>__outputs in the shared location
                "the published warehouse is current, but the reports, public site or partner packs were not "
                "rebuilt." if job_kind(run.job_name) == "outputs" else
                "the published warehouse was not replaced."),
                            f"{len(failures)} step(s) failed:", *steps, f"Run: {run_url(run.run_id)}"]),
            recipients=recipients(), run_id=run.run_id, key_parts=(run.run_id,)))
    return alerts


class AlertStore:
    """audit.alerts in the alerts database. Every alert is stored and logged, whatever the channels."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = connect_waiting(str(self.path), wait_seconds=60)
        con.execute(alerts_ddl())
        con.execute(DIGESTS_DDL)
        return con

    def add(self, alert: Alert) -> bool:
        """Store an alert; False when the same alert was stored before (nothing to send again)."""
        with self._connect() as con:
            inserted = con.execute(
                "INSERT OR IGNORE INTO audit.alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                [alert.key, clock.timestamp(), alert.kind, alert.severity, alert.title, alert.body,
                 ", ".join(alert.recipients), alert.run_id, alert.subject, alert.criterion]).fetchone()[0]
        if inserted:
            (log.error if alert.severity == "ERROR" else log.warning)("%s\n%s", alert.title, alert.body)
        return bool(inserted)

    def mark_delivered(self, alert: Alert, delivered: dict[str, str]) -> None:
        with self._connect() as con:
            con.execute("UPDATE audit.alerts SET delivered = ? WHERE alert_key = ?",
                        ["; ".join(f"{k}: {v}" for k, v in delivered.items()) or "no channel configured", alert.key])

    def pending_digest(self) -> list[tuple]:
        """The WARN alerts a digest has not yet carried to every recipient: (alert_key, title, body, recipients)."""
        with self._connect() as con:
            return con.execute("""SELECT alert_key, title, body, recipients FROM audit.alerts
                                  WHERE kind = 'check_warn' AND digest_sent_at IS NULL
                                  ORDER BY raised_at""").fetchall()

    def waiting_for(self, day: dt.date) -> list[tuple]:
        """Per person, the WARN alerts no digest has carried to them, for each person who has not had a digest
        on `day`: (alert_key, title, body, person), the shape `digests` takes."""
        with self._connect() as con:
            return con.execute("""
                WITH pending AS (
                    SELECT a.alert_key, a.title, a.body, trim(person) AS person, a.raised_at FROM audit.alerts a,
                           unnest(string_split(a.recipients, ',')) AS r(person)
                    WHERE a.kind = 'check_warn' AND a.digest_sent_at IS NULL)
                SELECT p.alert_key, p.title, p.body, p.person FROM pending p
                WHERE NOT EXISTS (SELECT 1 FROM audit.digests d WHERE d.alert_key = p.alert_key
                                  AND d.recipient = p.person)
                  AND p.person NOT IN (SELECT recipient FROM audit.digests WHERE sent_at::DATE = ?)
                ORDER BY p.raised_at, p.alert_key""", [day]).fetchall()

    def mark_digested(self, keys: list[str], at: dt.datetime | None = None, recipient: str | None = None) -> None:
        """Record that a digest carried `keys` to `recipient` (default: to every recipient); an alert carried to
        all its recipients is marked done (digest_sent_at)."""
        at = at or clock.timestamp()
        with self._connect() as con:
            con.execute("""INSERT OR IGNORE INTO audit.digests
                           SELECT a.alert_key, trim(person), ? FROM audit.alerts a,
                                  unnest(string_split(a.recipients, ',')) AS r(person)
                           WHERE a.alert_key IN (SELECT unnest(?)) AND (? IS NULL OR trim(person) = ?)""",
                        [at, keys, recipient, recipient])
            con.execute("""UPDATE audit.alerts a SET digest_sent_at = ? WHERE alert_key IN (SELECT unnest(?))
                           AND NOT EXISTS (SELECT 1 FROM unnest(string_split(a.recipients, ',')) AS r(person)
                                           WHERE trim(person) NOT IN (SELECT recipient FROM audit.digests d
                                                                      WHERE d.alert_key = a.alert_key))""",
                        [at, keys])

    def last_digest(self) -> dt.datetime | None:
        with self._connect() as con:
            return con.execute("SELECT max(digest_sent_at) FROM audit.alerts").fetchone()[0]


# Which WARN alert a daily digest has carried to whom (the alerts database only: not copied into the published
# copies). An alert is done when every recipient has had it.
DIGESTS_DDL = """CREATE TABLE IF NOT EXISTS audit.digests (
    alert_key VARCHAR NOT NULL, recipient VARCHAR NOT NULL, sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (alert_key, recipient));"""


def digests(pending: list[tuple], today: dt.date) -> list[Alert]:
    """One digest per recipient of the day's WARN alerts."""
    by_recipient: dict[str, list[tuple]] = {}
    for row in pending:
        for person in row[3].split(", "):
            by_recipient.setdefault(person, []).append(row)
    out = []
    for person, rows in sorted(by_recipient.items()):
        body = "\n\n".join(f"{title}\n{body}" for _, title, body, _ in rows)
        out.append(Alert(kind="warn_digest", severity="WARN",
                         title=f"[WARN] Data-quality digest for {today:%d %B %Y}: {len(rows)} warning(s)",
                         body=f"{len(rows)} check(s) warned since the last digest. Nothing was blocked.\n\n{body}",
                         recipients=[person], key_parts=(person, today)))
    return out
