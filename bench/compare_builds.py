"""Before and after a change meant to keep behaviour: every table of two data folders' working and published
warehouses, compared as multisets of rows.

    .venv/bin/python bench/compare_builds.py BEFORE_DATA_DIR AFTER_DATA_DIR     # exit 1 when any table differs

Build each folder with the same command on each version (e.g. `BDC_DATA_DIR=... python -m pipelines.cli run
--sample` on the same day). Left out of the comparison: what a rerun changes by nature (times, run ids,
sequence numbers, file modification times), and the columns in `EXPECTED`, which a change may alter on purpose
(say so when you add one). Each folder's own path is taken out of every text value, since the two runs landed
their files in different folders.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from pipelines.simulation.compare import VOLATILE, _tables

SKIP = VOLATILE | {"first_seen_at", "last_passed_at", "restaged_at", "restaged_seq", "build_seq", "load_seq",
                   "file_modified_ns"}
# The staging fingerprint covers a source's rules version, which now covers only its own declaration.
EXPECTED = {("audit.staging_state", "fingerprint")}
WAREHOUSES = ("warehouse/working.duckdb", "published/bromsgrove.duckdb")


def _select(con: duckdb.DuckDBPyConnection, database: str, table: str, root: Path) -> str:
    schema, name = table.split(".")
    columns = con.execute("""SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = ?
                             AND table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
                          [database, schema, name]).fetchall()
    parts = []
    for column, kind in columns:
        if column in SKIP or (table, column) in EXPECTED:
            continue
        if kind == "VARCHAR":
            parts.append(f"replace(\"{column}\", '{root}', '<data>')")
        elif kind in ("DOUBLE", "FLOAT"):
            parts.append(f'round("{column}", 9)')
        else:
            parts.append(f'"{column}"')
    return ", ".join(parts)


def compare_table(con: duckdb.DuckDBPyConnection, table: str, before: Path, after: Path) -> str | None:
    """How `table` differs between the attached databases a (before) and b (after), or None."""
    select_a, select_b = _select(con, "a", table, before), _select(con, "b", table, after)
    if not select_a or not select_b:
        return f"{table}: only {'after' if select_b else 'before'}"
    only_a = con.execute(f"SELECT count(*) FROM (SELECT {select_a} FROM a.{table} EXCEPT ALL "
                         f"SELECT {select_b} FROM b.{table})").fetchone()[0]
    only_b = con.execute(f"SELECT count(*) FROM (SELECT {select_b} FROM b.{table} EXCEPT ALL "
                         f"SELECT {select_a} FROM a.{table})").fetchone()[0]
    if not only_a and not only_b:
        return None
    example = con.execute(f"SELECT {select_a} FROM a.{table} EXCEPT ALL SELECT {select_b} FROM b.{table} "
                          "LIMIT 1").fetchall()
    return f"{table}: {only_a} row(s) only before, {only_b} only after; e.g. {example}"


def main(before: Path, after: Path) -> int:
    differing = 0
    for relative in WAREHOUSES:
        with duckdb.connect() as con:
            con.execute(f"ATTACH '{before / relative}' AS a (READ_ONLY)")
            con.execute(f"ATTACH '{after / relative}' AS b (READ_ONLY)")
            tables = _tables(con, ("%",))
            differences = [d for d in (compare_table(con, t, before, after) for t in tables) if d]
            rows = sum(con.execute(f"SELECT count(*) FROM a.{t}").fetchone()[0] for t in tables
                       if not any(d.startswith(f"{t}: only") for d in differences))
            print(f"{relative}: {len(tables)} tables, {rows:,} rows before, {len(differences)} differing")
            for difference in differences:
                print("  ", difference[:400])
            differing += len(differences)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
