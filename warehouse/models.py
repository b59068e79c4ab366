"""Building warehouse tables from SQL: core models, measures and marts (staging: sources/staging.py)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from warehouse import clock
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
