"""Incremental staging: stage only the rows of newly loaded files, when that gives what a full re-stage would.

A source whose contract is `append_only` (every delivery adds new records: a month's contacts, crimes,
closed cases) is staged by adding the judged rows of the files loaded since it was last staged, instead of
re-running its staging SQL over every delivery. The result must equal a full re-stage, so a source is
re-staged in full whenever that could differ:
- it has never been staged, or its staging SQL, its pandera contract, the pseudonymisation key or a table
  the SQL reads besides raw (e.g. the gazetteer behind the UPRN check) changed since (the *fingerprint*);
- a corrected delivery has superseded a file whose rows are staged;
- a new row would take a key from a row already staged (the first delivery of a key wins, by file and row).
Rows quarantined earlier are re-derived from raw (they are few) so that their keys still count as delivered.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import duckdb

from sources.contract import SourceContract
from warehouse import clock
from warehouse.db import table_exists, transaction

NEW_FILES = "_new_files"


@dataclass(frozen=True)
class Plan:
    """Why a source is staged in full, or which files are new (an incremental plan has `full_reason` None)."""

    fingerprint: str
    full_reason: str | None
    new_files: int = 0


def raw_reference(contract: SourceContract) -> re.Pattern[str]:
    return re.compile(rf"\braw\.{contract.name}\b")


def fingerprint(con: duckdb.DuckDBPyConnection, contract: SourceContract, rules_version: str) -> str:
    """What staging this source depends on besides its raw rows: its SQL, its pandera contract, the
    pseudonymisation key, and the contents of every other table the SQL reads."""
    from warehouse.models import referenced_tables

    sql = contract.staging_sql()
    parts = [sql, rules_version, con.execute("SELECT sha256(getvariable('pseudonym_key'))").fetchone()[0]]
    for table in referenced_tables(sql):
        if table != f"raw.{contract.name}":
            parts.append(_content(con, table))
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()


def plan(con: duckdb.DuckDBPyConnection, contract: SourceContract, rules_version: str) -> Plan:
    """Decide between a full re-stage and adding the new files' rows; fills the temp table `_new_files`."""
    source = contract.name
    current = fingerprint(con, contract, rules_version)
    if not contract.append_only:
        return Plan(current, "the source is re-staged in full every night (not append-only)")
    if len(raw_reference(contract).findall(contract.staging_sql())) != 1:
        return Plan(current, f"its staging SQL does not read raw.{source} exactly once")
    staged_before = con.execute("SELECT fingerprint FROM audit.staging_state WHERE source = ?", [source]).fetchone()
    if not staged_before or not table_exists(con, f"staging.{source}"):
        return Plan(current, "not staged before")
    if staged_before[0] != current:
        return Plan(current, "its staging SQL, contract, pseudonymisation key or reference data changed")
    superseded = con.execute("""
        SELECT count(*) FROM audit.row_conservation r
        JOIN audit.loaded_files l ON l.source = r.source AND l.file_sha256 = r.file_sha256
        WHERE r.source = ? AND l.superseded_by IS NOT NULL AND r.staged_rows > 0""", [source]).fetchone()[0]
    if superseded:
        return Plan(current, "a corrected delivery superseded a file whose rows are staged")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {NEW_FILES} AS
        SELECT DISTINCT _file_sha256 FROM raw.{source}
        WHERE _file_sha256 NOT IN (SELECT file_sha256 FROM audit.row_conservation WHERE source = ?)""", [source])
    new = con.execute(f"SELECT count(*) FROM {NEW_FILES}").fetchone()[0]
    return Plan(current, None, new)


def new_rows_sql(contract: SourceContract) -> str:
    """The staging SQL over the rows of the new files only."""
    filtered = f"(SELECT * FROM raw.{contract.name} WHERE _file_sha256 IN (SELECT _file_sha256 FROM {NEW_FILES}))"
    return raw_reference(contract).sub(filtered, contract.staging_sql())


def quarantined_rows_sql(contract: SourceContract) -> str:
    """The staging SQL over the rows quarantined earlier (to count their keys as delivered)."""
    filtered = (f"(SELECT r.* FROM raw.{contract.name} r SEMI JOIN audit.quarantine q ON q.source = "
                f"'{contract.name}' AND q.file_sha256 = r._file_sha256 AND q.row_number = r._row_number)")
    return raw_reference(contract).sub(filtered, contract.staging_sql())


def record_state(con: duckdb.DuckDBPyConnection, source: str, current: str, mode: str, run_id: str) -> None:
    """How the source was staged now; `restaged_seq` (and `restaged_at`, for people) move only with a full
    re-stage: models built from it before then must be rebuilt."""
    now, seq = clock.timestamp(), clock.next_build_seq(con)
    full = mode == "full"
    con.execute("""INSERT OR REPLACE INTO audit.staging_state
                   (source, fingerprint, mode, staged_at, run_id, restaged_at, restaged_seq)
                   SELECT ?, ?, ?, ?, ?,
                       CASE WHEN ? THEN ? ELSE (SELECT restaged_at FROM audit.staging_state WHERE source = ?) END,
                       CASE WHEN ? THEN ? ELSE (SELECT restaged_seq FROM audit.staging_state WHERE source = ?) END""",
                [source, current, mode, now, run_id, full, now, source, full, seq, source])


APPEND_MARKER = "-- incremental: append"


def appends(sql: str) -> bool:
    """A model whose SQL carries the marker line makes one row from each row of its staging inputs (a
    projection, a union, lookups into small tables): new staged rows only ever add rows to it."""
    return any(line.strip() == APPEND_MARKER for line in sql.splitlines())


def _content(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A cheap fingerprint of a table's rows (their count and the sum of their hashes)."""
    return repr(con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchone())


def model_fingerprint(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The model's SQL and the contents of what it reads besides staging (dimensions, lookups)."""
    from warehouse.models import referenced_tables

    parts = [sql] + [_content(con, t) for t in referenced_tables(sql) if not t.startswith("staging.")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def build_model(con: duckdb.DuckDBPyConnection, table: str, sql: str, run_id: str) -> tuple[str, str]:
    """(Re)build a core model. An appending model (see `appends`) already built, whose fingerprint is the same
    and none of whose staging inputs was re-staged in full since, gets only the rows of files staged since
    it was built; anything else is rebuilt from scratch. Returns (mode, why)."""
    from warehouse.models import build_table, referenced_tables

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
