"""A quiet night: nothing arrived and nothing changed, so nothing is built; the night is recorded in seconds.

Most nights of a year bring no file. The night's plan (pipelines/selection.py) would then build only the
publish, which copies the whole warehouse again to say which night it stands for. A night is **quiet** when all
of these hold, checked read-only before the Dagster definitions are loaded:

1. the published copy was written by the last run that wrote the warehouse: a planned night (the schedule or
   `pipelines.cli run`) that succeeded, planned with tonight's code and settings (its `bdc/code` tag equals
   `code_fingerprint`), or a landing sensor's run that inherited that tag (`inherited_code_tag`: the copy it
   built on was made under the same code, and nothing else wrote since), and the copy on disk is that run's
   (its `marts.publish_info`);
2. no run other than a successful outputs or retention run started since (any other run, from the schedule, a
   landing sensor or the UI, may have written the warehouse);
3. no landing file is new or changed, no timeliness verdict changes tonight, and no period in progress turns
   provisional tonight (pipelines/changes.py, quality/completeness.py);
4. the night is in the month the monthly assets were last built in (pipelines/changes.py MONTHLY);
5. `audit.alerts` is as the copies hold it (no alert raised, delivered or digested since the publish), and
   the night is not before the night last recorded (a re-run of a past night is built).

Then every asset's inputs, code and last build are as they were when the copy was made, so the plan would
rebuild nothing and the copy is exactly what a rebuild would publish: skipping is the same as rebuilding.
Each check's last verdict still stands for its asset's current materialisation (the Dagster UI shows it
there); no check is skipped on an asset that was rebuilt. Recording the night: the copies are left as they
are; `<BI copy>.night.json` says which night they stand for (the missed-night alerts read it), and a
materialisation of published/warehouse is reported to Dagster with `unchanged_since_run` and the reason, so the
UI's timeline, the freshness policy and the retention see the night. The outputs are not rebuilt: their data
did not change, and the month did not either.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from assets.common import CODE_FINGERPRINT, PUBLISHED, code_fingerprint, council_key
from pipelines.changes import CODE_VERSION_TAG, COMPLETENESS, DISCLOSED, MONTHLY, Looked, built_in_month, look
from pipelines.retention import retention_job
from pipelines.sensors import ACTIVE, council_runs, job_kind
from warehouse import clock
from warehouse.settings import Settings

READ_ONLY_JOBS = ("outputs", retention_job.name)  # jobs that never write the warehouse

CODE_TAG = "bdc/code"  # a planned run's tag: the code fingerprint its plan was made with
UNCHANGED_SINCE = "unchanged_since_run"  # metadata of a quiet night's materialisation: the run that made the copy


@dataclass(frozen=True)
class Verdict:
    """Whether tonight is quiet; if not, the first reason found (for the log); if so, the run that made the copy.
    `looked` is what `changes.look` read when the verdict came to it, which the night's plan then reuses."""

    quiet: bool
    reason: str
    since_run: str | None = None
    published_as_of: str | None = None
    looked: Looked | None = field(default=None, compare=False, repr=False)


def night_record_path(published_path: Path) -> Path:
    """The file beside the BI copy that says which night a quiet night's unchanged copy stands for."""
    return published_path.with_name(published_path.name + ".night.json")


def quiet_night(instance: dg.DagsterInstance, settings: Settings, fingerprint: str | None = None) -> Verdict:
    """Whether the night `settings.as_of` is quiet (the module's conditions), read-only. Any error while
    deciding makes it a planned night (the reason names the error): the fast path never stops a night."""
    try:
        return _decide(instance, settings, fingerprint or code_fingerprint(settings))
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the planned night is the safe answer
        return Verdict(False, f"the quiet-night check failed ({type(exc).__name__}: {str(exc)[:200]})")


