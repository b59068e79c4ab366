"""marts.measure_quality: each measure's data-quality status as its own build last judged it, for the dashboards.

The worst of the latest verdict of each criterion judged when the measure is built (relevant, well defined,
reliable, verifiable, accurate: `BUILT_WITH`), with the reasons of those that did not pass. Timeliness (judged
nightly, by the date) and the Great Expectations suites on the marts (judged after the marts are built) are left
out, so the status does not depend on the order a night's steps ran in; marts.quality_scorecard has them all.
"""

from __future__ import annotations

import duckdb

from quality.outcome import BUILT_WITH
from warehouse.models import build_table_from_records

TABLE = "marts.measure_quality"
COLUMNS = {"measure_id": "VARCHAR", "quality_status": "VARCHAR", "quality_problems": "VARCHAR"}
WORST_FIRST = ("fail", "warn", "pass")


def build_measure_quality(con: duckdb.DuckDBPyConnection, measure_ids: list[str]) -> int:
    """Write marts.measure_quality for `measure_ids` ('not checked' for a measure never judged)."""
    latest = con.execute("""
        SELECT subject, criterion, status, reason FROM audit.check_results
        WHERE subject_type = 'measure' AND check_name IN ? AND subject IN ?
        QUALIFY row_number() OVER (PARTITION BY subject, check_name ORDER BY coalesce(seq, 0) DESC, checked_at DESC)
                = 1
        ORDER BY subject, criterion""", [list(BUILT_WITH), measure_ids]).fetchall()
    judged: dict[str, list[tuple[str, str, str]]] = {}
    for measure_id, criterion, status, reason in latest:
        judged.setdefault(measure_id, []).append((criterion, status, reason))
    records = []
    for measure_id in measure_ids:
        verdicts = judged.get(measure_id, [])
        statuses = {status for _, status, _ in verdicts}
        records.append({
            "measure_id": measure_id,
            "quality_status": next((s for s in WORST_FIRST if s in statuses), "not checked"),
            "quality_problems": " | ".join(f"{c}: {r}" for c, s, r in verdicts if s != "pass") or None})
    return build_table_from_records(con, TABLE, COLUMNS, records)
