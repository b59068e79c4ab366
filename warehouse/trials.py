"""marts.trial_outcomes: did each check-plan-do trial move the measures it was meant to move?

For each trial x measure, on the council-wide series: the process before the trial (its mean and limits), the
process since (rebased at the trial's start), and the points since the start judged against the limits of
the system before it: Making Data Count's way of telling a real change from noise. The verdict is in words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from warehouse.catalogue import Catalogue
from warehouse.models import build_table_from_records
from warehouse.spc import IMPROVEMENT, NEUTRAL, SpcPoint, xmr

READS = {"marts.trial_outcomes": ("marts.measure_values", "marts.period_completeness", "core.trials")}
MIN_POINTS_BEFORE = 2  # a process needs two points for a moving range and so for limits


@dataclass
class Outcome:
    points_before: int
    points_after: int
    before: SpcPoint | None
    after: SpcPoint | None
    improvement_points: int
    concern_points: int
    neutral_points: int
    special_causes_since_rebase: int
    verdict: str
    summary: str


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def judge_trial(before: list[float], after: list[float], improvement: str, baseline_points: int | None = None,
                unit: str = "") -> Outcome:
    """Compare the points since a trial started with the process before it, and say what that shows."""
    before_chart = xmr(before, improvement, baseline_points=baseline_points) if before else []
    after_chart = xmr(after, improvement, baseline_points=baseline_points) if after else []
    # The points since the start, judged against the limits of the system before it (the baseline).
    judged = xmr([*before, *after], improvement, baseline_points=len(before))[len(before):] if before else []
    counts = {kind: sum(p.point_type == kind for p in judged)
              for kind in (IMPROVEMENT, "special_cause_concern", NEUTRAL)}
    since = sum(p.special_cause for p in after_chart)
    b, a = (before_chart[-1] if before_chart else None), (after_chart[-1] if after_chart else None)
    means = f"mean {_fmt(b.mean if b else None)}{unit} before, {_fmt(a.mean if a else None)}{unit} since"
    if len(before) < MIN_POINTS_BEFORE:
        verdict, summary = "too_early", "Not enough data before the trial started to know the old system's limits."
    elif not after:
        verdict, summary = "too_early", "No data since the trial started yet."
    elif not judged[0].judged:
        # No limits to judge by: say, as a plain fact, how many points since lie beyond every value before it.
        above, below = sum(v > max(before) for v in after), sum(v < min(before) for v in after)
        verdict = "too_little_variation"
        summary = ("The system before the trial varies too little for process limits, so no SPC signal can be "
                   f"judged against it; {above} of {len(after)} points since the start are above every value "
                   f"before it and {below} below ({means}).")
    else:
        good, bad, neutral = counts[IMPROVEMENT], counts["special_cause_concern"], counts[NEUTRAL]
        n = len(after)
        if good and bad:
            verdict = "mixed"
            summary = (f"Mixed signals: {good} of {n} points since the start show special cause improvement and "
                       f"{bad} special cause concern against the limits before it ({means}).")
        elif good:
            verdict = "improvement"
            summary = (f"The new design shows a signal of improvement: {good} of {n} points since the start are "
                       f"special cause improvement against the limits of the system before it ({means}).")
        elif bad:
            verdict = "concern"
            summary = (f"The new design shows a signal of concern: {bad} of {n} points since the start are "
                       f"special cause concern against the limits of the system before it ({means}).")
        elif neutral:
            verdict = "change"
            summary = f"The system has changed: {neutral} of {n} points since the start are special cause ({means})."
        else:
            verdict = "no_signal"
            summary = (f"No signal yet: all {n} points since the start are within the variation of the system "
                       f"before it ({means}).")
    return Outcome(len(before), len(after), b, a, counts[IMPROVEMENT], counts["special_cause_concern"],
                   counts[NEUTRAL], since, verdict, summary)


def judged_trials(con: duckdb.DuckDBPyConnection, cat: Catalogue, measure_id: str | None = None,
                  until: dt.date | None = None) -> list[tuple[tuple, Outcome]]:
    """Each trial in the register (only `measure_id`'s, and only those started by `until`, when given) with its
    outcome, judged on the council-wide series up to `until`: (trial_id, service, start_date, description,
    lead_officer, measure_id), Outcome. A report judges a trial as its period's data showed it."""
    trials = con.execute("""SELECT trial_id, service, start_date, description, lead_officer, measure_id
                            FROM core.trials ORDER BY start_date, trial_id, measure_id""").fetchall()
    judged = []
    for trial in trials:
        trial_id, service, start, description, lead, trial_measure = trial
        if (measure_id is not None and trial_measure != measure_id) or (until is not None and start > until):
            continue
        measure = cat.measures[trial_measure]
        series = con.execute("""SELECT v.period_end, v.value FROM marts.measure_values v
                                JOIN marts.period_completeness c USING (measure_id, period_start)
                                WHERE v.measure_id = ? AND v.area_type = 'district' AND v.value IS NOT NULL
                                  AND c.period_complete AND v.period_end <= coalesce(?, v.period_end)
                                ORDER BY v.period_start""", [trial_measure, until]).fetchall()  # as the chart
        # The period containing the start is the first of the new design (as in marts.measure_spc). The old
        # system is the segment before it, back to the previous recorded change; the new one runs up to the
        # next recorded change, if there is one.
        changes = [t[2] for t in trials if t[5] == trial_measure]
        changes += [dt.date.fromisoformat(r.start) for r in measure.rebases]
        floor = max((d for d in changes if d < start), default=None)
        ceiling = min((d for d in changes if d > start), default=None)
        before = [v for end, v in series if end < start and (floor is None or end >= floor)]
        after = [v for end, v in series if end >= start and (ceiling is None or end < ceiling)]
        unit = "%" if measure.unit == "percent" else f" {measure.unit}"
        judged.append((trial, judge_trial(before, after, measure.improvement, measure.spc.baseline_points, unit)))
    return judged


def build_trial_outcomes(con: duckdb.DuckDBPyConnection, cat: Catalogue) -> int:
    """(Re)build marts.trial_outcomes from core.trials and the council-wide series in marts.measure_values."""
    rows = []
    for (trial_id, service, start, description, lead, measure_id), o in judged_trials(con, cat):
        measure = cat.measures[measure_id]
        rows.append({
            "trial_id": trial_id, "service": service, "start_date": start, "description": description,
            "lead_officer": lead, "measure_id": measure_id, "measure_title": measure.title,
            "improvement": measure.improvement, "points_before": o.points_before,
            "mean_before": o.before.mean if o.before else None,
            "lower_limit_before": o.before.lower_limit if o.before else None,
            "upper_limit_before": o.before.upper_limit if o.before else None,
            "points_after": o.points_after, "mean_after": o.after.mean if o.after else None,
            "lower_limit_after": o.after.lower_limit if o.after else None,
            "upper_limit_after": o.after.upper_limit if o.after else None,
            "improvement_points_after": o.improvement_points, "concern_points_after": o.concern_points,
            "special_causes_since_rebase": o.special_causes_since_rebase,
            "verdict": o.verdict, "summary": o.summary})
    return build_table_from_records(con, "marts.trial_outcomes", TRIAL_COLUMNS, rows)


TRIAL_COLUMNS = {  # column -> type, so an empty table still has the right schema
    "trial_id": "VARCHAR", "service": "VARCHAR", "start_date": "DATE", "description": "VARCHAR",
    "lead_officer": "VARCHAR", "measure_id": "VARCHAR", "measure_title": "VARCHAR", "improvement": "VARCHAR",
    "points_before": "INTEGER", "mean_before": "DOUBLE", "lower_limit_before": "DOUBLE",
    "upper_limit_before": "DOUBLE", "points_after": "INTEGER", "mean_after": "DOUBLE", "lower_limit_after": "DOUBLE",
    "upper_limit_after": "DOUBLE", "improvement_points_after": "INTEGER", "concern_points_after": "INTEGER",
    "special_causes_since_rebase": "INTEGER", "verdict": "VARCHAR", "summary": "VARCHAR"}
