"""The published layer of a several-council deployment: a DuckLake whose catalog is a PostgreSQL database and whose
data is Parquet under a folder or an S3-compatible bucket (README "Running several councils").

Each council's warehouse is still built in its own DuckDB file by one writer; after its publish, the night's BI copy
(never the analyst copy: no record-level data reaches the lake) is committed to the lake as one snapshot, into the
council's own schemas (`<council>_core`, `<council>_marts`, `<council>_audit`), so two councils' nights never write
the same table. Unchanged tables are not rewritten: a snapshot costs what changed. Every snapshot is kept until
`maintain` expires those older than the retention, so "what did the dashboard say on 12 September" is a query
`AT (VERSION => snapshot_for_night(...))`. A commit that meets another writer's conflicting commit is retried.

Off unless BDC_LAKE_CATALOG is set: `make run` needs no PostgreSQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.db import load_extension
from warehouse.secrets import redact

log = logging.getLogger(__name__)
LAKE = "lake"  # the alias the lake is attached under
PUBLISHED_SCHEMAS = ("core", "marts", "audit")  # the BI copy's schemas (warehouse/publish.py)
META_SCHEMA = "meta"  # <council>_meta.nights: one row per night committed, the snapshot's own record
AUTHOR = "bromsgrove-performance-warehouse"


class LakeCommitFailed(RuntimeError):
    """A council's night could not be committed after every retry; the lake still holds its previous night."""


@dataclass(frozen=True)
class Lake:
    """Where the lake is: the PostgreSQL catalog (a libpq connection string) and the data path."""

    catalog: str  # e.g. "dbname=ducklake host=127.0.0.1 port=5432 user=lake" (BDC_LAKE_CATALOG)
    data_path: str  # a folder, or s3://bucket/prefix/ (BDC_LAKE_DATA_PATH)
    s3_endpoint: str | None = None  # host:port of an S3-compatible store (BDC_LAKE_S3_ENDPOINT); None: AWS
    s3_key_id: str | None = None
    s3_secret: str | None = field(default=None, repr=False)  # a secret: never in a repr or a log
    s3_region: str = "eu-west-2"
    s3_use_ssl: bool = True

    @property
    def on_object_storage(self) -> bool:
        return self.data_path.startswith("s3://")


def lake_from_env() -> Lake | None:
    """The lake the environment names, or None (single-file mode) when BDC_LAKE_CATALOG is unset."""
    catalog = os.environ.get("BDC_LAKE_CATALOG", "").strip()
    if not catalog:
        return None
    data_path = os.environ.get("BDC_LAKE_DATA_PATH", "").strip()
    if not data_path:
        raise ValueError("BDC_LAKE_CATALOG is set but BDC_LAKE_DATA_PATH is not: say where the lake's Parquet files go "
                         "(a folder, or s3://bucket/prefix/)")
    return Lake(catalog=catalog, data_path=data_path, s3_endpoint=os.environ.get("BDC_LAKE_S3_ENDPOINT") or None,
                s3_key_id=os.environ.get("BDC_LAKE_S3_KEY_ID") or None,
                s3_secret=os.environ.get("BDC_LAKE_S3_SECRET") or None,
                s3_region=os.environ.get("BDC_LAKE_S3_REGION", "eu-west-2"),
                s3_use_ssl=os.environ.get("BDC_LAKE_S3_USE_SSL", "true").lower() not in ("false", "0", "no"))


