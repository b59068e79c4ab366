"""Publish a read-only copy of the warehouse for BI tools, swapped in atomically after a good run.

Readers open the published file read-only. The new copy is written beside it under a temporary name and
renamed over it in one step (POSIX rename), so a reader sees the old file or the new one, never half of
either, and never meets the writer's lock.

The new copy starts as a file copy of the last one. Core models that were only appended to since then (see
warehouse/incremental.py) get just the rows of the files the copy lacks; every other table is replaced. So
an incremental night copies what changed, not the whole history."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import duckdb

# raw keeps personal data and staging grows with history: neither is published.
PUBLISHED_SCHEMAS = ("core", "marts", "audit")


def publish(con: duckdb.DuckDBPyConnection, published_path: Path, run_id: str,
            alerts_path: Path | None = None) -> dict[str, int]:
    """Copy the published schemas from the working warehouse (and audit.alerts from the alerts database, when
    there is one) into `published_path`. Returns rows per table."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = published_path.with_name(f".{published_path.name}.{run_id}.tmp")
    for stale in published_path.parent.glob(f".{published_path.name}.*.tmp"):  # left by a killed run
        stale.unlink(missing_ok=True)
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database() "
        f"AND table_schema IN {PUBLISHED_SCHEMAS} AND table_type = 'BASE TABLE' ORDER BY ALL").fetchall()
    counts: dict[str, int] = {}
    since = _published_at(published_path)
    if since is not None:  # start from the last copy: appended tables then only need their new rows
        shutil.copyfile(published_path, temporary)
    con.execute(f"ATTACH '{temporary}' AS publishing")
    try:
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS publishing.{schema}")
        appendable = _appended_since(con, since) if since is not None else set()
        for schema, table in tables:
            name = f"{schema}.{table}"
            if name in appendable and _exists(con, schema, table):
                con.execute(f"""INSERT INTO publishing.{name} BY NAME SELECT * FROM {name}
                                WHERE _file_sha256 NOT IN (SELECT DISTINCT _file_sha256 FROM publishing.{name})""")
            else:
                con.execute(f"CREATE OR REPLACE TABLE publishing.{name} AS SELECT * FROM {name}")
            counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        for schema, table in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = 'publishing'"
                ).fetchall():  # a table dropped from the warehouse since the last copy
            if (schema, table) not in tables and f"{schema}.{table}" != "marts.publish_info":
                con.execute(f"DROP TABLE publishing.{schema}.{table}")
        if alerts_path is not None and alerts_path.exists():
            counts["audit.alerts"] = _copy_alerts(con, alerts_path)
        # DuckDB's clock, as audit.model_state's, which _appended_since compares it with.
        con.execute("CREATE OR REPLACE TABLE publishing.marts.publish_info AS SELECT ? AS run_id, "
                    "now()::TIMESTAMP AS published_at, ? AS tables", [run_id, len(tables)])
    finally:
        con.execute("DETACH publishing")
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, published_path)
    return counts


def _published_at(path: Path) -> dt.datetime | None:
    """When the current published copy was made, or None when there is none (or it cannot be read)."""
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as published:
            return published.execute("SELECT max(published_at) FROM marts.publish_info").fetchone()[0]
    except duckdb.Error:
        return None


def _appended_since(con: duckdb.DuckDBPyConnection, since: dt.datetime) -> set[str]:
    """Models only ever appended to since the last copy was published (no full rebuild since): the copy holds
    a prefix of their rows (by file), so only the rows of files it lacks are copied."""
    return {t for (t,) in con.execute("SELECT table_name FROM audit.model_state WHERE rebuilt_at < ?",
                                      [since]).fetchall()}


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("""SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'publishing'
                               AND table_schema = ? AND table_name = ?""", [schema, table]).fetchone()[0])


def _copy_alerts(con: duckdb.DuckDBPyConnection, alerts_path: Path, attempts: int = 5) -> int:
    """audit.alerts into the copy being published. A sensor may be writing an alert this second: retry."""
    for attempt in range(attempts):
        try:
            con.execute(f"ATTACH '{alerts_path}' AS alerts_db (READ_ONLY)")
            break
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(1 + attempt)
    try:
        con.execute("CREATE OR REPLACE TABLE publishing.audit.alerts AS SELECT * FROM alerts_db.audit.alerts")
        return con.execute("SELECT count(*) FROM publishing.audit.alerts").fetchone()[0]
    finally:
        con.execute("DETACH alerts_db")
