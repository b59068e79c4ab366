"""Publish a read-only copy of the warehouse for BI tools, swapped in atomically after a good run.

Readers open the published file read-only. The new copy is written beside it under a temporary name and
renamed over it in one step (POSIX rename), so a reader sees the old file or the new one, never half of
either, and never meets the writer's lock."""

from __future__ import annotations

import datetime as dt
import os
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
    con.execute(f"ATTACH '{temporary}' AS publishing")
    try:
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"CREATE SCHEMA publishing.{schema}")
        for schema, table in tables:
            con.execute(f"CREATE TABLE publishing.{schema}.{table} AS SELECT * FROM {schema}.{table}")
            counts[f"{schema}.{table}"] = con.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
        if alerts_path is not None and alerts_path.exists():
            counts["audit.alerts"] = _copy_alerts(con, alerts_path)
        con.execute("CREATE TABLE publishing.marts.publish_info AS SELECT ? AS run_id, ? AS published_at, "
                    "? AS tables", [run_id, dt.datetime.now(), len(tables)])
    finally:
        con.execute("DETACH publishing")
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, published_path)
    return counts


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
        con.execute("CREATE TABLE publishing.audit.alerts AS SELECT * FROM alerts_db.audit.alerts")
        return con.execute("SELECT count(*) FROM publishing.audit.alerts").fetchone()[0]
    finally:
        con.execute("DETACH alerts_db")
