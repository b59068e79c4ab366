"""What changed since the last run, read-only and cheap: new landing files and tonight's timeliness verdicts.
Shared by the night's plan (pipelines/selection.py) and the quiet-night check (pipelines/quiet.py), which must
not import the assets (a quiet night is decided before the Dagster definitions are loaded)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb

from assets.common import NIGHT_MONTH, council_key, table_key
from outputs.partner_packs import disclosure_thresholds
from quality import completeness
from sources import CONTRACTS
from sources.reader import discover_files, file_sha256
from warehouse.catalogue import catalogue
from warehouse.db import WarehouseBusy, connect_waiting, table_exists
from warehouse.settings import Settings

CODE_VERSION_TAG = "dagster/code_version"  # the tag Dagster gives a materialisation: its asset's code version
# Built from the months that have ended (every measure's periods are months): rebuilt when the night falls in a
# new month, even when nothing else changed (on the 1st, last month becomes disclosable and due for commentary).
MONTHLY = [table_key("marts.commentary_status"), table_key("marts.disclosed_values"),
           dg.AssetKey(["outputs", "return_templates"])]


def built_in_month(instance: dg.DagsterInstance, key: dg.AssetKey) -> str | None:
    """The month (YYYY-MM) of the night `key` was last built on (its NIGHT_MONTH metadata), or None."""
    event = instance.get_latest_materialization_event(key)
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    value = metadata.get(NIGHT_MONTH)
    return getattr(value, "value", value)


# A period in progress turns provisional once its sources' grace has passed: a change by date alone, like timeliness.
COMPLETENESS = table_key("marts.period_completeness")
# The suppression patterns: worked out again when a threshold the council's profile or agreements name has none yet.
DISCLOSED = table_key("marts.disclosed_values")
# What `look` reads: per source, its new or changed landing files; the assets whose verdict changes by tonight's date
# alone (timeliness; COMPLETENESS when a period turns provisional tonight), or that lack a threshold (DISCLOSED).
Looked = tuple[dict[str, list[str]], set[dg.AssetKey]]


def look(settings: Settings, wait_seconds: float = 0) -> Looked | None:
    """What changed, read-only: `changed_landing`, and the sources and measures whose timeliness verdict
    tonight differs from the last one recorded (late from tonight, or a grace period over), with COMPLETENESS
    when a period in progress turns provisional tonight. None when the
    warehouse does not exist yet or another process is writing it (after waiting up to `wait_seconds`)."""
    if not settings.warehouse_path.exists():
        return None
    try:
        with connect_waiting(str(settings.warehouse_path), read_only=True, wait_seconds=wait_seconds) as con:
            dated = timeliness_changes(con, settings.as_of, settings.asset_prefix)
            if completeness.due_to_change(con, settings.as_of):
                dated.add(council_key(COMPLETENESS, settings.asset_prefix))
            if missing_thresholds(con, settings):
                dated.add(council_key(DISCLOSED, settings.asset_prefix))
            return changed_landing(con, settings), dated
    except WarehouseBusy:  # connect_waiting turns a lock into WarehouseBusy
        return None
    except (duckdb.CatalogException, duckdb.BinderException):  # a warehouse from before a table or column it
        return None  # reads was added: a planned night runs the migrations (warehouse/sql/audit.sql)


def missing_thresholds(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[int]:
    """The thresholds the council's outputs need (its public one, its agreements') that marts.disclosed_values
    has no pattern for yet: a profile's threshold raised since it was built. None before the table is first built
    (the night's plan builds it then, as never built)."""
    if not table_exists(con, "marts.disclosed_values"):
        return []
    built = {b for (b,) in con.execute("SELECT DISTINCT suppress_below FROM marts.disclosed_values").fetchall()}
    return [b for b in disclosure_thresholds(settings.council)[0] if b not in built]


def timeliness_changes(con: duckdb.DuckDBPyConnection, as_of: dt.date,
                       prefix: tuple[str, ...] = ()) -> set[dg.AssetKey]:
    """Staging and measure assets (their keys, after `prefix`) whose timeliness verdict tonight is not the one last
    recorded for them."""
    from quality import measure_checks, source_checks

    last = {(s, st, r) for s, st, r in con.execute("""
        SELECT subject, status, reason FROM audit.check_results WHERE check_name = 'timely'
        QUALIFY row_number() OVER (PARTITION BY subject_type, subject ORDER BY coalesce(seq, 0) DESC) = 1"""
                                       ).fetchall()}
    tonight = [(f"staging.{c.name}", source_checks.timely(con, c, as_of)) for c in CONTRACTS.values()
               if c.cadence.frequency == "monthly"]
    tonight += [(f"measures.{m.id}", measure_checks.timely(con, m, as_of)) for m in catalogue().measures.values()]
    return {table_key(name, prefix) for name, o in tonight if (o.subject, o.status, o.summary) not in last}


def changed_landing(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, list[str]]:
    """Per source, the landing files not loaded yet and not already refused as they are: known by path, size and
    modification time, or (the same file copied or touched since) by its path and SHA-256. A file with bytes
    already loaded under another name is new until the raw load has recorded it as a duplicate delivery."""
    known = set(con.execute("""
        SELECT source, file_path, size_bytes, file_modified_ns FROM audit.loaded_files
        UNION ALL  -- refused as it is: the refusal (or its replacement) already stands
        SELECT source, file_path, size_bytes, file_modified_ns FROM audit.refused_files""").fetchall())
    loaded = set(con.execute("""SELECT source, file_path, file_sha256 FROM audit.loaded_files
                                UNION ALL  -- bytes already loaded under another name: recorded, not loaded again
                                SELECT source, file_path, file_sha256 FROM audit.duplicate_deliveries""").fetchall())
    changed: dict[str, list[str]] = {}
    for contract in CONTRACTS.values():
        for path in discover_files(contract, settings.landing_for(contract.name)):
            try:
                stat = path.stat()
                if (contract.name, str(path), stat.st_size, stat.st_mtime_ns) in known or \
                        (contract.name, str(path), file_sha256(path)) in loaded:
                    continue
            except FileNotFoundError:
                continue
            changed.setdefault(contract.name, []).append(path.name)
    return changed
