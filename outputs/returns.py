"""Performance return templates: one XLSX per team, its measures and the period filled in from the warehouse
(the value so far, and any commentary already given; never an earlier sign-off, which would then seem to cover
edited text: a manager signs each return), for officers to complete and send back
into the landing area. The file format is the performance_returns source's (sources/performance_returns/).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from sources.performance_returns.template import ReturnRow, file_name, write_return
from warehouse.catalogue import Catalogue


def latest_month(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dt.date | None:
    """The latest month that has ended (by `as_of`) and has any council-wide measure value."""
    row = con.execute("""SELECT max(period_start) FROM marts.measure_values
                         WHERE area_type = 'district' AND period_end < ?""", [as_of]).fetchone()
    return row[0] if row else None


def return_rows(con: duckdb.DuckDBPyConnection, cat: Catalogue, team: str, month: dt.date) -> list[ReturnRow]:
    """The lines of `team`'s return for `month`: each of its measures, with what the warehouse already has."""
    measures = [m for m in cat.measures.values() if m.team == team]
    known = {row[0]: row[1:] for row in con.execute("""
        SELECT k.measure_id, v.value, c.commentary, c.commentary_by, c.commentary_date
        FROM (SELECT unnest(?::VARCHAR[]) AS measure_id) k
        LEFT JOIN marts.measure_values v ON v.measure_id = k.measure_id AND v.period_start = ?::DATE
                                         AND v.area_type = 'district'
        LEFT JOIN core.measure_commentary c ON c.measure_id = k.measure_id AND c.period_start = ?::DATE
        """, [[m.id for m in measures], month, month]).fetchall()}
    rows = []
    for m in measures:
        value, commentary, by, on = known[m.id]
        rows.append(ReturnRow(m.id, m.title, f"{month:%Y-%m}", value=None if m.is_manual else value,
                              manual=m.is_manual, manual_value=value if m.is_manual else None,
                              commentary=commentary, commentary_by=by, commentary_date=on))
    return rows


def write_templates(con: duckdb.DuckDBPyConnection, cat: Catalogue, month: dt.date, out_dir: Path,
                    teams: list[str] | None = None, overwrite: bool = False) -> list[Path]:
    """Write a return template for each team that owns a measure (or just `teams`). An existing file is left
    alone unless `overwrite` (someone may have started filling it in there). Returns the files written."""
    unknown = sorted(set(teams or ()) - set(cat.teams))
    if unknown:
        raise ValueError(f"unknown team(s) {unknown}; teams are {sorted(cat.teams)}")
    written = []
    for team in cat.teams.values():
        if teams and team.id not in teams:
            continue
        path = out_dir / file_name(team.id, month)
        rows = return_rows(con, cat, team.id, month)
        if not rows or (path.exists() and not overwrite):
            continue
        guidance = [(m.id, m.title, m.definition) for m in cat.measures.values() if m.team == team.id]
        written.append(write_return(path, team.name, month, rows, guidance))
    return written
