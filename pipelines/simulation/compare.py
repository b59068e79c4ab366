"""Is the warehouse the nights built the one a single run over every delivered file builds?

Compared as multisets of rows, both ways: every staged table and the row dispositions (working warehouse),
every core table and the measure and dashboard marts (published copy). Columns that record when or in which
run something happened differ by nature and are left out; the lineage (file hash and row number) is kept.
`bench/compare_builds.py` uses the same comparison for every table, before and after a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

VOLATILE = {"_loaded_at", "_run_id", "run_id", "recorded_at", "checked_at", "loaded_at", "staged_at", "built_at",
            "rebuilt_at", "published_at", "changed_at", "seq", "submitted_at"}
# The record-level facts are compared in the working warehouse (the BI copy does not hold them).
WORKING = ("staging.%", "core.fact_%", "audit.row_conservation", "audit.quarantine", "audit.out_of_scope")
PUBLISHED = ("core.%", "marts.measure_values", "marts.dashboard_strategic", "marts.dashboard_operational",
             "marts.dashboard_demographics", "marts.measure_spc", "marts.data_holds")
WAREHOUSES = ("warehouse/working.duckdb", "published/bromsgrove.duckdb")
RENAMED_COLUMNS = ("measure_id", "subject")  # the columns that hold a measure id


@dataclass(frozen=True)
class Comparison:
    """How to compare the tables of two attached databases, a and b. `skip`: column names (or
    "schema.table.column") left out; `roots`: each side's data folder, taken out of text values when the two
    runs landed their files in different folders; `names`: what a and b are called in the differences;
    `renamed`: measure ids (former, current) renamed between a and b: a's `measure_id` and `subject` values
    (except in raw.*, the files as delivered) and its `measures.<former>` table are read under the current id."""

    skip: frozenset[str] = frozenset(VOLATILE)
    roots: tuple[Path, Path] | None = None
    names: tuple[str, str] = ("nightly warehouse", "rebuild")
    renamed: tuple[tuple[str, str], ...] = ()

    def in_a(self, table: str) -> str:
        """The name `table` (as b has it) has in a."""
        return next((f"measures.{former}" for former, current in self.renamed if table == f"measures.{current}"),
                    table)

    def as_in_b(self, table: str) -> str:
        """The name a's `table` has in b."""
        return next((f"measures.{current}" for former, current in self.renamed if table == f"measures.{former}"),
                    table)

    def _columns(self, con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple[str, str]]:
        schema, name = table.split(".")
        return con.execute("""SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = ?
                              AND table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
                           [database, schema, name]).fetchall()

    def _select(self, columns: list[tuple[str, str]], table: str, root: Path | None,
                renamed: tuple[tuple[str, str], ...] = ()) -> str:
        parts = []
        for column, kind in columns:
            if column in self.skip or f"{table}.{column}" in self.skip:
                continue
            if kind == "VARCHAR" and (root is not None or renamed):
                text = f"replace(\"{column}\", '{root}', '<data>')" if root is not None else f'"{column}"'
                for former, current in renamed if column in RENAMED_COLUMNS else ():
                    text = f"CASE WHEN {text} = '{former}' THEN '{current}' ELSE {text} END"
                parts.append(text)
            elif kind in ("DOUBLE", "FLOAT", "REAL"):
                parts.append(f'round("{column}", 9)')  # sums of decimals differ in the last bit with the order
            else:
                parts.append(f'"{column}"')
        return ", ".join(parts)

    def table(self, con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
        """How `table` differs between a and b (empty when they hold the same rows)."""
        table_a = self.in_a(table)
        columns = {"a": self._columns(con, "a", table_a), "b": self._columns(con, "b", table)}
        if not columns["a"] or not columns["b"]:
            return [f"{table}: only in the {self.names[1] if columns['b'] else self.names[0]}"]
        if {c for c, _ in columns["a"]} != {c for c, _ in columns["b"]}:
            return [f"{table}: columns differ: {sorted({c for c, _ in columns['a']} ^ {c for c, _ in columns['b']})}"]
        roots = self.roots or (None, None)
        # raw.* keeps the files as delivered, so a former id in a landing file stays as it is on both sides.
        a = self._select(columns["a"], table, roots[0], () if table.startswith("raw.") else self.renamed)
        b = self._select(columns["b"], table, roots[1])
        only_a = con.execute(f"SELECT count(*) FROM (SELECT {a} FROM a.{table_a} EXCEPT ALL "
                             f"SELECT {b} FROM b.{table})").fetchone()[0]
        only_b = con.execute(f"SELECT count(*) FROM (SELECT {b} FROM b.{table} EXCEPT ALL "
                             f"SELECT {a} FROM a.{table_a})").fetchone()[0]
        if not only_a and not only_b:
            return []
        sample = con.execute(f"SELECT {a} FROM a.{table_a} EXCEPT ALL SELECT {b} FROM b.{table} LIMIT 2").fetchall()
        return [f"{table}: {only_a} row(s) only in the {self.names[0]}, {only_b} only in the {self.names[1]}; "
                f"e.g. {sample}"]


def tables(con: duckdb.DuckDBPyConnection, patterns: tuple[str, ...],
           comparison: Comparison | None = None) -> list[str]:
    """schema.table of every table in a or b that matches one of the LIKE patterns (a's under b's name)."""
    found = set()
    for database in ("a", "b"):
        rename = comparison.as_in_b if comparison and database == "a" else str
        found |= {rename(r[0]) for r in con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_catalog = ? AND ("
            + " OR ".join("(table_schema || '.' || table_name) LIKE ?" for _ in patterns) + ")",
            [database, *patterns]).fetchall()}
    return sorted(found)


def compare_data_folders(first: Path, second: Path, comparison: Comparison,
                         patterns: dict[str, tuple[str, ...]]) -> dict[str, tuple[list[str], list[str]]]:
    """For each warehouse file (relative to the data folders) the tables compared and their differences."""
    results = {}
    for relative, wanted in patterns.items():
        with duckdb.connect() as con:
            con.execute(f"ATTACH '{first / relative}' AS a (READ_ONLY)")
            con.execute(f"ATTACH '{second / relative}' AS b (READ_ONLY)")
            compared = tables(con, wanted, comparison)
            results[relative] = (compared, [d for t in compared for d in comparison.table(con, t)])
    return results


def compare_warehouses(nights: Path, rebuild: Path) -> list[str]:
    """Differences between the warehouses under two data folders (empty when they hold the same rows)."""
    patterns = {WAREHOUSES[0]: WORKING, WAREHOUSES[1]: PUBLISHED}
    results = compare_data_folders(nights, rebuild, Comparison(), patterns)
    return [d for _, differences in results.values() for d in differences]
