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
            parts.append(repr(con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} t").fetchone()))
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
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging' "
                         "AND table_name = ?", [source]).fetchone()[0]
    if not staged_before or not exists:
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
    con.execute("""INSERT OR REPLACE INTO audit.staging_state (source, fingerprint, mode, staged_at, run_id)
                   VALUES (?, ?, ?, now(), ?)""", [source, current, mode, run_id])
