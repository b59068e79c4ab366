"""Staging a source: its staging SQL over raw, each row judged by the contract's rules, then split three ways.

Every raw row ends staged, quarantined (with the reasons and the checks that failed) or out of scope (a
superseded delivery), and row conservation is recorded per file: raw = staged + quarantined + out of scope.

Incremental staging: a source whose contract is `append_only` (every delivery adds new records: a month's
contacts, crimes, closed cases) is staged by adding the judged rows of the files loaded since it was last
staged, instead of re-running its staging SQL over every delivery. The result must equal a full re-stage, so
a source is re-staged in full whenever that could differ:
- it has never been staged, or its staging SQL, its rules (`sources/rules.py` `rules_version`), the
  pseudonymisation key or a table the SQL reads besides raw (e.g. the gazetteer behind the UPRN check)
  changed since (the *fingerprint*);
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
from sources.rules import quarantine_rule_failures, rules_version
from warehouse import clock
from warehouse.db import table_exists, transaction
from warehouse.incremental import table_content
from warehouse.models import referenced_tables

NEW_FILES = "_new_files"


@dataclass(frozen=True)
class Plan:
    """Why a source is staged in full, or which files are new (an incremental plan has `full_reason` None)."""

    fingerprint: str
    full_reason: str | None
    new_files: int = 0


def raw_reference(contract: SourceContract) -> re.Pattern[str]:
    return re.compile(rf"\braw\.{contract.name}\b")


def fingerprint(con: duckdb.DuckDBPyConnection, contract: SourceContract) -> str:
    """What staging this source depends on besides its raw rows: its SQL, its pandera contract, the
    pseudonymisation key, and the contents of every other table the SQL reads."""
    sql = contract.staging_sql()
    parts = [sql, rules_version(contract), con.execute("SELECT sha256(getvariable('pseudonym_key'))").fetchone()[0]]
    for table in referenced_tables(sql):
        if table != f"raw.{contract.name}":
            parts.append(table_content(con, table))
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()


def plan(con: duckdb.DuckDBPyConnection, contract: SourceContract) -> Plan:
    """Decide between a full re-stage and adding the new files' rows; fills the temp table `_new_files`."""
    source = contract.name
    current = fingerprint(con, contract)
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


@dataclass
class StagingReport:
    staged_rows: int
    quarantined_rows: int
    out_of_scope_rows: int
    unbalanced_files: list[tuple]
    mode: str = "full"  # "full" or "incremental" (only the new files' rows were judged and added)
    reason: str = ""  # why a full re-stage, or how many new files


JUDGED_COLUMNS = "_reject_reason, _failed_checks, _scope_reason, _disposition, _delivered_on"


def stage_source(con: duckdb.DuckDBPyConnection, contract: SourceContract, run_id: str) -> StagingReport:
    """Run a source's staging SQL and split raw rows three ways: staged, quarantined (with reasons and the
    checks that failed: the contract's pandera row rules, run over the candidate rows in scope) and out of
    scope (rows of a superseded delivery). A raw row that yields several staging rows (an unpivot) is judged
    as one. Then record row conservation per file: raw = staged + quarantined + out of scope.

    An append-only source already staged gets only its new files' rows judged and added, when that gives what
    a full re-stage would (see the module docstring); otherwise every delivery is re-staged."""
    decision = plan(con, contract)
    mode, reason = "full", decision.full_reason
    try:
        if decision.full_reason is None:
            conflict = _stage_new_files(con, contract, run_id)
            if conflict is None:
                mode, reason = "incremental", f"{decision.new_files} new file(s) staged"
            else:
                reason = conflict
        if mode == "full":
            _stage_everything(con, contract, run_id)
        record_state(con, contract.name, decision.fingerprint, mode, run_id)
    finally:
        con.execute("DROP VIEW IF EXISTS _judged; DROP VIEW IF EXISTS _in_scope; DROP TABLE IF EXISTS _staged; "
                    "DROP TABLE IF EXISTS _rule_failures; DROP TABLE IF EXISTS _earlier; "
                    f"DROP TABLE IF EXISTS {NEW_FILES}")
    source = contract.name
    quarantined, out_of_scope = con.execute(
        "SELECT coalesce(sum(quarantined), 0), coalesce(sum(out_of_scope), 0) FROM audit.row_conservation "
        "WHERE source = ?", [source]).fetchone()
    unbalanced = con.execute("""SELECT source_file, raw_rows, staged_rows, quarantined, out_of_scope
                                FROM audit.row_conservation WHERE source = ? AND NOT balanced""", [source]).fetchall()
    staged = con.execute(f"SELECT count(*) FROM staging.{source}").fetchone()[0]
    return StagingReport(staged, int(quarantined), int(out_of_scope), unbalanced, mode, reason or "")


