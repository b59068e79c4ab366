"""Run the nightly job in this process and summarise it for the person at the terminal."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.selection import NightPlan
from pipelines.ui_origin import attach_origin, job_origin, origin_tags
from quality.holds import open_holds
from warehouse.catalogue import catalogue
from warehouse.settings import Settings

EXAMPLE_QUERY = ("SELECT title, period_start, round(value, 1) AS value FROM marts.dashboard_strategic "
                 "WHERE is_latest ORDER BY purpose_id, title")


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    seconds: float
    checks_passed: int
    checks_failed: list[str]  # every check that did not pass: errors and warnings
    checks_errored: list[str]  # those that failed with ERROR severity
    measures_materialised: int
    result: dg.ExecuteInProcessResult
    # Checks not run tonight (their asset was not rebuilt) whose last verdict did not pass: they still stand.
    carried_errors: list[str] = field(default_factory=list)
    carried_warnings: list[str] = field(default_factory=list)
    # Each check that did not pass -> the first line of its result's description (why, in plain words).
    check_reasons: dict[str, str] = field(default_factory=dict)


def run_nightly(defs: dg.Definitions, instance: dg.DagsterInstance | None = None,
                log_level: str = "INFO", job_name: str = "nightly", plan: NightPlan | None = None,
                tags: dict[str, str] | None = None, run_id: str | None = None) -> RunOutcome:
    """Execute the `nightly` job (or `job_name`) in process (recorded in `instance` when given) and collect its
    outcome: the whole job, or only the assets and checks of `plan` (pipelines/selection.py)."""
    job = whole_job = defs.resolve_job_def(job_name)
    if plan is not None and not plan.everything:
        job = job.get_subset(asset_selection=plan.assets, asset_check_selection=plan.checks)
    started = time.monotonic()
    config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    run_tags = {**(tags or {}), **({"bdc/plan": plan.summary()[:1000]} if plan is not None else {})}
    origin = job_origin(job_name) if instance is not None and instance.is_persistent else None
    if origin is not None:  # on the job's page and the timeline in the Dagster UI (pipelines/ui_origin.py)
        run_tags |= origin_tags(origin)
    result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=config, tags=run_tags,
                                    run_id=run_id)
    if origin is not None:
        attach_origin(instance, result.run_id, origin)
    seconds = time.monotonic() - started
    evaluations = result.get_asset_check_evaluations()
    failed = [e for e in evaluations if not e.passed]
    errored = [e for e in failed if e.severity == dg.AssetCheckSeverity.ERROR]
    measures = {e.asset_key for e in result.get_asset_materialization_events()
                if e.asset_key.path[-2:-1] == ["measures"]}  # [council,] "measures", id
    not_run = set(whole_job.asset_layer.asset_graph.asset_check_keys) - {e.asset_check_key for e in evaluations}
    carried_errors, carried_warnings = carried_forward(instance, not_run)
    reasons = {name: next(iter((e.description or "").strip().splitlines()), "")[:240]
               for name, e in zip(_names(failed), failed, strict=True)}
    return RunOutcome(result.success, result.run_id, seconds, len(evaluations) - len(failed), _names(failed),
                      _names(errored), len(measures), result, carried_errors, carried_warnings, reasons)


def carried_forward(instance: dg.DagsterInstance | None,
                    not_run: set[dg.AssetCheckKey]) -> tuple[list[str], list[str]]:
    """Of the checks a run did not run (their asset was not rebuilt: its data and rules are unchanged), those
    whose last verdict was a failure, or whose last run never gave one: (ERROR, WARN), each named with the run
    it stands from. A skipped check never reads as passed."""
    if instance is None or not not_run:
        return [], []
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(sorted(not_run, key=str))
    errors, warnings = [], []
    for key in sorted(not_run, key=str):
        execution = latest.get(key)
        if execution is None:  # never run in this instance: its asset was never built here either
            continue
        evaluation = execution.event.asset_check_evaluation if execution.event else None
        name = f"{key.asset_key.to_user_string()}:{key.name}"
        if evaluation is None:  # planned in its last run, which never evaluated it (a step failed, a kill)
            errors.append(f"{name} (no verdict: its last run {execution.run_id[:8]} did not evaluate it)")
        elif not evaluation.passed:
            kind = errors if evaluation.severity == dg.AssetCheckSeverity.ERROR else warnings
            kind.append(f"{name} (unchanged since run {execution.run_id[:8]})")
    return errors, warnings


def outputs_summary(outcome: RunOutcome, settings: Settings) -> str:
    """Where the reports, site and partner packs went (from the outputs job's materialisations)."""
    if not outcome.success:
        return (f"Outputs FAILED in {outcome.seconds:.1f} s (Dagster run {outcome.run_id}); the published warehouse "
                "is in place, but reports, site or partner packs are not up to date.")
    lines = [f"Outputs built in {outcome.seconds:.1f} s:"]
    for event in outcome.result.get_asset_materialization_events():
        metadata = {k: v.value for k, v in event.materialization.metadata.items()}
        if "folder" in metadata:
            metadata["folder"] = relative(Path(metadata["folder"]))
        name = event.asset_key.path[-1]
        if name == "reports":
            lines.append(f"  reports ({metadata['periods']}): {metadata['files']} files in {metadata['folder']}")
        elif name == "public_site":
            lines.append(f"  public site: {metadata['pages']} pages, {metadata['megabytes']} MB in "
                         f"{metadata['folder']} (open {metadata['folder']}/index.html)")
        elif name == "partner_packs":
            lines.append(f"  partner packs: {metadata['partners']} partners in {metadata['folder']}")
        elif name == "quality_scorecard_page":
            lines.append(f"  data-quality scorecard (Policy Team): {relative(Path(metadata['page']))}")
    return "\n".join(lines)


def _names(evaluations: list) -> list[str]:
    return [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations]


def summary(outcome: RunOutcome, settings: Settings) -> str:
    """A short plain-text report: sources loaded, measures, checks, and where to query."""
    lines = [f"Nightly load {'SUCCEEDED' if outcome.success else 'FAILED'} in {outcome.seconds:.1f} s "
             f"(Dagster run {outcome.run_id})", ""]
    holds: list[tuple] = []
    if settings.warehouse_path.exists():
        with duckdb.connect(str(settings.warehouse_path)) as con:  # the run is over: no other writer
            rows = con.execute("""
                WITH files AS (SELECT source, count(*) FILTER (WHERE run_id = $run) AS new_files, count(*) AS files,
                                      sum(rows_loaded) FILTER (WHERE run_id = $run) AS new_rows
                               FROM audit.loaded_files GROUP BY source),
                     rc AS (SELECT source, sum(raw_rows) AS raw_rows, sum(staged_rows) AS staged,
                                   sum(quarantined) AS quarantined, sum(out_of_scope) AS out_of_scope
                            FROM audit.row_conservation GROUP BY source)
                SELECT source, coalesce(new_files, 0), coalesce(files, 0), coalesce(new_rows, 0),
                       coalesce(raw_rows, 0), coalesce(staged, 0), coalesce(quarantined, 0), coalesce(out_of_scope, 0)
                FROM files FULL JOIN rc USING (source) ORDER BY source""", {"run": outcome.run_id}).fetchall()
            holds = open_holds(con)
        lines.append(f"{'source':<24}{'new files':>10}{'files':>7}{'new rows':>10}{'raw rows':>10}{'staged':>9}"
                     f"{'quarantined':>13}{'out of scope':>14}")
        for r in rows:
            lines.append(f"{r[0]:<24}{r[1]:>10}{r[2]:>7}{r[3]:>10}{r[4]:>10}{r[5]:>9}{r[6]:>13}{r[7]:>14}")
        lines.append("")
    total = len(catalogue().measures)
    lines.append(f"Measures materialised: {outcome.measures_materialised} of {total}")
    warned = [c for c in outcome.checks_failed if c not in outcome.checks_errored]
    lines.append(f"Checks: {outcome.checks_passed} passed, {len(warned)} warned, {len(outcome.checks_errored)} "
                 "failed (ERROR)")
    for label, names in (("  ERROR: ", outcome.checks_errored), ("  WARN:  ", warned)):
        lines += [label + name + (f": {outcome.check_reasons[name]}" if outcome.check_reasons.get(name) else "")
                  for name in names]
    carried = [("  ERROR: ", n) for n in outcome.carried_errors] + [("  WARN:  ", n) for n in outcome.carried_warnings]
    if carried:
        lines.append(f"Not re-run tonight and still failing ({len(outcome.carried_errors)} ERROR, "
                     f"{len(outcome.carried_warnings)} WARN; their data and rules did not change):")
        lines += [label + name for label, name in carried]
    if holds:
        lines.append(f"Held back at their last good data ({len(holds)}; everything else was refreshed):")
        lines += [f"  {kind} {subject}, since {since_as_of}: {reason[:200]}"
                  for kind, subject, _, since_as_of, reason in holds]
    docs = settings.quality_dir / "data_docs" / "index.html"
    if docs.exists():
        lines.append(f"Data quality: marts.quality_scorecard; Great Expectations Data Docs: {relative(docs)}")
    published = settings.published_path
    if outcome.success and published.exists():
        lines += ["", f"Published warehouse (read-only): {published}",
                  "Query it, e.g.:",
                  f"  .venv/bin/python -c \"import duckdb; duckdb.connect('{relative(published)}', read_only=True)"
                  f".sql(\\\"{EXAMPLE_QUERY}\\\").show()\""]
    elif not outcome.success:
        lines += ["", f"The published warehouse was not replaced: {published} still holds the last good load.",
                  "Open the run in the Dagster UI (make dev) to see which step or check failed."]
    return "\n".join(lines)


def relative(path: Path) -> str:
    """`path` relative to the working directory when it is under it (shorter on the terminal)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