def keep_days_from_env() -> int | None:
    """How many days of nights `maintain` keeps: BDC_LAKE_KEEP_DAYS, unset (None) for every night."""
    value = os.environ.get("BDC_LAKE_KEEP_DAYS", "").strip()
    return int(value) if value else None


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def attach(con: duckdb.DuckDBPyConnection, lake: Lake, read_only: bool = False, snapshot: int | None = None) -> None:
    """Attach the lake to `con` as `lake`, with the bundled extensions (nothing downloaded); as it was at `snapshot`
    (read-only) when given."""
    con.execute("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false")
    for name in ("postgres_scanner", "ducklake", *(("httpfs",) if lake.on_object_storage else ())):
        load_extension(con, name)
    if lake.on_object_storage:
        options = {"KEY_ID": lake.s3_key_id, "SECRET": lake.s3_secret, "REGION": lake.s3_region,
                   "ENDPOINT": lake.s3_endpoint, "URL_STYLE": "path" if lake.s3_endpoint else None}
        given = ", ".join(f"{k} {_quoted(v)}" for k, v in options.items() if v)
        con.execute(f"CREATE OR REPLACE SECRET lake_s3 (TYPE s3, {given}, USE_SSL {str(lake.s3_use_ssl).lower()})")
    data_path = lake.data_path if lake.on_object_storage else str(Path(lake.data_path).resolve()) + "/"
    if not lake.on_object_storage:
        Path(data_path).mkdir(parents=True, exist_ok=True)
    # No inlining: every table's rows are Parquet files under the data path, readable by any Parquet tool.
    options = f"DATA_PATH {_quoted(data_path)}" + (", READ_ONLY" if read_only or snapshot is not None
                                                   else ", DATA_INLINING_ROW_LIMIT 0")
    options += f", SNAPSHOT_VERSION {int(snapshot)}" if snapshot is not None else ""
    con.execute(f"ATTACH {_quoted('ducklake:postgres:' + lake.catalog)} AS {LAKE} ({options})")


