"""Landing-folder sensors: a file that arrives (or is corrected) during the day loads its source and rebuilds
what depends on it, without waiting for the night.

Each sensor keeps a cursor of the files it has seen (size and modification time). A file is acted on once it
is *stable*: the same size and time on two ticks in a row, so a file still being copied is left alone. A
stable file whose bytes the warehouse already holds (checked by SHA-256, opening the warehouse read-only)
starts nothing. The sensor never starts a second writer: while a run is queued or in progress, or the
warehouse file is locked, it skips the tick and looks again on the next one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import dagster as dg
import duckdb

from sources.contract import SourceContract
from sources.reader import discover_files, file_sha256
from warehouse.db import is_lock_error, table_exists
from warehouse.settings import Settings, SettingsResource, councils_of_run

TICK_SECONDS = 60
WRITER_TAG = "bdc/writer"  # every run that writes a council's warehouse carries it (value: the council's id);
#                            dagster.yaml allows one at a time per value
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _observe(files: list[Path]) -> dict[str, list[int]]:
    observed = {}
    for path in files:
        try:
            stat = path.stat()
        except FileNotFoundError:  # moved away between listing and stat
            continue
        observed[str(path)] = [stat.st_size, stat.st_mtime_ns]
    return observed


def loaded_hashes(warehouse: Path, source: str) -> set[str] | None:
    """SHA-256 of every file of `source` the warehouse holds, read-only; None while a writer holds the file."""
    if not warehouse.exists():
        return set()
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            if not table_exists(con, "audit.loaded_files"):
                return set()
            return {r[0] for r in con.execute("SELECT file_sha256 FROM audit.loaded_files WHERE source = ?",
                                              [source]).fetchall()}
    except duckdb.IOException as exc:
        if is_lock_error(exc):
            return None
        raise


def located(name: str, council: str | None) -> str:
    """A job's, schedule's or sensor's name in a location: as is in a council's own, `<council>__<name>` in the
    shared one."""
    return f"{council}__{name}" if council else name


def job_kind(job_name: str) -> str:
    """What a job is, whichever location: 'redditch__outputs' and 'outputs' are both 'outputs'."""
    return job_name.split("__")[-1]


def council_runs(instance: dg.DagsterInstance, settings: Settings, runs_filter: dg.RunsFilter | None = None,
                 limit: int | None = None) -> list[dg.RunRecord]:
    """The runs matching `runs_filter` that may touch this council's warehouse: every run in a council's own
    location; in the shared one, the runs naming `settings.council` (another council's runs never hold it back)."""
    if not settings.asset_prefix:
        return list(instance.get_run_records(runs_filter, limit=limit))
    records = [r for r in instance.get_run_records(runs_filter)
               if not (named := councils_of_run(r.dagster_run)) or settings.council.id in named]
    return records[:limit] if limit else records


def landing_sensor(contract: SourceContract, job: dg.UnresolvedAssetJobDefinition,
                   affected: Sequence[dg.AssetKey],
                   run_tags: Callable[[dg.DagsterInstance, Settings], dict[str, str]] | None = None,
                   council: str | None = None) -> dg.SensorDefinition:
    """The sensor for one source's landing folder; its runs materialise `affected` (the source's raw asset and
    everything downstream of it), tagged also with `run_tags(instance, settings)` (the code tag it inherits).
    `council`: the one council it watches for in the shared code location (named `<council>__<source>_landing`)."""

    @dg.sensor(name=located(f"{contract.name}_landing", council), job=job,
               minimum_interval_seconds=TICK_SECONDS, default_status=dg.DefaultSensorStatus.RUNNING,
               description=f"Loads new or corrected {contract.title} files from its landing folder during the day "
                           f"and rebuilds what depends on them.")
    def _sensor(context: dg.SensorEvaluationContext, settings: SettingsResource):
        folders = (settings.for_council(council) if council else settings).get()
        cursor = json.loads(context.cursor) if context.cursor else {"pending": {}, "done": {}}
        observed = _observe(discover_files(contract, folders.landing_for(contract.name)))
        done = {p: o for p, o in cursor["done"].items() if p in observed}
        stable = [p for p, o in observed.items() if done.get(p) != o and cursor["pending"].get(p) == o]
        pending = {p: o for p, o in observed.items() if done.get(p) != o}
        if not stable:
            context.update_cursor(json.dumps({"pending": pending, "done": done}))
            waiting = len(pending)
            return dg.SkipReason(f"{waiting} file(s) still changing or new since the last tick" if waiting
                                 else "no new or changed files")
        if council_runs(context.instance, folders, dg.RunsFilter(statuses=ACTIVE), limit=1):
            return dg.SkipReason("a run is queued or in progress; will look again on the next tick")
        known = loaded_hashes(folders.warehouse_path, contract.name)
        if known is None:
            return dg.SkipReason("the warehouse is being written; will look again on the next tick")
        hashes = {p: file_sha256(Path(p)) for p in stable}
        new = sorted(p for p, sha in hashes.items() if sha not in known)
        for path in stable:
            done[path] = observed[path]
            pending.pop(path, None)
        context.update_cursor(json.dumps({"pending": pending, "done": done}))
        if not new:
            return dg.SkipReason(f"{len(stable)} file(s) already loaded (same bytes)")
        run_key = hashlib.sha256("|".join(hashes[p] for p in new).encode()).hexdigest()[:16]
        names = [Path(p).name for p in new]
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        context.log.info(f"{contract.name}: {len(new)} new file(s): {', '.join(names[:5])}{more}")
        inherited = run_tags(context.instance, folders) if run_tags else {}
        return dg.RunRequest(run_key=f"{contract.name}-{run_key}", asset_selection=list(affected),
                             tags={"bdc/trigger": "landing sensor", "bdc/source": contract.name,
                                   "bdc/files": ", ".join(Path(p).name for p in new)[:200], **inherited})

    return _sensor