def _candidates(con: duckdb.DuckDBPyConnection, source: str, sql: str) -> None:
    """_staged: the staging SQL's rows, each with the night its file was delivered (`_delivered_on`, what
    "not in the future" is judged against), with those of a superseded delivery (a corrected one replaced it)
    marked out of scope."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _staged AS
        SELECT s.*, d.delivered_on AS _delivered_on FROM ({sql}) s
        LEFT JOIN (SELECT file_sha256, coalesce(loaded_as_of, loaded_at::DATE) AS delivered_on
                   FROM audit.loaded_files WHERE source = ?) d ON d.file_sha256 = s._file_sha256""", [source])
    con.execute("""UPDATE _staged SET _scope_reason = 'superseded by ' || l.superseded_by || ', a corrected delivery'
                   FROM audit.loaded_files l
                   WHERE l.source = ? AND l.file_sha256 = _staged._file_sha256 AND l.superseded_by IS NOT NULL""",
                [source])
    con.execute("""CREATE OR REPLACE TEMP TABLE _rule_failures (_file_sha256 VARCHAR, _row_number BIGINT,
                   check_name VARCHAR, criterion VARCHAR, reason VARCHAR)""")


def _judge(con: duckdb.DuckDBPyConnection, several_rows_per_line: bool) -> None:
    """_judged: each candidate row with its reasons, failed checks and disposition. When a line can give
    several rows (an unpivot), the line's rows share one disposition: a window over every line, which a
    source of one row per line does not need (at 10 M rows that window is most of staging's time)."""
    def line(condition: str) -> str:
        return f"bool_or({condition}) OVER raw_row" if several_rows_per_line else condition

    window = "WINDOW raw_row AS (PARTITION BY s._file_sha256, s._row_number)" if several_rows_per_line else ""
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _judged AS  -- a view: staging and the audit read it once each
        SELECT s.* EXCLUDE (_reject_reason),
               nullif(concat_ws('; ', s._reject_reason, f.reasons), '') AS _reject_reason,
               nullif(concat_ws('; ', CASE WHEN s._reject_reason IS NOT NULL THEN 'conform' END, f.checks), '')
                   AS _failed_checks,
               CASE WHEN {line("s._scope_reason IS NOT NULL")} THEN 'out_of_scope'
                    WHEN {line("s._reject_reason IS NOT NULL OR f.reasons IS NOT NULL")} THEN 'quarantined'
                    ELSE 'staged' END AS _disposition
        FROM _staged s
        LEFT JOIN (SELECT _file_sha256, _row_number, string_agg(DISTINCT reason, '; ') AS reasons,
                          string_agg(DISTINCT check_name, '; ') AS checks
                   FROM _rule_failures GROUP BY ALL) f USING (_file_sha256, _row_number)
        {window}""")


def _record_dispositions(con: duckdb.DuckDBPyConnection, source: str, run_id: str, files: str) -> None:
    """Append the quarantined and out-of-scope rows of _judged to the audit, and row conservation for the raw
    files selected by `files` (a condition on raw._file_sha256)."""
    now = clock.timestamp()
    con.execute("""INSERT INTO audit.quarantine BY NAME
        SELECT ? AS source, _source_file AS source_file, _file_sha256 AS file_sha256, _row_number AS row_number,
               coalesce(string_agg(DISTINCT _reject_reason, '; '), 'another row from the same line failed') AS reason,
               coalesce(string_agg(DISTINCT _failed_checks, '; '), 'same_line') AS failed_checks,
               ? AS run_id, ?::TIMESTAMP AS recorded_at
        FROM _judged WHERE _disposition = 'quarantined' GROUP BY ALL""", [source, run_id, now])
    con.execute("""INSERT INTO audit.out_of_scope
        SELECT ?, _source_file, _file_sha256, _row_number, string_agg(DISTINCT _scope_reason, '; '), ?, ?::TIMESTAMP
        FROM _judged WHERE _disposition = 'out_of_scope' GROUP BY ALL""", [source, run_id, now])
    con.execute(f"""INSERT INTO audit.row_conservation
        SELECT ?, r._source_file, r._file_sha256, r.raw_rows,
               coalesce(d.staged, 0), coalesce(d.quarantined, 0), coalesce(d.out_of_scope, 0),
               r.raw_rows = coalesce(d.staged, 0) + coalesce(d.quarantined, 0) + coalesce(d.out_of_scope, 0),
               ?::TIMESTAMP, ?
        FROM (SELECT _source_file, _file_sha256, count(*) AS raw_rows FROM raw.{source} WHERE {files}
              GROUP BY ALL) r
        LEFT JOIN (
            SELECT _file_sha256,
                   count(DISTINCT _row_number) FILTER (WHERE _disposition = 'staged') AS staged,
                   count(DISTINCT _row_number) FILTER (WHERE _disposition = 'quarantined') AS quarantined,
                   count(DISTINCT _row_number) FILTER (WHERE _disposition = 'out_of_scope') AS out_of_scope
            FROM _judged GROUP BY ALL) d USING (_file_sha256)""", [source, now, run_id])


def _stage_everything(con: duckdb.DuckDBPyConnection, contract: SourceContract, run_id: str) -> None:
    source = contract.name
    _candidates(con, source, contract.staging_sql())
    con.execute("CREATE OR REPLACE TEMP VIEW _in_scope AS SELECT * FROM _staged WHERE _scope_reason IS NULL")
    quarantine_rule_failures(con, contract)
    _judge(con, contract.several_rows_per_line)
    with transaction(con):
        con.execute(f"""CREATE OR REPLACE TABLE staging.{source} AS
            SELECT * EXCLUDE ({JUDGED_COLUMNS}) FROM _judged WHERE _disposition = 'staged'""")
        for table in ("quarantine", "out_of_scope", "row_conservation"):
            con.execute(f"DELETE FROM audit.{table} WHERE source = ?", [source])
        _record_dispositions(con, source, run_id, "true")


def _stage_new_files(con: duckdb.DuckDBPyConnection, contract: SourceContract, run_id: str) -> str | None:
    """Judge and add the rows of the files in `_new_files`. Returns None when done, or why a full re-stage
    is needed instead (nothing is written then)."""
    source = contract.name
    _candidates(con, source, new_rows_sql(contract))
    unique_key = contract.unique_across_deliveries
    if unique_key:
        # Rows delivered before with a key a new row has (staged, or quarantined: both were delivered first),
        # so the unique-key rule sees every earlier delivery of those keys.
        con.execute(f"CREATE OR REPLACE TEMP TABLE _earlier AS {quarantined_rows_sql(contract)}")
        keys = ", ".join(f'"{k}"' for k in unique_key)
        new_keys = f"(SELECT DISTINCT {keys} FROM _staged WHERE _scope_reason IS NULL)"
        con.execute(f"""CREATE OR REPLACE TEMP VIEW _in_scope AS
            SELECT * FROM _staged WHERE _scope_reason IS NULL
            UNION ALL BY NAME SELECT s.* FROM staging.{source} s SEMI JOIN {new_keys} n USING ({keys})
            UNION ALL BY NAME SELECT e.* FROM _earlier e SEMI JOIN {new_keys} n USING ({keys})
                              WHERE e._scope_reason IS NULL""")
    else:
        con.execute("CREATE OR REPLACE TEMP VIEW _in_scope AS SELECT * FROM _staged WHERE _scope_reason IS NULL")
    quarantine_rule_failures(con, contract)
    # A staged row that now fails a rule (a new row claimed its key first): only a full re-stage is right.
    displaced = con.execute(f"""SELECT count(*) FROM _rule_failures f
        WHERE f._file_sha256 NOT IN (SELECT _file_sha256 FROM {NEW_FILES})
          AND NOT EXISTS (SELECT 1 FROM audit.quarantine q WHERE q.source = ? AND q.file_sha256 = f._file_sha256
                          AND q.row_number = f._row_number)""", [source]).fetchone()[0]
    if displaced:
        return f"{displaced} staged row(s) would lose their key to a row in a new file"
    con.execute(f"DELETE FROM _rule_failures WHERE _file_sha256 NOT IN (SELECT _file_sha256 FROM "
                f"{NEW_FILES})")
    _judge(con, contract.several_rows_per_line)
    with transaction(con):
        con.execute(f"""INSERT INTO staging.{source} BY NAME
            SELECT * EXCLUDE ({JUDGED_COLUMNS}) FROM _judged WHERE _disposition = 'staged'""")
        _record_dispositions(con, source, run_id,
                             f"_file_sha256 IN (SELECT _file_sha256 FROM {NEW_FILES})")
    return None
