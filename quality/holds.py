"""Holding back: data that failed a blocking check never feeds anything downstream, tonight or on a later night.

A source is staged and judged in one transaction (a measure is built and judged in one). When a blocking
criterion fails, or a file the source delivered was refused (unreadable, wrong encoding, a missing column),
the transaction is rolled back: `staging.<source>` (`measures.<id>`) keeps its last good rows. Whatever reads
it afterwards (the rest of tonight's run, or a later run started for another source) sees only data that
passed, so one bad delivery holds back only what depends on it and everything else is refreshed.

The hold is recorded in `audit.holds` (since when, why, which files) and lasts until a later build of the
subject passes: a corrected delivery, a fixed file, a changed rule. `marts.data_holds` says, for every
measure, whether it is held back and by what; the dashboards and the scorecard carry it, and the alert says so.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from quality.outcome import Outcome
from sources.refusals import outstanding_refusals
from warehouse import clock
from warehouse.db import table_exists, transaction

NOT_BLOCKING = frozenset({"timely", "commentary", "sign_off"})  # lateness and ownership are reported, never held


def blocking_failures(outcomes: list[Outcome]) -> list[Outcome]:
    """The outcomes that hold their subject back: a fail on any criterion but the non-blocking ones."""
    return [o for o in outcomes if o.status == "fail" and o.criterion not in NOT_BLOCKING]


@dataclass
class Gate:
    """What the body of `judged_build` found: reasons to hold the subject back (none means it passes)."""

    reasons: list[str] = field(default_factory=list)
    held: bool = False          # set on exit: the build was rolled back
    since: dt.datetime | None = None  # set on exit when held: when the hold began

    def hold_for(self, outcomes: list[Outcome]) -> None:
        self.reasons += [f"{o.criterion}: {o.summary}" for o in blocking_failures(outcomes)]


class _HoldBack(Exception):
    """Raised inside the transaction to roll it back."""


@contextmanager
def judged_build(con: duckdb.DuckDBPyConnection, subject_type: str, subject: str, run_id: str,
                 as_of: dt.date) -> Iterator[Gate]:
    """Build and judge inside one transaction: commit when the body gave no reason to hold back, else roll
    back (the subject keeps its last good data) and record the hold. An exception rolls back and propagates."""
    gate = Gate()
    staged_before = _staged_files(con, subject) if subject_type == "source" else []
    table = f"{'staging' if subject_type == 'source' else 'measures'}.{subject}"
    existed = table_exists(con, table)
    shell = failed_rows = None  # kept past the rollback (Arrow): an empty first build's columns, the failed rows
    try:
        with transaction(con):
            yield gate
            if gate.reasons:
                if not existed:  # a first build held back: keep its columns so readers find an empty table
                    shell = con.execute(f"SELECT * FROM {table} LIMIT 0").to_arrow_table()
                if subject_type == "source":  # what to fix: the attempt's failed rows, before they roll back
                    failed_rows = con.execute(
                        """SELECT source, source_file, file_sha256, row_number, reason, failed_checks, run_id,
                                  recorded_at FROM audit.quarantine
                           WHERE source = ? AND NOT list_contains(?::VARCHAR[], file_sha256)""",
                        [subject, staged_before]).to_arrow_table()
                raise _HoldBack
    except _HoldBack:
        gate.held = True
        if shell is not None:
            _create_empty(con, table, shell)
        gate.since = _record_hold(con, subject_type, subject, run_id, as_of, gate.reasons)
        if subject_type == "source":
            _keep_held_rows(con, subject, failed_rows)
    else:
        _release(con, subject_type, subject, run_id, as_of)
        if subject_type == "source":
            _keep_held_rows(con, subject, None)


def _create_empty(con: duckdb.DuckDBPyConnection, table: str, shell) -> None:
    con.register("_empty_shell", shell)
    try:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM _empty_shell")
    finally:
        con.unregister("_empty_shell")


def _staged_files(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT file_sha256 FROM audit.row_conservation WHERE source = ?",
                                      [source]).fetchall()]


def _keep_held_rows(con: duckdb.DuckDBPyConnection, source: str, rows) -> None:
    """audit.held_rows: the failed rows of `source`'s latest held attempt (none once it passes)."""
    con.execute("DELETE FROM audit.held_rows WHERE source = ?", [source])
    if rows is not None and rows.num_rows:
        con.register("_held_rows", rows)
        try:
            con.execute("INSERT INTO audit.held_rows BY NAME SELECT * FROM _held_rows")
        finally:
            con.unregister("_held_rows")