def _decide(instance: dg.DagsterInstance, settings: Settings, fingerprint: str) -> Verdict:
    published = settings.published_path
    if not settings.warehouse_path.exists() or not published.exists():
        return Verdict(False, "no warehouse or no published copy yet")
    if settings.analyst_path is not None and not settings.analyst_path.exists():
        return Verdict(False, "no analyst copy yet")
    if council_runs(instance, settings, dg.RunsFilter(statuses=ACTIVE), limit=1):
        return Verdict(False, "a run is queued or in progress")
    since, not_current = _copy_made_by(instance, settings, fingerprint)
    if not_current:
        return Verdict(False, not_current)
    copy_run, copy_as_of = _publish_info(published)
    if copy_run != since:
        return Verdict(False, f"the published copy is not the one run {since} wrote")
    if settings.analyst_path is not None and _publish_info(settings.analyst_path)[0] != since:
        return Verdict(False, f"the analyst copy is not the one run {since} wrote")
    recorded = max(filter(None, [copy_as_of, (recorded_night(published, since) or {}).get("as_of")]), default=None)
    if recorded is None or settings.as_of.isoformat() < recorded:
        return Verdict(False, f"the night {settings.as_of} is before the last one recorded ({recorded})")
    if _alerts_since(settings.alerts_path, published):
        return Verdict(False, "alerts were raised since the last publish (the copies carry audit.alerts)")
    month = f"{settings.as_of:%Y-%m}"
    stale_monthly = [k.to_user_string() for k in (council_key(m, settings.asset_prefix) for m in MONTHLY)
                     if built_in_month(instance, k) != month]
    if stale_monthly:
        return Verdict(False, f"the night is in {month}: {', '.join(stale_monthly)} are due")
    looked = look(settings)
    if looked is None:
        return Verdict(False, "the warehouse is being written")
    landing, timely = looked
    if landing:
        return Verdict(False, f"new or changed files for {', '.join(sorted(landing))}", looked=looked)
    if council_key(DISCLOSED, settings.asset_prefix) in timely:
        return Verdict(False, "a suppression threshold has no pattern yet", looked=looked)
    if council_key(COMPLETENESS, settings.asset_prefix) in timely:
        return Verdict(False, "a period in progress turns provisional tonight", looked=looked)
    if timely:
        return Verdict(False, f"timeliness verdicts change tonight ({len(timely)} asset(s))", looked=looked)
    return Verdict(True, "no new file, no code or settings change, no timeliness verdict change, the same month",
                   since, copy_as_of, looked)


def _copy_made_by(instance: dg.DagsterInstance, settings: Settings,
                  fingerprint: str) -> tuple[str | None, str | None]:
    """The run whose copy is published (the last publish, or the run a quiet night's record names) and, if the
    warehouse may not be as that run left it under this code, why: not a successful run, planned or run with
    other code (or not a planned night, nor a sensor's run that inherited the tag), or written since."""
    event = instance.get_latest_materialization_event(council_key(PUBLISHED, settings.asset_prefix))
    if event is None or event.asset_materialization is None:
        return None, "nothing published yet in this Dagster instance"
    metadata = event.asset_materialization.metadata
    since = getattr(metadata.get(UNCHANGED_SINCE), "value", None) or event.run_id
    run = instance.get_run_record_by_id(since)
    if run is None or run.dagster_run.status != dg.DagsterRunStatus.SUCCESS:
        return since, f"the run that published last ({since}) is not a successful run in this instance"
    if run.dagster_run.tags.get(CODE_TAG) != fingerprint or \
            getattr(metadata.get(CODE_FINGERPRINT), "value", None) != fingerprint:  # as planned, as run
        return since, "the code or settings changed since the last publish, or it was not a planned night"
    return since, _written_since(instance, settings, run)


def _written_since(instance: dg.DagsterInstance, settings: Settings, run: dg.RunRecord) -> str | None:
    """Why the warehouse may have been written since `run` (a run of this council other than a successful outputs
    or retention run started after it), or None."""
    for record in council_runs(instance, settings, dg.RunsFilter(created_after=run.create_timestamp)):
        other = record.dagster_run
        read_only = job_kind(other.job_name) in READ_ONLY_JOBS  # <council>__outputs in the shared location
        if other.run_id == run.dagster_run.run_id or read_only and other.status == dg.DagsterRunStatus.SUCCESS:
            continue
        if read_only:
            return f"the {other.job_name} run {other.run_id} since the last publish did not succeed"
        # any other run may have written the warehouse: the nightly job, a landing sensor's, one from the UI
        return f"run {other.run_id} ({other.job_name}) ran on the warehouse since the last publish"
    return None


def inherited_code_tag(instance: dg.DagsterInstance, settings: Settings) -> dict[str, str]:
    """The code tag a landing sensor's run carries: this code's fingerprint when the copy it builds on was made
    under the same fingerprint (by a planned night, or by a sensor's run that inherited it) and nothing else
    wrote the warehouse since. Everything that code reaches was then rebuilt with it, and the sensor's run
    rebuilds what its delivery reaches, so the warehouse after it is one a planned night would leave: the next
    night may be quiet (the other conditions still apply). Otherwise no tag, and the next night is planned."""
    try:
        fingerprint = code_fingerprint(settings)
        return {} if _copy_made_by(instance, settings, fingerprint)[1] else {CODE_TAG: fingerprint}
    except Exception:  # noqa: BLE001 - no tag is the safe answer: the next night is planned
        return {}