def connect(lake: Lake, read_only: bool = False, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached (as at `snapshot`, read-only, when given)."""
    con = duckdb.connect()
    attach(con, lake, read_only=read_only, snapshot=snapshot)
    return con


def _fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int, tuple[tuple[str, str], ...]]:
    """Rows, an order-free hash of every row, and the columns' names and types: equal for equal contents (up to
    hash collisions). The hash alone would not see a renamed column or a changed type (1 and 1.0 hash alike)."""
    rows, digest = con.execute(f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {table} t").fetchone()
    database, schema, name = table.split(".")
    columns = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND "
                          "schema_name = ? AND table_name = ? ORDER BY column_index",
                          [database, schema, name]).fetchall()
    return int(rows), int(digest), tuple(tuple(c) for c in columns)


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    return [tuple(r) for r in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? AND list_contains(?, schema_name) "
        "ORDER BY ALL", [catalog, list(schemas)]).fetchall()]


def publish_night(lake: Lake, council: str, published_path: Path, night: dt.date, run_id: str,
                  attempts: int = 6, copy_of_run: str | None = None) -> dict[str, object]:
    """Commit `council`'s published BI copy as one lake snapshot, retrying a conflicting commit. With `copy_of_run`,
    the copy must still be the one that run published (another run may have replaced it between retries). Returns
    the snapshot id and what changed. Raises LakeCommitFailed, its message redacted (a catalog's password or the
    S3 secret never reaches a log, an alert or the lake's own audit tables)."""
    for attempt in range(1, attempts + 1):
        con = None
        try:
            con = connect(lake)
            con.execute(f"ATTACH {_quoted(str(published_path))} AS pub (READ_ONLY)")
            if copy_of_run is not None:
                found = con.execute("SELECT max_by(run_id, published_at) FROM pub.marts.publish_info").fetchone()[0]
                if found != copy_of_run:
                    raise LakeCommitFailed(f"{council}'s published copy is now run {found}'s, not run {copy_of_run}'s: "
                                           "not committed for this night (the later run commits its own)")
            return _commit(con, council, night, run_id)
        except duckdb.Error as exc:
            conflict = isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()
            if not conflict or attempt == attempts:
                raise LakeCommitFailed(redact(f"{council}'s night {night} was not committed to the lake after "
                                              f"{attempt} attempt(s): {type(exc).__name__}: {exc}")) from None
            wait = min(8.0, 0.25 * 2 ** attempt) * random.uniform(0.5, 1.5)
            log.warning("lake: %s's commit met another writer's (%s); retry %d of %d in %.1f s", council,
                        redact(str(exc).splitlines()[0][:160]), attempt, attempts - 1, wait)
            time.sleep(wait)
        finally:
            if con is not None:
                con.close()
    raise AssertionError("unreachable")


def _commit(con: duckdb.DuckDBPyConnection, council: str, night: dt.date, run_id: str) -> dict[str, object]:
    con.execute("BEGIN TRANSACTION")
    try:
        for schema in (*PUBLISHED_SCHEMAS, META_SCHEMA):  # in the night's commit: a reader never sees them empty
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {LAKE}.{council}_{schema}")
        source = _tables(con, "pub", PUBLISHED_SCHEMAS)
        present = {(s.removeprefix(f"{council}_"), t) for s, t in
                   _tables(con, LAKE, tuple(f"{council}_{s}" for s in PUBLISHED_SCHEMAS))}
        replaced, unchanged = [], 0
        for schema, table in source:
            target = f"{LAKE}.{council}_{schema}.{table}"
            if (schema, table) in present and _fingerprint(con, target) == _fingerprint(con, f"pub.{schema}.{table}"):
                unchanged += 1
                continue
            con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM pub.{schema}.{table}")
            replaced.append(f"{schema}.{table}")
        withdrawn = sorted(present - set(source))
        for schema, table in withdrawn:  # no longer published: gone from the lake's present, kept in its past
            con.execute(f"DROP TABLE {LAKE}.{council}_{schema}.{table}")
        con.execute(f"CREATE TABLE IF NOT EXISTS {LAKE}.{council}_{META_SCHEMA}.nights (night DATE, run_id VARCHAR, "
                    "tables_replaced INTEGER, tables_unchanged INTEGER, tables_withdrawn INTEGER)")
        con.execute(f"INSERT INTO {LAKE}.{council}_{META_SCHEMA}.nights VALUES (?, ?, ?, ?, ?)",
                    [night, run_id, len(replaced), unchanged, len(withdrawn)])
        extra = json.dumps({"council": council, "night": night.isoformat(), "run_id": run_id})
        con.execute(f"CALL {LAKE}.set_commit_message(?, ?, extra_info => ?)",
                    [AUTHOR, f"{council}: published night {night}", extra])
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.TransactionException):  # a failed COMMIT has ended the transaction already
            con.execute("ROLLBACK")
        raise
    snapshot = snapshot_for_night(con, council, night)
    log.info("lake: %s's night %s is snapshot %s (%d tables replaced, %d unchanged, %d withdrawn)", council, night,
             snapshot, len(replaced), unchanged, len(withdrawn))
    return {"snapshot_id": snapshot, "tables_replaced": len(replaced), "tables_unchanged": unchanged,
            "tables_withdrawn": len(withdrawn)}


def citation_path(published_path: Path) -> Path:
    """Beside the published copy: which lake snapshot holds the same night, for the outputs to cite."""
    return published_path.with_name(published_path.name + ".lake.json")


def write_citation(published_path: Path, council: str, night: dt.date, run_id: str, snapshot: int) -> None:
    target = citation_path(published_path)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(json.dumps({"council": council, "night": night.isoformat(), "run_id": run_id,
                                     "snapshot_id": snapshot}), encoding="utf-8")
    os.replace(temporary, target)