def _record_hold(con: duckdb.DuckDBPyConnection, subject_type: str, subject: str, run_id: str, as_of: dt.date,
                 reasons: list[str]) -> dt.datetime:
    files = json.dumps(held_files(con, subject)) if subject_type == "source" else None
    reason = " | ".join(reasons)
    now = clock.timestamp()
    open_hold = con.execute("""SELECT held_since FROM audit.holds WHERE subject_type = ? AND subject = ?
                               AND released_at IS NULL""", [subject_type, subject]).fetchone()
    if open_hold:
        con.execute("""UPDATE audit.holds SET last_held_run = ?, last_held_as_of = ?, reason = ?, files = ?
                       WHERE subject_type = ? AND subject = ? AND released_at IS NULL""",
                    [run_id, as_of, reason, files, subject_type, subject])
        return open_hold[0]
    con.execute("""INSERT INTO audit.holds (subject_type, subject, held_since, held_since_as_of, held_since_run,
                   last_held_run, last_held_as_of, reason, files) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [subject_type, subject, now, as_of, run_id, run_id, as_of, reason, files])
    return now


def _release(con: duckdb.DuckDBPyConnection, subject_type: str, subject: str, run_id: str, as_of: dt.date) -> None:
    con.execute("""UPDATE audit.holds SET released_at = ?, released_as_of = ?, released_run = ?
                   WHERE subject_type = ? AND subject = ? AND released_at IS NULL""",
                [clock.timestamp(), as_of, run_id, subject_type, subject])


def held_files(con: duckdb.DuckDBPyConnection, source: str) -> list[dict[str, str]]:
    """The files of `source` whose rows are not staged: loaded into raw since the last good staging (the rows
    the hold keeps out), and the files refused outright."""
    loaded = con.execute("""SELECT DISTINCT file_name, file_sha256 FROM audit.loaded_files
                            WHERE source = ? AND rows_loaded > 0 AND file_sha256 NOT IN (
                                SELECT file_sha256 FROM audit.row_conservation WHERE source = ?)
                            ORDER BY 1""", [source, source]).fetchall()
    return [{"file": f, "sha256": s, "why": "loaded, not staged"} for f, s in loaded] + \
        [{"file": f, "why": "refused"} for f, _ in outstanding_refusals(con, source)]


def open_holds(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(subject_type, subject, held_since, held_since_as_of, reason) of every hold not yet released."""
    return con.execute("""SELECT subject_type, subject, held_since, held_since_as_of, reason FROM audit.holds
                          WHERE released_at IS NULL ORDER BY subject_type, subject""").fetchall()


DATA_HOLDS_COLUMNS = {"measure_id": "VARCHAR", "held_back": "BOOLEAN", "held_by": "VARCHAR",
                      "held_since": "TIMESTAMP", "held_since_as_of": "DATE", "reason": "VARCHAR"}


def build_data_holds(con: duckdb.DuckDBPyConnection, measure_ids: list[str]) -> int:
    """marts.data_holds: for every measure, whether its published values are held back (a source it is built
    from, or the measure itself, failed a blocking check and keeps its last good data), since when and why."""
    from quality.lineage import downstream
    from warehouse.catalogue import catalogue
    from warehouse.models import build_table_from_records

    by_measure: dict[str, list[tuple]] = {}
    measures = catalogue().measures
    for subject_type, subject, since, since_as_of, reason in open_holds(con):
        reached = [subject] if subject_type == "measure" else \
            [t.split(".", 1)[1] for t in downstream(f"staging.{subject}") if t.startswith("measures.")
             and reads_source(con, measures[t.split(".", 1)[1]].sql, subject)]
        for measure_id in reached:
            by_measure.setdefault(measure_id, []).append((f"{subject_type} {subject}", since, since_as_of, reason))
    records = []
    for measure_id in measure_ids:
        holds = by_measure.get(measure_id, [])
        records.append({
            "measure_id": measure_id, "held_back": bool(holds),
            "held_by": "; ".join(h[0] for h in holds) or None,
            "held_since": min((h[1] for h in holds), default=None),
            "held_since_as_of": min((h[2] for h in holds), default=None),
            "reason": " || ".join(f"{h[0]}: {h[3]}" for h in holds) or None})
    return build_table_from_records(con, "marts.data_holds", DATA_HOLDS_COLUMNS, records)


def reads_source(con: duckdb.DuckDBPyConnection, measure_sql: str, source: str) -> bool:
    """Whether a measure's observations include rows of `source`: its SQL run over only that source's rows of
    each table it reads that carries lineage (a fact table shared by several sources, such as core.fact_cases,
    holds planning decisions and street-scene reports; a planning measure reads only the first). When that
    cannot be told (no lineage, or the source has nothing staged yet), the lineage graph's answer stands: yes."""
    from warehouse.models import referenced_tables

    files = "(SELECT file_sha256 FROM audit.row_conservation WHERE source = '" + source.replace("'", "''") + "')"
    if not con.execute(f"SELECT count(*) FROM {files}").fetchone()[0]:
        return True
    sql, narrowed = measure_sql, False
    for table in referenced_tables(measure_sql):
        schema, name = table.split(".")
        lineage = con.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = ? AND "
                              "table_name = ? AND column_name = '_file_sha256'", [schema, name]).fetchone()[0]
        if lineage:
            sql = re.sub(rf"\b{re.escape(table)}\b", f"(SELECT * FROM {table} WHERE _file_sha256 IN {files})", sql)
            narrowed = True
    return not narrowed or con.execute(f"SELECT EXISTS ({sql})").fetchone()[0]
