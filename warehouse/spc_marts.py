"""SPC marts: every measure series (marts.measure_spc) and each service's end-to-end median
(marts.end_to_end_spc) as XmR charts, with limits rebased at recorded system changes and trials.

The series are small (one value per period and area), so each measure is read into Python on its own, charted
by warehouse.spc and written back in one insert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import duckdb

from warehouse.catalogue import Catalogue, Measure
from warehouse.models import build_table_from_records
from warehouse.spc import SpcPoint, assurance_icon, xmr

# The tables each mart built here reads (for Dagster's dependencies and the `relevant` lineage walk).
READS = {"marts.measure_spc": ("marts.measure_values", "marts.period_completeness", "core.trials"),
         "marts.end_to_end_spc": ("marts.end_to_end_times", "marts.period_completeness")}
# Each service of marts.end_to_end_times and the measure of the same cases, whose months in progress
# (marts.period_completeness) the end-to-end chart leaves out too.
END_TO_END_MEASURES = {"Benefits new claims": "benefits_new_claims_days",
                       "Homelessness cases": "housing_options_end_to_end_days",
                       "Planning applications": "planning_decisions",
                       "Disabled facilities grants": "dfg_end_to_end_days",
                       "Fly-tipping clearance": "fly_tipping_clearance_days"}
POINT_COLUMNS = {  # column -> type, so an empty chart table still has the right schema
    "period_start": "DATE", "period_end": "DATE", "value": "DOUBLE", "segment": "INTEGER", "segment_start": "DATE",
    "segment_reason": "VARCHAR", "mean": "DOUBLE", "moving_range": "DOUBLE", "upper_process_limit": "DOUBLE",
    "lower_process_limit": "DOUBLE", "upper_near_limit": "DOUBLE", "lower_near_limit": "DOUBLE",
    "outside_limits": "BOOLEAN", "shift": "BOOLEAN", "trend": "BOOLEAN", "two_in_three": "BOOLEAN",
    "special_cause": "BOOLEAN", "point_type": "VARCHAR", "variation_icon": "VARCHAR", "rules": "VARCHAR",
    "is_latest": "BOOLEAN", "points_in_series": "INTEGER", "improvement": "VARCHAR", "target": "DOUBLE",
    "assurance_icon": "VARCHAR", "limits_method": "VARCHAR", "period_status": "VARCHAR"}



@dataclass
class Rebase:
    start: dt.date
    reason: str


@dataclass
class Series:
    """One chart: identifying columns, its periods in order, and how to judge them."""

    keys: dict[str, object]
    periods: list[tuple[dt.date, dt.date]]
    values: list[float]
    improvement: str
    rebases: list[Rebase] = field(default_factory=list)
    baseline_points: int | None = None
    target: float | None = None
    bounds: tuple[float | None, float | None] = (None, None)  # the lowest and highest values possible
    statuses: list[str] = field(default_factory=list)  # each period's completeness (quality/completeness.py)

    def segment_starts(self) -> list[tuple[int, Rebase]]:
        """Index of the first period of each rebase (the period containing its start date), with the rebase."""
        starts: dict[int, Rebase] = {}
        for rebase in sorted(self.rebases, key=lambda r: r.start):
            index = next((i for i, (_, end) in enumerate(self.periods) if end >= rebase.start), None)
            if index:  # a rebase before the first point or after the last changes nothing
                starts[index] = rebase
        return sorted(starts.items())

    def chart(self) -> list[SpcPoint]:
        return xmr(self.values, self.improvement, [i for i, _ in self.segment_starts()], self.baseline_points,
                   self.bounds)


def chart_records(series: Series) -> Iterator[dict]:
    """One row per point of the series' chart: the series' keys, then the columns of POINT_COLUMNS."""
    points = series.chart()
    starts = dict(series.segment_starts())
    assurance = assurance_icon(points, series.target, series.improvement)
    segment_start, reason = series.periods[0][0], "first point"
    for i, (p, (start, end)) in enumerate(zip(points, series.periods, strict=True)):
        if i in starts:
            segment_start, reason = start, starts[i].reason
        yield {**series.keys, "period_start": start, "period_end": end, "value": p.value, "segment": p.segment,
               "segment_start": segment_start, "segment_reason": reason, "mean": p.mean,
               "moving_range": p.moving_range, "upper_process_limit": p.upper_limit,
               "lower_process_limit": p.lower_limit, "upper_near_limit": p.upper_near_limit,
               "lower_near_limit": p.lower_near_limit, "outside_limits": p.outside_limits, "shift": p.shift,
               "trend": p.trend, "two_in_three": p.two_in_three, "special_cause": p.special_cause,
               "point_type": p.point_type, "variation_icon": p.variation_icon, "rules": "; ".join(p.rules) or None,
               "is_latest": i == len(points) - 1, "points_in_series": len(points),
               "improvement": series.improvement, "target": series.target, "assurance_icon": assurance,
               "limits_method": p.limits_method,
               "period_status": series.statuses[i] if series.statuses else None}


def write_chart_table(con: duckdb.DuckDBPyConnection, table: str, key_columns: dict[str, str],
                      series: Iterable[Series]) -> int:
    """Replace `table` with the charts of `series`; `key_columns` maps each key column to its SQL type."""
    records = [r for s in series for r in chart_records(s)]
    return build_table_from_records(con, table, {**key_columns, **POINT_COLUMNS}, records)


def measure_rebases(con: duckdb.DuckDBPyConnection, measure: Measure) -> list[Rebase]:
    """The catalogue's recorded changes of definition plus the trials register's starts for this measure."""
    rebases = [Rebase(dt.date.fromisoformat(r.start), f"rebase: {r.reason}") for r in measure.rebases]
    for trial_id, start, description in con.execute(
            "SELECT trial_id, start_date, description FROM core.trials WHERE measure_id = ? ORDER BY start_date",
            [measure.id]).fetchall():
        rebases.append(Rebase(start, f"trial {trial_id}: {description}"))
    return rebases


def measure_series(con: duckdb.DuckDBPyConnection, measure: Measure, until: dt.date | None = None,
                   district_only: bool = False) -> Iterator[Series]:
    """The measure's council-wide series, and each area's where it has at least spc.min_points values
    (only the council-wide one with `district_only`); periods ending after `until`, and periods still in progress
    (marts.period_completeness), are left out: a month not yet delivered by every source never headlines."""
    rows = con.execute("""SELECT v.area_type, v.area_code, v.period_start, v.period_end, v.value, c.period_status
                          FROM marts.measure_values v
                          JOIN marts.period_completeness c USING (measure_id, period_start)
                          WHERE v.measure_id = ? AND v.value IS NOT NULL AND c.period_complete
                            AND v.period_end <= coalesce(?, v.period_end) AND (NOT ? OR v.area_type = 'district')
                          ORDER BY v.area_type, v.area_code, v.period_start""",
                       [measure.id, until, district_only]).fetchall()
    rebases = measure_rebases(con, measure)
    grouped: dict[tuple[str, str], list[tuple]] = {}
    for area_type, area_code, start, end, value, status in rows:
        grouped.setdefault((area_type, area_code), []).append((start, end, value, status))
    for (area_type, area_code), points in grouped.items():
        if area_type != "district" and len(points) < measure.spc.min_points:
            continue
        yield Series(keys={"measure_id": measure.id, "area_type": area_type, "area_code": area_code},
                     periods=[(s, e) for s, e, _, _ in points], values=[v for _, _, v, _ in points],
                     statuses=[status for *_, status in points],
                     improvement=measure.improvement, rebases=rebases,
                     baseline_points=measure.spc.baseline_points,
                     target=measure.target if area_type == "district" else None,
                     bounds=(measure.quality.min_value, measure.quality.max_value))  # from its unit


def build_measure_spc(con: duckdb.DuckDBPyConnection, cat: Catalogue) -> int:
    """(Re)build marts.measure_spc from marts.measure_values and core.trials. Returns its row count."""
    series = (s for m in cat.measures.values() for s in measure_series(con, m))
    return write_chart_table(con, "marts.measure_spc",
                             {"measure_id": "VARCHAR", "area_type": "VARCHAR", "area_code": "VARCHAR"}, series)


def build_end_to_end_spc(con: duckdb.DuckDBPyConnection) -> int:
    """(Re)build marts.end_to_end_spc: an XmR of each service's monthly median end-to-end days (shorter is
    better) from marts.end_to_end_times, without the months still in progress for the service's measure
    (END_TO_END_MEASURES): a month whose cases are still arriving never headlines. Returns its row count."""
    rows = con.execute("""SELECT t.service, t.month_start, t.month_end, t.median_days
                          FROM marts.end_to_end_times t
                          LEFT JOIN (SELECT unnest(?::VARCHAR[]) AS service, unnest(?::VARCHAR[]) AS measure_id) m
                              USING (service)
                          LEFT JOIN marts.period_completeness c
                              ON c.measure_id = m.measure_id AND c.period_start = t.month_start
                          WHERE t.median_days IS NOT NULL AND c.period_complete IS NOT FALSE
                          ORDER BY t.service, t.month_start""",
                       [list(END_TO_END_MEASURES), list(END_TO_END_MEASURES.values())]).fetchall()
    grouped: dict[str, list[tuple]] = {}
    for service, start, end, median in rows:
        grouped.setdefault(service, []).append((start, end, median))
    series = [Series(keys={"service": service}, periods=[(s, e) for s, e, _ in points],
                     values=[v for _, _, v in points], improvement="down", bounds=(0.0, None))
              for service, points in grouped.items()]
    return write_chart_table(con, "marts.end_to_end_spc", {"service": "VARCHAR"}, series)
