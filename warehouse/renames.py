"""Renamed measures keep their history. A catalogue entry's `renamed_from` lists the measure's former ids;
whenever the warehouse is opened for a run (warehouse/resource.py), before any step reads it:

- core.measure_renames is rebuilt from the catalogue (former id -> current id), so landing files that still name
  a former id (returns, focus lists, the trials register) are staged under the current one;
- every row the warehouse holds under a former id (values, value changes, definition history, check results,
  holds) and a `measures.<former>` table move to the current id, and the move is recorded in
  audit.measure_renames. Nothing to move (a warehouse built after the rename, or a later night) records nothing.

So marts.measure_values compares the same series before and after (a rename is never "removed" values plus a
new series), whichever assets the run selects."""

from __future__ import annotations

import duckdb

from warehouse import clock
from warehouse.catalogue import Catalogue
from warehouse.catalogue_tables import build_catalogue_table
from warehouse.db import table_exists, transaction

# (table, column holding the measure id, which rows are about a measure)
HISTORY = (
    ("marts.measure_values", "measure_id", "true"),
    ("audit.measure_value_changes", "measure_id", "true"),
    ("audit.measure_definitions", "measure_id", "true"),
    ("audit.check_results", "subject", "subject_type = 'measure'"),
    ("audit.holds", "subject", "subject_type = 'measure'"),
    ("audit.suppression_history", "measure_id", "true"),  # a renamed measure keeps every cell it withheld
    ("audit.disclosure_releases", "measure_id", "true"),  # and the figures each month was first released with
)


def apply_renames(con: duckdb.DuckDBPyConnection, cat: Catalogue, run_id: str | None) -> dict[str, tuple[str, int]]:
    """Bring the warehouse up to the catalogue's renames. Returns {former id: (current id, rows moved)} for the
    former ids that still had rows or a table to move."""
    build_catalogue_table(con, "measure_renames", cat)
    moved = {}
    for former, current in sorted(cat.renames.items()):
        with transaction(con):
            rows, table_moved = _move(con, former, current)
            if rows or table_moved:
                con.execute("INSERT INTO audit.measure_renames VALUES (?, ?, ?, ?::DATE, ?, ?)",
                            [former, current, clock.timestamp(), clock.as_of(), run_id, rows])
                moved[former] = (current, rows)
    return moved


def _move(con: duckdb.DuckDBPyConnection, former: str, current: str) -> tuple[int, bool]:
    """Move `former`'s rows to `current`; (rows moved, whether `measures.<former>` was there)."""
    rows = 0
    for table, column, about in HISTORY:
        if not table_exists(con, table):
            continue
        if table == "audit.measure_definitions":  # one row per (id, definition): keep the earlier, the former's
            con.execute("""DELETE FROM audit.measure_definitions c WHERE c.measure_id = ? AND EXISTS (
                               SELECT 1 FROM audit.measure_definitions f
                               WHERE f.measure_id = ? AND f.definition = c.definition)""", [current, former])
        rows += con.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ? AND {about}",
                            [current, former]).fetchone()[0]
        if table == "audit.disclosure_releases":  # released under both ids (a rollback): the first release stands
            con.execute("""DELETE FROM audit.disclosure_releases d WHERE d.measure_id = ?
                           AND d.first_released_as_of > (SELECT min(x.first_released_as_of)
                               FROM audit.disclosure_releases x
                               WHERE x.measure_id = d.measure_id AND x.period_start = d.period_start)""", [current])
    table_moved = table_exists(con, f"measures.{former}")
    if table_moved:
        if table_exists(con, f"measures.{current}"):
            con.execute(f"DROP TABLE measures.{former}")
        else:
            con.execute(f"ALTER TABLE measures.{former} RENAME TO {current}")
            con.execute(f"UPDATE measures.{current} SET measure_id = ?", [current])
    return rows, table_moved
