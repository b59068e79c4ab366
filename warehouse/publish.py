"""Publish read-only copies of the warehouse, swapped in atomically after a good run: the BI copy every BI reader
opens, and the analyst copy (record-level pseudonymised facts, mode 0640 for a group). What each holds follows
from the data classes (warehouse/classification.py): a table only if its rows may go there, and only the
columns that may.

Readers open the published file read-only. The new copy is written beside it under a temporary name and
renamed over it in one step (POSIX rename), so a reader sees the old file or the new one, never half of
either, and never meets the writer's lock.

The new copy starts as a file copy of the last one. Core models that were only appended to since then (see
warehouse/incremental.py) get just the rows of the files the copy lacks; every other table is replaced. So
an incremental night copies what changed, not the whole history."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import duckdb

from warehouse import clock
from warehouse.alerts_table import alerts_ddl
from warehouse.classification import allowed_columns, audience_classes, row_filter, table_classes
from warehouse.dictionary import TABLE as DICTIONARY_TABLE
from warehouse.dictionary import describe_copy

log = logging.getLogger(__name__)

# raw keeps personal data and staging grows with history: neither is published.
PUBLISHED_SCHEMAS = ("core", "marts", "audit")


# Tables written into each copy rather than copied from the working warehouse: never "dropped from it", so their
# rewrite each night does not count as a withdrawal that forces a compaction.
COPY_ONLY = ("marts.publish_info", "audit.alerts", DICTIONARY_TABLE)


def publish(con: duckdb.DuckDBPyConnection, published_path: Path, run_id: str,
            alerts_path: Path | None = None, compact_above: float | None = None,
            allowed: frozenset[str] | None = None, mode: int | None = None, group: str | None = None,
            compact_min_bytes: int | None = None) -> dict[str, int]:
    """Copy the published schemas from the working warehouse (and audit.alerts from the alerts database, when
    there is one) into `published_path`, holding only the tables and columns of the `allowed` data classes
    (default: the BI copy's); rewrite the copy without its free space when more than `compact_above` of its
    blocks are free and they hold at least `compact_min_bytes` (defaults `compact_threshold()` and
    `compact_floor()`), or when a table or column was withdrawn from it. The file gets `mode` and `group` when
    given. Returns rows per table (and, under `COMPACTED`, the size before compaction when there was one). If
    anything fails (the disk full, the process killed), the published file is untouched and the partial copy
    is removed (now, or by the next publish)."""
    allowed = audience_classes("bi") if allowed is None else allowed
    compact_above = compact_threshold() if compact_above is None else compact_above
    compact_min_bytes = compact_floor() if compact_min_bytes is None else compact_min_bytes
    published_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = published_path.with_name(f".{published_path.name}.{run_id}.tmp")
    for stale in [*published_path.parent.glob(f".{published_path.name}.*.tmp"),
                  *published_path.parent.glob(f".{published_path.name}.*.tmp.compact")]:  # left by a killed run
        stale.unlink(missing_ok=True)
    try:
        since = _published_seq(published_path)
        if since is not None:  # start from the last copy: appended tables then only need their new rows
            shutil.copyfile(published_path, temporary)
        con.execute(f"ATTACH '{temporary}' AS publishing")
        try:
            counts, dropped = _fill(con, run_id, since, alerts_path, allowed)
            # A dropped table's rows stay in the file's free blocks until it is rewritten: a table withdrawn
            # from this copy (its class no longer allowed) must not linger there.
            free_share, free_bytes = _free_space(con, "publishing")
            if dropped or (free_share > compact_above and free_bytes >= compact_min_bytes):
                counts[COMPACTED] = _compact(con, temporary)
        finally:
            if con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'publishing'").fetchone()[0]:
                con.execute("DETACH publishing")
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        if group is not None:
            shutil.chown(temporary, group=group)
        if mode is not None:
            temporary.chmod(mode)
        os.replace(temporary, published_path)
    finally:
        temporary.unlink(missing_ok=True)  # gone after the rename; a failed copy gives its space back at once
        temporary.with_name(temporary.name + ".compact").unlink(missing_ok=True)
    return counts


def _fill(con: duckdb.DuckDBPyConnection, run_id: str, since: int | None, alerts_path: Path | None,
          allowed: frozenset[str]) -> tuple[dict[str, int], int]:
    """Bring the attached copy `publishing` up to the working warehouse, with the tables and columns of the
    `allowed` classes; returns rows per table and how many tables (or columns) were dropped from the copy."""
    found = con.execute(
        "SELECT table_schema, table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
        f"WHERE table_catalog = current_database() AND table_schema IN {PUBLISHED_SCHEMAS} AND (table_schema, "
        "table_name) IN (SELECT (table_schema, table_name) FROM information_schema.tables WHERE table_type = "
        "'BASE TABLE') GROUP BY ALL ORDER BY ALL").fetchall()
    tables = {(schema, table): columns for schema, table, all_columns in found
              if (columns := allowed_columns(f"{schema}.{table}", all_columns, allowed))}
    if unclassified := [f"{s}.{t}" for s, t, _ in found if f"{s}.{t}" not in table_classes()]:
        log.warning("not published, having no data class in warehouse/catalogue/data_classes.yaml: %s",
                    ", ".join(unclassified))
    counts: dict[str, int] = {}
    for schema in PUBLISHED_SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS publishing.{schema}")
    appendable = _appended_since(con, since) if since is not None else set()
    copied = _columns_in_copy(con)
    dropped = 0
    for (schema, table), columns in tables.items():
        name = f"{schema}.{table}"
        selected, rows = ", ".join(f'"{c}"' for c in columns), row_filter(columns, allowed)
        in_copy = copied.get((schema, table), [])
        dropped += bool(set(in_copy) - set(columns))
        if rows != "true" and set(in_copy) >= set(columns):  # rows this copy may no longer hold (an upgrade)
            dropped += con.execute(f"SELECT count(*) FROM publishing.{name} WHERE NOT ({rows})").fetchone()[0] > 0
        if name in appendable and in_copy == columns:
            con.execute(f"""INSERT INTO publishing.{name} BY NAME SELECT {selected} FROM {name} WHERE {rows}
                            AND _file_sha256 NOT IN (SELECT DISTINCT _file_sha256 FROM publishing.{name})""")
        else:
            con.execute(f"CREATE OR REPLACE TABLE publishing.{name} AS SELECT {selected} FROM {name} WHERE {rows}")
        counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    for schema, table in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = 'publishing'"
            ).fetchall():  # a table dropped from the warehouse (or from this copy's classes) since the last copy
        if (schema, table) not in tables and f"{schema}.{table}" not in COPY_ONLY:
            con.execute(f"DROP TABLE publishing.{schema}.{table}")
            dropped += 1
    if allowed_columns("audit.alerts", ["x"], allowed):  # replaced whole each time; empty before any alert
        counts["audit.alerts"] = _copy_alerts(con, alerts_path if alerts_path and alerts_path.exists() else None)
    # published_seq orders this copy against later builds (audit.model_state), as wall-clock time cannot.
    con.execute("CREATE OR REPLACE TABLE publishing.marts.publish_info AS SELECT ? AS run_id, "
                "?::TIMESTAMP AS published_at, ? AS tables, ? AS published_seq, ?::DATE AS as_of",
                [run_id, clock.timestamp(), len(tables), clock.next_build_seq(con), clock.as_of()])
    if undescribed := describe_copy(con, "publishing"):
        log.warning("no description in warehouse/catalogue/dictionary.yaml for: %s", ", ".join(undescribed))
    con.execute("CHECKPOINT publishing")
    return counts, dropped


def _columns_in_copy(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[str]]:
    """(schema, table) -> its columns in order, for every table in the copy being published (one query: asking
    table by table costs a catalogue scan each, seconds a night)."""
    return {(schema, table): columns for schema, table, columns in con.execute(
        "SELECT table_schema, table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
        "WHERE table_catalog = 'publishing' GROUP BY ALL").fetchall()}


COMPACTED = "compacted_from_bytes"  # in publish()'s counts when the copy was compacted: its size before


def compact_threshold() -> float:
    """The share of free blocks above which the published copy is rewritten (BDC_PUBLISHED_COMPACT_ABOVE)."""
    return float(os.environ.get("BDC_PUBLISHED_COMPACT_ABOVE", "0.25"))


def compact_floor() -> int:
    """Free bytes below which the published copy is not rewritten for its size (BDC_PUBLISHED_COMPACT_MIN_MB,
    default 64 MiB): DuckDB reuses free blocks, so a small copy's free space stays small, and rewriting the
    whole file to win back a few megabytes cost more of a night than the space is worth."""
    return int(float(os.environ.get("BDC_PUBLISHED_COMPACT_MIN_MB", "64")) * 1024 * 1024)


def _free_space(con: duckdb.DuckDBPyConnection, database: str) -> tuple[float, int]:
    """The share of `database`'s blocks that are free, and the bytes they hold."""
    total, free, block_size = con.execute("""SELECT total_blocks, free_blocks, block_size FROM pragma_database_size()
                                             WHERE database_name = ?""", [database]).fetchone()
    return (free / total if total else 0.0), free * block_size


def _compact(con: duckdb.DuckDBPyConnection, temporary: Path) -> int:
    """Rewrite the copy being published without its free blocks (DuckDB reuses freed blocks but never gives
    them back, so a file replaced table by table every night only grows): COPY FROM DATABASE into a new file,
    which then takes the copy's place. Returns the size before."""
    before = temporary.stat().st_size
    compacted = temporary.with_name(temporary.name + ".compact")
    compacted.unlink(missing_ok=True)
    con.execute(f"ATTACH '{compacted}' AS compacting")
    try:
        con.execute("COPY FROM DATABASE publishing TO compacting")
    finally:
        con.execute("DETACH compacting")
    con.execute("DETACH publishing")
    os.replace(compacted, temporary)
    return before


def _published_seq(path: Path) -> int | None:
    """The build sequence number of the current published copy, or None when there is none (or it cannot be
    read, or predates the number): then every table is copied in full."""
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as published:
            return published.execute("SELECT max(published_seq) FROM marts.publish_info").fetchone()[0]
    except duckdb.Error:
        return None


def _appended_since(con: duckdb.DuckDBPyConnection, since: int) -> set[str]:
    """Models only ever appended to since the last copy was published (no full rebuild since): the copy holds
    a prefix of their rows (by file), so only the rows of files it lacks are copied."""
    return {t for (t,) in con.execute("SELECT table_name FROM audit.model_state WHERE rebuilt_seq < ?",
                                      [since]).fetchall()}


def _copy_alerts(con: duckdb.DuckDBPyConnection, alerts_path: Path | None, attempts: int = 5) -> int:
    """audit.alerts into the copy being published (from `alerts_path`, or empty when no alert has been raised
    yet, so a reader's query of it works from the first night). A sensor may be writing an alert this second:
    retry."""
    if alerts_path is None:
        con.execute("ATTACH ':memory:' AS alerts_db")
        con.execute(alerts_ddl("alerts_db"))
    else:
        for attempt in range(attempts):
            try:
                con.execute(f"ATTACH '{alerts_path}' AS alerts_db (READ_ONLY)")
                break
            except duckdb.IOException:
                if attempt == attempts - 1:
                    raise
                time.sleep(1 + attempt)
    try:
        if alerts_path is None:  # none raised yet, or the alerts database is elsewhere: keep what the copy has
            con.execute("CREATE TABLE IF NOT EXISTS publishing.audit.alerts AS SELECT * FROM alerts_db.audit.alerts")
        else:
            con.execute("CREATE OR REPLACE TABLE publishing.audit.alerts AS SELECT * FROM alerts_db.audit.alerts")
        return con.execute("SELECT count(*) FROM publishing.audit.alerts").fetchone()[0]
    finally:
        con.execute("DETACH alerts_db")