def record_quiet_night(instance: dg.DagsterInstance, settings: Settings, verdict: Verdict,
                       noticed_by: str) -> tuple[int, int]:
    """Record the quiet night `verdict` allowed: a materialisation of published/warehouse in Dagster that says the
    copies are unchanged since the run that made them (with the failures that still stand), then the night file
    beside the BI copy (last: a night file without its Dagster record would silence the missed-night alert).
    Returns the (ERROR, WARN) checks still failing."""
    published = council_key(PUBLISHED, settings.asset_prefix)
    last = instance.get_latest_materialization_event(published)
    tags = last.asset_materialization.tags if last and last.asset_materialization else {}
    errors, warnings = standing_failures(settings.warehouse_path)
    instance.report_runless_asset_event(dg.AssetMaterialization(
        published, description=f"Quiet night ({noticed_by}): the published copies are unchanged and stand for "
                               f"{settings.as_of}; nothing was rebuilt.",
        metadata={"as_of": settings.as_of.isoformat(), UNCHANGED_SINCE: verdict.since_run,
                  CODE_FINGERPRINT: code_fingerprint(settings), "quiet_night": verdict.reason,
                  "standing_errors": errors, "standing_warnings": warnings,
                  "path": dg.MetadataValue.path(str(settings.published_path))},
        tags={k: v for k, v in (tags or {}).items() if k == CODE_VERSION_TAG}))
    record = {"as_of": settings.as_of.isoformat(), "recorded_at": clock.timestamp().isoformat(timespec="seconds"),
              UNCHANGED_SINCE: verdict.since_run, "published_as_of": verdict.published_as_of, "by": noticed_by}
    target = night_record_path(settings.published_path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record, indent=1))
    os.replace(temporary, target)
    return errors, warnings


def standing_failures(warehouse: Path) -> tuple[int, int]:
    """(ERROR, WARN) checks whose latest recorded verdict (audit.check_results) did not pass: what a quiet night
    leaves standing, as the scorecard shows it."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("""
            SELECT count(*) FILTER (WHERE status = 'fail'), count(*) FILTER (WHERE status = 'warn')
            FROM (SELECT status FROM audit.check_results
                  QUALIFY row_number() OVER (PARTITION BY subject_type, subject, check_name
                                             ORDER BY coalesce(seq, 0) DESC) = 1)""").fetchone()


def _publish_info(published: Path) -> tuple[str | None, str | None]:
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            run_id, as_of = con.execute("SELECT arg_max(run_id, published_seq), max(as_of)::VARCHAR "
                                        "FROM marts.publish_info").fetchone()
            return run_id, as_of
    except duckdb.Error:
        return None, None


def recorded_night(published: Path, copy_run: str | None) -> dict | None:
    """The quiet night recorded beside `published` for the copy run `copy_run` made: {"as_of", "recorded_at",
    ...}, or None (no record, or one for an earlier copy)."""
    try:
        record = json.loads(night_record_path(published).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get(UNCHANGED_SINCE) != copy_run or copy_run is None:
        return None
    try:  # a hand-edited or truncated file counts for nothing
        night = dt.date.fromisoformat(record["as_of"])
        recorded_at = dt.datetime.fromisoformat(record["recorded_at"])
    except (KeyError, TypeError, ValueError):
        return None
    # A night file never claims a night after the day it was written (a mistyped future BDC_AS_OF would
    # otherwise silence the missed-night alerts until that day).
    return {**record, "as_of": min(night, recorded_at.date()).isoformat()}


def _alerts_since(alerts_path: Path, published: Path) -> bool:
    """Whether audit.alerts in the alerts database differs from the BI copy's (an alert raised, delivered or
    digested since the publish). The sensors open that database read-write on every tick, so its file's time
    says nothing: the rows are compared (count and an order-free digest). A database being written counts."""
    if not alerts_path.exists():
        return False
    digest = "SELECT count(*), sum(hash(a))::VARCHAR FROM {table} AS a"
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            con.execute(f"ATTACH '{alerts_path}' AS alerts_db (READ_ONLY)")
            raised = con.execute(digest.format(table="alerts_db.audit.alerts")).fetchone()
            copied = con.execute(digest.format(table="audit.alerts")).fetchone()
    except duckdb.Error:  # being written this second, or a copy without the table: publish to be sure
        return True
    return raised != copied
