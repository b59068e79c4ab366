"""Incremental core models: add only the rows of newly staged files to a model that appends, when that gives
what a full rebuild would (the staging half, for sources, is in sources/staging.py).

A model whose SQL carries the marker line `-- incremental: append` makes one row from each row of its staging
inputs. It is rebuilt in full when it was never built, its SQL or a table it looks up changed (its
*fingerprint*), or one of its staging inputs was re-staged in full since it was built.
"""

from __future__ import annotations

import hashlib
import re

import duckdb

from warehouse import clock
from warehouse.db import table_exists, transaction
from warehouse.models import build_table, referenced_tables

APPEND_MARKER = "-- incremental: append"


def appends(sql: str) -> bool:
    """A model whose SQL carries the marker line makes one row from each row of its staging inputs (a
    projection, a union, lookups into small tables): new staged rows only ever add rows to it."""
    return any(line.strip() == APPEND_MARKER for line in sql.splitlines())


def table_content(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A cheap fingerprint of a table's rows (their count and the sum of their hashes)."""
    return repr(con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchone())


def model_fingerprint(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The model's SQL and the contents of what it reads besides staging (dimensions, lookups)."""
    parts = [sql] + [table_content(con, t) for t in referenced_tables(sql) if not t.startswith("staging.")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def build_model(con: duckdb.DuckDBPyConnection, table: str, sql: str, run_id: str) -> tuple[str, str]:
    """(Re)build a core model. An appending model (see `appends`) already built, whose fingerprint is the same
    and none of whose staging inputs was re-staged in full since, gets only the rows of files staged since
    it was built; anything else is rebuilt from scratch. Returns (mode, why)."""
    if not appends(sql):
        build_table(con, table, sql)
        return "full", "rebuilt every night (not an appending model)"
    current = model_fingerprint(con, sql)
    inputs = [t for t in referenced_tables(sql) if t.startswith("staging.")]
    reason = _append_refused(con, table, sql, current, inputs)
    if reason is None:
        new_files = " UNION ALL ".join(
            f"""SELECT file_sha256 FROM audit.row_conservation WHERE source = '{t.split(".")[1]}' AND staged_rows > 0"""
            for t in inputs)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _model_new_files AS
            {new_files} EXCEPT SELECT DISTINCT _file_sha256 FROM {table}""")
        added = sql
        for staged in inputs:
            added = re.sub(rf"\b{re.escape(staged)}\b",
                           f"(SELECT * FROM {staged} WHERE _file_sha256 IN (SELECT * FROM _model_new_files))", added)
        with transaction(con):
            con.execute(f"INSERT INTO {table} BY NAME {added}")
            con.execute("""UPDATE audit.model_state SET mode = 'append', built_at = ?, built_seq = ?, run_id = ?
                           WHERE table_name = ?""", [clock.timestamp(), clock.next_build_seq(con), run_id, table])
        files = con.execute("SELECT count(*) FROM _model_new_files").fetchone()[0]
        con.execute("DROP TABLE _model_new_files")
        return "append", f"rows of {files} new file(s) added"
    now, seq = clock.timestamp(), clock.next_build_seq(con)
    with transaction(con):
        con.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}")
        con.execute("""INSERT OR REPLACE INTO audit.model_state (table_name, fingerprint, mode, built_at, rebuilt_at,
                       run_id, built_seq, rebuilt_seq) VALUES (?, ?, 'full', ?, ?, ?, ?, ?)""",
                    [table, current, now, now, run_id, seq, seq])
    return "full", reason


def _append_refused(con: duckdb.DuckDBPyConnection, table: str, sql: str, current: str,
                    inputs: list[str]) -> str | None:
    state = con.execute("SELECT fingerprint, built_seq FROM audit.model_state WHERE table_name = ?", [table]).fetchone()
    if not state or not table_exists(con, table) or state[1] is None:
        return "not built before"
    if state[0] != current:
        return "its SQL or a table it looks up changed"
    restaged = []
    for staged in inputs:
        row = con.execute("SELECT restaged_seq FROM audit.staging_state WHERE source = ?",
                          [staged.split(".")[1]]).fetchone()
        if row is None or row[0] is None or row[0] > state[1]:
            restaged.append(staged)
    if restaged:
        return f"{', '.join(restaged)} re-staged in full since it was built"
    return None
