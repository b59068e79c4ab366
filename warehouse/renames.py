"""Renamed measures keep their history: a catalogue entry's `renamed_from` moves everything the warehouse holds
under a former id to the current one, once, and records it in audit.measure_renames.

Run by the measure's own asset before it builds (assets/measures.py), so that marts.measure_values then
compares the same series before and after (a rename is not "removed" values plus a new series), the definition
history (audit.measure_definitions) and check history (audit.check_results) carry on, and a measure held back
at its last good values keeps them. Landing files that still name a former id (returns, focus lists, the
trials register) are staged under the current id through core.measure_renames."""

from __future__ import annotations

import duckdb

from warehouse import clock
from warehouse.db import table_exists, transaction

# (table, column holding the measure id, which rows are about a measure)
HISTORY = (
    ("marts.measure_values", "measure_id", "true"),
    ("audit.measure_value_changes", "measure_id", "true"),
    ("audit.measure_definitions", "measure_id", "true"),
    ("audit.check_results", "subject", "subject_type = 'measure'"),
    ("audit.holds", "subject", "subject_type = 'measure'"),
)


def carry_history(con: duckdb.DuckDBPyConnection, measure_id: str, former_ids: tuple[str, ...],
                  run_id: str) -> dict[str, int]:
    """Move each former id's rows to `measure_id` (and its `measures.<former>` table, if the current one is
    not built yet); a former id already carried is skipped. Returns rows moved per former id."""
    if not former_ids:
        return {}
    done = {r[0] for r in con.execute("SELECT former_id FROM audit.measure_renames WHERE former_id IN "
                                      "(SELECT unnest(?::VARCHAR[]))", [list(former_ids)]).fetchall()}
    moved = {}
    for former in (f for f in former_ids if f not in done):
        with transaction(con):
            moved[former] = _move(con, former, measure_id)
            con.execute("INSERT INTO audit.measure_renames VALUES (?, ?, ?, ?::DATE, ?, ?)",
                        [former, measure_id, clock.timestamp(), clock.as_of(), run_id, moved[former]])
    return moved


def _move(con: duckdb.DuckDBPyConnection, former: str, current: str) -> int:
    rows = 0
    for table, column, about in HISTORY:
        if not table_exists(con, table):
            continue
        if table == "audit.measure_definitions":  # keyed by (id, definition): one row per definition
            con.execute("""DELETE FROM audit.measure_definitions f WHERE f.measure_id = ? AND EXISTS (
                               SELECT 1 FROM audit.measure_definitions c
                               WHERE c.measure_id = ? AND c.definition = f.definition)""", [former, current])
        rows += con.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ? AND {about}",
                            [current, former]).fetchone()[0]
    if table_exists(con, f"measures.{former}"):
        if table_exists(con, f"measures.{current}"):
            con.execute(f"DROP TABLE measures.{former}")
        else:
            con.execute(f"ALTER TABLE measures.{former} RENAME TO {current}")
            con.execute(f"UPDATE measures.{current} SET measure_id = ?", [current])
    return rows
