"""One measure as every output shows it: its council-wide SPC chart (re-drawn up to a report period's end, so a
report says what the chart said then), the chart in words, the owner's commentary and sign-off, and its
data-quality status from the scorecard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from outputs.charts import chart_alt_text, spc_chart_uri
from outputs.publication import format_value
from warehouse.catalogue import Catalogue, Measure
from warehouse.reporting_periods import add_months, months_between
from warehouse.spc import TOO_FEW_POINTS, SpcPoint, describe
from warehouse.spc_marts import Series, measure_series
from warehouse.trials import judged_trials

CRITERIA = ("relevant", "well_defined", "timely", "reliable", "verifiable", "accurate")
PERIOD_WORDS = {"monthly": "months", "quarterly": "quarters", "annual": "years"}
POINT_WORDS = {"common_cause": "Common cause", "special_cause_improvement": "Special cause: improvement",
               "special_cause_concern": "Special cause: concern", "special_cause_neutral": "Special cause: neutral"}
NOT_JUDGED_WORDS = "Not enough variation to chart"  # no limits, so neither common nor special cause


@dataclass
class QualityStatus:
    criterion: str
    status: str          # pass / warn / fail / not checked
    reason: str | None


@dataclass
class MeasureView:
    measure: Measure
    purpose_title: str
    purpose_owner: str
    team_name: str
    periods: list[dt.date]
    points: list[SpcPoint]
    words: str
    chart_uri: str | None
    chart_alt: str
    latest_value: str
    latest_period: dt.date | None
    commentary: dict | None            # text, by, date, period, signed_off_by, signed_off_date, publishable
    quality: list[QualityStatus] = field(default_factory=list)
    focus_reason: str | None = None
    trials: list[dict] = field(default_factory=list)  # id, description, start, verdict, summary (up to the chart's end)
    period_ends: list[dt.date] = field(default_factory=list)  # each point's period end (periods holds the starts)
    # Periods not charted because a source has not delivered them yet (start -> what is awaited), and what the
    # latest charted period still lacks when it is only provisional (its source is past its grace): never hidden.
    in_progress: dict[dt.date, str] = field(default_factory=dict)
    latest_provisional: str | None = None

    @property
    def quality_overall(self) -> str:
        statuses = {q.status for q in self.quality if q.criterion in CRITERIA}
        return next((s for s in ("fail", "warn", "not checked") if s in statuses), "pass")

    @property
    def latest_point_words(self) -> str:
        if not self.points:
            return "No data"
        return POINT_WORDS.get(self.points[-1].point_type, "") if self.points[-1].judged else NOT_JUDGED_WORDS

    @property
    def comparison_words(self) -> str:
        """The latest value against the period before and the same period a year before, in plain English,
        and whether the chart calls the latest a real change: e.g. 'Lower (better) than October 2026 (2.5
        days); higher (worse) than November 2025 (2.0 days). Within normal variation: no sign of a real change.'"""
        if not self.points:
            return ""
        latest, year_before = self.points[-1].value, add_months(self.periods[-1], -12)
        earlier = [(self.periods[-2], self.points[-2].value)] if len(self.points) > 1 else []
        earlier += [(day, point.value) for day, point in zip(self.periods[:-2], self.points[:-2], strict=True)
                    if day == year_before]  # (an annual measure's period before is already the year before)
        said = "; ".join(f"{_direction(latest, value, self.measure.improvement)} {day:%B %Y} "
                         f"({format_value(value, self.measure.unit)})" for day, value in earlier)
        return (said[:1].upper() + said[1:] + ". " if said else "") + _signal_words(self.points[-1])

    def period_words(self, start: dt.date, end: dt.date) -> str:
        """What the chart says of every period from `start` to `end` (a report's span), not only of the last:
        e.g. 'Common cause in Jul 2026; Special cause: concern in Aug 2026 and Sep 2026', and the months of the
        span a monthly measure has no value for (not delivered yet, or none to give)."""
        groups: dict[str, list[str]] = {}
        ends = self.period_ends or self.periods  # a quarter ending in the span belongs to it
        for day, last, point in zip(self.periods, ends, self.points, strict=True):
            if start <= last <= end:
                label = POINT_WORDS[point.point_type] if point.judged else NOT_JUDGED_WORDS
                groups.setdefault(label, []).append(f"{day:%b %Y}")
        said = "; ".join(f"{label} in {_listed(days)}" for label, days in groups.items())
        if self.measure.frequency == "monthly":
            months = [m for m in months_between(start, end) if m not in self.periods]
            awaited = [f"{m:%b %Y}" for m in months if m in self.in_progress]
            missing = [f"{m:%b %Y}" for m in months if m not in self.in_progress]
            if awaited:
                said += f"{'; ' if said else ''}{_listed(awaited)} not complete yet (not every source has delivered)"
            if missing:
                said += f"{'; ' if said else ''}no value for {_listed(missing)}"
        return said or "No data for this period"

    def table_rows(self) -> list[dict]:
        """The chart's data, for the table that stands in for it."""
        return [{"period": f"{d:%b %Y}", "value": format_value(p.value, self.measure.unit),
                 "mean": f"{p.mean:,.1f}",
                 "limits": "" if p.upper_limit is None else f"{p.lower_limit:,.1f} to {p.upper_limit:,.1f}",
                 "type": POINT_WORDS[p.point_type] if p.judged else NOT_JUDGED_WORDS}
                for d, p in zip(self.periods, self.points, strict=True)]