def read_citation(published_path: Path, published_run_id: str | None) -> str | None:
    """How a report cites the lake snapshot of the copy it was built from: only when the citation was written by
    the run that published this copy (a citation left from an earlier run, or from before the lake was turned
    off, is not this copy's)."""
    try:
        cited = json.loads(citation_path(published_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(cited, dict) or cited.get("run_id") != published_run_id:
        return None
    return f"lake snapshot {int(cited['snapshot_id'])} ({cited['council']}, night {cited['night']})"


def snapshot_for_night(con: duckdb.DuckDBPyConnection, council: str, night: dt.date) -> int | None:
    """The snapshot that stood for `council` on `night`: the last commit of its latest night up to `night` (a quiet
    night commits nothing, so the night before stands for it; a past night re-run later stands for that night only,
    not for the nights after it). None before its first night."""
    row = con.execute(
        "SELECT snapshot_id FROM ducklake_snapshots(?) "
        "WHERE json_extract_string(commit_extra_info, '$.council') = ? "
        "AND json_extract_string(commit_extra_info, '$.night')::DATE <= ? "
        "ORDER BY json_extract_string(commit_extra_info, '$.night')::DATE DESC, snapshot_id DESC LIMIT 1",
        [LAKE, council, night]).fetchone()
    return row[0] if row else None


def export_copy(lake: Lake, council: str, target: Path, snapshot: int | None = None) -> int:
    """A DuckDB file of one council's tables (as at `snapshot`, default the latest), for tools that need a file.
    Written beside `target` and renamed over it. Returns the number of tables."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.export.tmp")
    temporary.unlink(missing_ok=True)
    con = connect(lake, read_only=True, snapshot=snapshot)  # the tables as they were then, not only their rows
    try:
        con.execute(f"ATTACH {_quoted(str(temporary))} AS copy")
        tables = _tables(con, LAKE, tuple(f"{council}_{s}" for s in PUBLISHED_SCHEMAS))
        for lake_schema, table in tables:
            schema = lake_schema.removeprefix(f"{council}_")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS copy.{schema}")
            con.execute(f"CREATE TABLE copy.{schema}.{table} AS SELECT * FROM {LAKE}.{lake_schema}.{table}")
        con.execute("DETACH copy")
    finally:
        con.close()
    os.replace(temporary, target)
    return len(tables)


def maintain(lake: Lake, as_of: dt.date, keep_days: int | None) -> dict[str, int]:
    """The lake's scheduled upkeep: merge small Parquet files; when `keep_days` is set, expire the snapshots of
    nights before `as_of - keep_days` and delete the files only they used. Judged by each snapshot's night, not the
    wall clock; each council's snapshot standing for the cutoff night is kept (a council quiet for weeks keeps its
    last night), and so is the latest snapshot. `keep_days=None` keeps every night. Files no snapshot lists, left
    by a process killed mid-commit, are deleted once a day old (never a commit in progress)."""
    con = connect(lake)
    try:
        con.execute(f"CALL ducklake_merge_adjacent_files({_quoted(LAKE)})")
        expired = 0
        if keep_days is not None:
            expired = _expire_before(con, as_of - dt.timedelta(days=keep_days))
        cleaned = len(con.execute(f"CALL ducklake_cleanup_old_files({_quoted(LAKE)}, cleanup_all => true)").fetchall())
        day_old = dt.datetime.combine(as_of - dt.timedelta(days=1), dt.time(), dt.UTC)
        orphans = len(con.execute(f"CALL ducklake_delete_orphaned_files({_quoted(LAKE)}, older_than => ?)",
                                  [day_old]).fetchall())
        return {"snapshots_expired": expired, "files_deleted": cleaned + orphans}
    finally:
        con.close()


def _expire_before(con: duckdb.DuckDBPyConnection, cutoff: dt.date) -> int:
    snapshots = con.execute(
        "SELECT snapshot_id, json_extract_string(commit_extra_info, '$.council'), "
        "coalesce(json_extract_string(commit_extra_info, '$.night')::DATE, snapshot_time::DATE) "
        "FROM ducklake_snapshots(?) ORDER BY snapshot_id", [LAKE]).fetchall()
    standing = {snapshot_for_night(con, council, cutoff) for council in {c for _, c, _ in snapshots if c}}
    standing.add(snapshots[-1][0] if snapshots else None)
    expire = [sid for sid, _, night in snapshots if night < cutoff and sid not in standing]
    if expire:
        con.execute(f"CALL ducklake_expire_snapshots({_quoted(LAKE)}, versions => ?)", [expire])
    return len(expire)
