"""Is the warehouse the nights built the one a single run over every delivered file builds?

Compared as multisets of rows, both ways: every staged table and the row dispositions (working warehouse),
every core table and the measure and dashboard marts (published copy). Columns that record when or in which
run something happened differ by nature and are left out; the lineage (file hash and row number) is kept.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

VOLATILE = {"_loaded_at", "_run_id", "run_id", "recorded_at", "checked_at", "loaded_at", "staged_at", "built_at",
            "rebuilt_at", "published_at", "changed_at", "seq", "submitted_at"}
WORKING = ("staging.%", "audit.row_conservation", "audit.quarantine", "audit.out_of_scope")
PUBLISHED = ("core.%", "marts.measure_values", "marts.dashboard_strategic", "marts.dashboard_operational",
             "marts.dashboard_demographics", "marts.measure_spc", "marts.data_holds")


def compare_warehouses(nights: Path, rebuild: Path) -> list[str]:
    """Differences between the warehouses under two data folders (empty when they hold the same rows)."""
    differences = []
    for relative, patterns in (("warehouse/working.duckdb", WORKING), ("published/bromsgrove.duckdb", PUBLISHED)):
        with duckdb.connect() as con:
            con.execute(f"ATTACH '{nights / relative}' AS a (READ_ONLY)")
            con.execute(f"ATTACH '{rebuild / relative}' AS b (READ_ONLY)")
            for table in _tables(con, patterns):
                differences += _compare(con, table)
    return differences


def _tables(con: duckdb.DuckDBPyConnection, patterns: tuple[str, ...]) -> list[str]:
    found = set()
    for database in ("a", "b"):
        found |= {r[0] for r in con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_catalog = ? AND ("
            + " OR ".join("(table_schema || '.' || table_name) LIKE ?" for _ in patterns) + ")",
            [database, *patterns]).fetchall()}
    return sorted(found)


def _compare(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    columns = {}
    for database in ("a", "b"):
        schema, name = table.split(".")
        columns[database] = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_schema = ? "
            "AND table_name = ? ORDER BY ordinal_position", [database, schema, name]).fetchall()]
    if not columns["a"] or not columns["b"]:
        return [f"{table}: only in the {'rebuild' if columns['b'] else 'nightly'} warehouse"]
    kept = [c for c in columns["a"] if c in columns["b"] and c not in VOLATILE]
    if set(columns["a"]) != set(columns["b"]):
        return [f"{table}: columns differ: {sorted(set(columns['a']) ^ set(columns['b']))}"]
    select = ", ".join(f'round("{c}", 9)' if _is_float(con, table, c) else f'"{c}"' for c in kept)
    only_a = con.execute(f"SELECT count(*) FROM (SELECT {select} FROM a.{table} EXCEPT ALL "
                         f"SELECT {select} FROM b.{table})").fetchone()[0]
    only_b = con.execute(f"SELECT count(*) FROM (SELECT {select} FROM b.{table} EXCEPT ALL "
                         f"SELECT {select} FROM a.{table})").fetchone()[0]
    if only_a or only_b:
        sample = con.execute(f"SELECT {select} FROM a.{table} EXCEPT ALL SELECT {select} FROM b.{table} "
                             "LIMIT 2").fetchall()
        return [f"{table}: {only_a} row(s) only in the nightly warehouse, {only_b} only in the rebuild; e.g. "
                f"{sample}"]
    return []


def _is_float(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    schema, name = table.split(".")
    kind = con.execute("SELECT data_type FROM information_schema.columns WHERE table_catalog = 'a' AND "
                       "table_schema = ? AND table_name = ? AND column_name = ?", [schema, name, column]).fetchone()
    return bool(kind) and kind[0] in ("DOUBLE", "FLOAT", "REAL")