def _direction(latest: float, earlier: float, improvement: str) -> str:
    """'higher (better) than', 'lower (worse) than', 'the same as': better or worse only where the measure says
    which way is better."""
    if abs(latest - earlier) <= 1e-9 * max(abs(latest), abs(earlier), 1.0):
        return "the same as"
    higher = latest > earlier
    word = "higher" if higher else "lower"
    if improvement not in ("up", "down"):
        return f"{word} than"
    return f"{word} ({'better' if higher == (improvement == 'up') else 'worse'}) than"


def _signal_words(point: SpcPoint) -> str:
    """Whether the chart calls the latest point a real change or normal variation."""
    if point.limits_method == TOO_FEW_POINTS:
        return "Too few points yet to tell a real change from normal variation."
    if not point.judged:
        return "Too little variation to tell a real change from normal variation."
    if point.point_type == "common_cause":
        return "Within normal variation: no sign of a real change."
    kind = {"special_cause_improvement": "an improvement", "special_cause_concern": "a concern"}.get(
        point.point_type, "neither better nor worse")
    return f"A real change (special cause: {kind})."


def _listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def measure_view(con: duckdb.DuckDBPyConnection, cat: Catalogue, measure: Measure,
                 until: dt.date | None = None) -> MeasureView:
    """The view of `measure` from the published warehouse, charted on periods ending by `until` (or all)."""
    series = next(iter(measure_series(con, measure, until=until, district_only=True)), None)
    points = series.chart() if series else []
    periods = [start for start, _ in series.periods] if series else []
    words = describe(points, PERIOD_WORDS.get(measure.frequency, "points"))
    latest = format_value(points[-1].value, measure.unit) if points else "no data"
    purpose = cat.purposes[measure.purpose]
    changes = _changes(series) if series else []  # where the limits restart: the chart names each
    labels = [(day, text.split(":")[0]) for day, text in changes]
    return MeasureView(
        measure=measure, purpose_title=purpose.title, purpose_owner=purpose.owner,
        team_name=cat.teams[measure.team].name, periods=periods, points=points, words=words,
        chart_uri=spc_chart_uri(measure.title, periods, points, measure.unit, measure.target, labels)
        if points else None,
        chart_alt=chart_alt_text(measure.title, periods, points, words, latest, changes), latest_value=latest,
        latest_period=periods[-1] if periods else None,
        commentary=_commentary(con, measure.id, periods[-1] if periods else until),
        quality=_quality(con, measure.id),
        trials=[{"id": t[0], "description": t[3], "start": t[2], "verdict": o.verdict, "summary": o.summary}
                for t, o in judged_trials(con, cat, measure.id, until)],
        period_ends=[last for _, last in series.periods] if series else [],
        in_progress=_in_progress(con, measure.id, until),
        latest_provisional=_awaiting(con, measure.id, periods[-1])
        if series and series.statuses and series.statuses[-1] != "complete" else None)


def _in_progress(con: duckdb.DuckDBPyConnection, measure_id: str, until: dt.date | None) -> dict[dt.date, str]:
    """Periods (ending by `until`) the chart leaves out because a source has not delivered them yet."""
    return dict(con.execute("""SELECT period_start, awaiting FROM marts.period_completeness
                               WHERE measure_id = ? AND NOT period_complete
                                 AND period_end <= coalesce(?, period_end) ORDER BY period_start""",
                            [measure_id, until]).fetchall())


def _awaiting(con: duckdb.DuckDBPyConnection, measure_id: str, period: dt.date) -> str | None:
    row = con.execute("SELECT awaiting FROM marts.period_completeness WHERE measure_id = ? AND period_start = ?",
                      [measure_id, period]).fetchone()
    return row[0] if row else None


def _changes(series: Series) -> list[tuple[dt.date, str]]:
    """(first period, reason) of each rebase or trial where the series' limits restart, the reason starting with
    its short label: 'Trial CPD-01: Advisers own the whole query', 'Rebase: ...'."""
    return [(series.periods[i][0], change.reason[:1].upper() + change.reason[1:])
            for i, change in series.segment_starts()]


def _commentary(con: duckdb.DuckDBPyConnection, measure_id: str, period: dt.date | None) -> dict | None:
    """The owner's commentary and sign-off for the chart's latest period (none if not given for it)."""
    if period is None:
        return None
    row = con.execute("""SELECT commentary, commentary_by, commentary_date, period_start, signed_off_by,
                                signed_off_date, sign_off_covers_commentary
                         FROM core.measure_commentary WHERE measure_id = ? AND period_start = ?""",
                      [measure_id, period]).fetchone()
    if row is None:
        return None
    keys = ("text", "by", "date", "period", "signed_off_by", "signed_off_date", "sign_off_covers_commentary")
    found = dict(zip(keys, row, strict=True))
    # Only commentary the head of service signed off (on or after it was written) is published; the rest stays
    # inside the council (the returns, the BI copy's core.measure_commentary with its sign-off columns).
    found["publishable"] = bool(found["text"] and found["signed_off_by"] and found["sign_off_covers_commentary"])
    return found


def _quality(con: duckdb.DuckDBPyConnection, measure_id: str) -> list[QualityStatus]:
    """The latest result of each of the six criteria (and the ownership checks) for this measure."""
    found = {c: QualityStatus(c, s, r) for c, s, r in con.execute(
        "SELECT criterion, status, reason FROM marts.quality_scorecard WHERE measure_id = ? AND is_latest",
        [measure_id]).fetchall()}
    return [found.get(c, QualityStatus(c, "not checked", None)) for c in (*CRITERIA, "commentary", "sign_off")]
