"""Building warehouse tables from SQL: staging (with row dispositions), core models and measures."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sources.contract import SourceContract
from warehouse import clock, incremental
from warehouse.db import SQL_DIR, table_exists, transaction

TABLE_REFERENCE = re.compile(r"\b(raw|staging|core|measures|marts)\.([a-z_][a-z0-9_]*)\b")
CORE_DIR = SQL_DIR / "core"
MARTS_DIR = SQL_DIR / "marts"


def referenced_tables(sql: str) -> list[str]:
    """Warehouse tables a SQL text reads (schema.table), in order of first mention."""
    seen: dict[str, None] = {}
    for schema, table in TABLE_REFERENCE.findall(re.sub(r"--[^\n]*", "", sql)):
        seen[f"{schema}.{table}"] = None
    return list(seen)


def sql_models(directory: Path) -> dict[str, str]:
    """name -> SQL of every model file in a folder (the file name is the table name)."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.sql"))}


def build_table(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> int:
    """Replace `table` with the result of `sql` atomically; return its row count."""
    con.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}")
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def build_table_from_records(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str],
                             records: list[dict]) -> int:
    """Replace `table` with small Python-built rows, typed by `columns` (name -> DuckDB type) so that an empty
    table keeps its schema. Returns the row count."""
    import pandas as pd

    frame = pd.DataFrame.from_records(records, columns=list(columns))
    select = ", ".join(f'"{c}"::{t} AS "{c}"' for c, t in columns.items())
    con.register("_records", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {select} FROM _records")
    finally:
        con.unregister("_records")
    return len(records)


@dataclass
class StagingReport:
    staged_rows: int
    quarantined_rows: int
    out_of_scope_rows: int
    unbalanced_files: list[tuple]
    mode: str = "full"  # "full" or "incremental" (only the new files' rows were judged and added)
    reason: str = ""  # why a full re-stage, or how many new files


RuleFailures = Callable[[duckdb.DuckDBPyConnection], object]
JUDGED_COLUMNS = "_reject_reason, _failed_checks, _scope_reason, _disposition, _delivered_on"


def stage_source(con: duckdb.DuckDBPyConnection, contract: SourceContract, run_id: str,
                 rule_failures: RuleFailures | None = None, unique_key: tuple[str, ...] = (),
                 rules_version: str = "") -> StagingReport:
    """Run a source's staging SQL and split raw rows three ways: staged, quarantined (with reasons and the
    checks that failed) and out of scope. `rule_failures`, given the connection, must fill the temp table
    `_rule_failures(_file_sha256, _row_number, check_name, criterion, reason)` from the candidate rows in
    scope, the view `_in_scope` (the source's pandera row rules; `unique_key` is the key that must be unique
    across deliveries and `rules_version` identifies the rules, so a change to them re-stages). Rows of a
    superseded delivery are out of scope. A raw row that yields several staging rows (an unpivot) is judged as
    one. Then record row conservation per file: raw = staged + quarantined + out of scope.

    An append-only source already staged gets only its new files' rows judged and added, when that gives what
    a full re-stage would (see warehouse/incremental.py); otherwise every delivery is re-staged."""
    decision = incremental.plan(con, contract, rules_version)
    mode, reason = "full", decision.full_reason
    try:
        if decision.full_reason is None:
            conflict = _stage_new_files(con, contract, run_id, rule_failures, unique_key)
            if conflict is None:
                mode, reason = "incremental", f"{decision.new_files} new file(s) staged"
            else:
                reason = conflict
        if mode == "full":
            _stage_everything(con, contract, run_id, rule_failures)
        incremental.record_state(con, contract.name, decision.fingerprint, mode, run_id)
    finally:
        con.execute("DROP VIEW IF EXISTS _judged; DROP VIEW IF EXISTS _in_scope; DROP TABLE IF EXISTS _staged; "
                    "DROP TABLE IF EXISTS _rule_failures; DROP TABLE IF EXISTS _earlier; "
                    f"DROP TABLE IF EXISTS {incremental.NEW_FILES}")
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


def _stage_everything(con: duckdb.DuckDBPyConnection, contract: SourceContract, run_id: str,
                      rule_failures: RuleFailures | None) -> None:
    source = contract.name
    _candidates(con, source, contract.staging_sql())
    con.execute("CREATE OR REPLACE TEMP VIEW _in_scope AS SELECT * FROM _staged WHERE _scope_reason IS NULL")
    if rule_failures is not None:
        rule_failures(con)
    _judge(con, contract.several_rows_per_line)
    with transaction(con):
        con.execute(f"""CREATE OR REPLACE TABLE staging.{source} AS
            SELECT * EXCLUDE ({JUDGED_COLUMNS}) FROM _judged WHERE _disposition = 'staged'""")
        for table in ("quarantine", "out_of_scope", "row_conservation"):
            con.execute(f"DELETE FROM audit.{table} WHERE source = ?", [source])
        _record_dispositions(con, source, run_id, "true")


def _stage_new_files(con: duckdb.DuckDBPyConnection, contract: SourceContract, run_id: str,
                     rule_failures: RuleFailures | None, unique_key: tuple[str, ...]) -> str | None:
    """Judge and add the rows of the files in `_new_files`. Returns None when done, or why a full re-stage
    is needed instead (nothing is written then)."""
    source = contract.name
    _candidates(con, source, incremental.new_rows_sql(contract))
    if unique_key:
        # Rows delivered before with a key a new row has (staged, or quarantined: both were delivered first),
        # so the unique-key rule sees every earlier delivery of those keys.
        con.execute(f"CREATE OR REPLACE TEMP TABLE _earlier AS {incremental.quarantined_rows_sql(contract)}")
        keys = ", ".join(f'"{k}"' for k in unique_key)
        new_keys = f"(SELECT DISTINCT {keys} FROM _staged WHERE _scope_reason IS NULL)"
        con.execute(f"""CREATE OR REPLACE TEMP VIEW _in_scope AS
            SELECT * FROM _staged WHERE _scope_reason IS NULL
            UNION ALL BY NAME SELECT s.* FROM staging.{source} s SEMI JOIN {new_keys} n USING ({keys})
            UNION ALL BY NAME SELECT e.* FROM _earlier e SEMI JOIN {new_keys} n USING ({keys})
                              WHERE e._scope_reason IS NULL""")
    else:
        con.execute("CREATE OR REPLACE TEMP VIEW _in_scope AS SELECT * FROM _staged WHERE _scope_reason IS NULL")
    if rule_failures is not None:
        rule_failures(con)
    # A staged row that now fails a rule (a new row claimed its key first): only a full re-stage is right.
    displaced = con.execute(f"""SELECT count(*) FROM _rule_failures f
        WHERE f._file_sha256 NOT IN (SELECT _file_sha256 FROM {incremental.NEW_FILES})
          AND NOT EXISTS (SELECT 1 FROM audit.quarantine q WHERE q.source = ? AND q.file_sha256 = f._file_sha256
                          AND q.row_number = f._row_number)""", [source]).fetchone()[0]
    if displaced:
        return f"{displaced} staged row(s) would lose their key to a row in a new file"
    con.execute(f"DELETE FROM _rule_failures WHERE _file_sha256 NOT IN (SELECT _file_sha256 FROM "
                f"{incremental.NEW_FILES})")
    _judge(con, contract.several_rows_per_line)
    with transaction(con):
        con.execute(f"""INSERT INTO staging.{source} BY NAME
            SELECT * EXCLUDE ({JUDGED_COLUMNS}) FROM _judged WHERE _disposition = 'staged'""")
        _record_dispositions(con, source, run_id,
                             f"_file_sha256 IN (SELECT _file_sha256 FROM {incremental.NEW_FILES})")
    return None


MEASURE_KEY = ("measure_id", "period_start", "area_type", "area_code")


def rebuild_keeping_history(con: duckdb.DuckDBPyConnection, sql: str, run_id: str) -> int:
    """Rebuild marts.measure_values from `sql` and record in audit.measure_value_changes every value that
    was there before and now differs or is gone (a corrected delivery, a late file). New periods are not
    changes. Returns how many were recorded."""
    if not table_exists(con, "marts.measure_values"):
        build_table(con, "marts.measure_values", sql)
        return 0
    keys = ", ".join(MEASURE_KEY)
    with transaction(con):
        con.execute(f"CREATE OR REPLACE TEMP TABLE _previous AS SELECT {keys}, value FROM marts.measure_values")
        build_table(con, "marts.measure_values", sql)
        changed = con.execute(f"""
            INSERT INTO audit.measure_value_changes
            SELECT p.measure_id, p.period_start, p.area_type, p.area_code, p.value, n.value,
                   CASE WHEN n.measure_id IS NULL THEN 'removed' ELSE 'changed' END, ?, ?::TIMESTAMP
            FROM _previous p LEFT JOIN marts.measure_values n USING ({keys})
            WHERE n.measure_id IS NULL OR p.value IS DISTINCT FROM n.value""",
            [run_id, clock.timestamp()]).fetchone()[0]
        con.execute("DROP TABLE _previous")
    return changed
