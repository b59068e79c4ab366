"""Statistical process control: the XmR chart and NHS England's "Making Data Count" rules, in one place.

No maintained Python package computes these rules as DESIGN.md section 6 states them (NHSRplotthedots is R;
the Python SPC packages draw charts with other rule sets), so they are implemented here once, on plain lists,
and tested case by case in tests/test_spc.py.

For each segment of a series (a new segment starts at every rebase: a recorded system change or trial):
- mean x̄ of the values; moving ranges mRᵢ = |xᵢ − xᵢ₋₁| inside the segment; mR̄ their mean after screening
  out moving ranges ≥ 3.267·mR̄ (once, against the unscreened mean);
- process limits x̄ ± 2.66·mR̄; near limits x̄ ± (2/3)·2.66·mR̄;
- with a baseline of N points, x̄ and mR̄ come from the segment's first N points only and the limits are
  carried forward;
- **chunky data** (Wheeler, "Understanding Statistical Process Control", on inadequate measurement units):
  when the values move in steps so large against their variation that the moving-range chart has three or
  fewer possible values (0, one step, two steps) below its upper limit 3.267·mR̄ (the unscreened mR̄, as
  Wheeler tests it; the step is the smallest moving range that is not 0, float noise aside), limits would
  call ordinary periods special. A series that is mostly one whole number is the common case: screening then
  removes every moving range that is not 0, and mR̄ = 0 would put both limits on the mean. Such a segment, or
  one with no variation at all, gets no limits and no special-cause rules: it is "not enough variation to
  chart", and says so. A segment that passes the test gets the usual screened limits, so one large spike in
  a whole-number series is still flagged;
- limits are clamped to the values the unit can take (0 to 100 for a percentage, at least 0 for a count).
Each point carries how its segment's limits were set (`limits_method`).
Special-cause rules, judged inside a segment:
- outside the limits: a point above the upper or below the lower process limit;
- shift: 7 or more points in a row on the same side of the mean (a point on the mean breaks the run);
- trend: 7 or more points in a row each higher (or each lower) than the one before (a repeat breaks it);
- two in three: 2 of 3 points in a row beyond the same near limit (the points beyond are flagged).
A special-cause point is high or low: by its side of the mean for the first three rules, and by the trend's
direction when only the trend rule flags it. With the measure's improvement direction that makes it special
cause improvement or concern ("neutral" measures: special cause neutral).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

LIMIT_FACTOR = 2.66          # 3 / d2 for moving ranges of two points
SCREEN_FACTOR = 3.267        # D4 for moving ranges of two points: the upper range limit
RUN_LENGTH = 7               # shift and trend
ON_MEAN_TOLERANCE = 1e-9     # relative: a value this close to the mean is on it

# How a segment's limits were set (SpcPoint.limits_method, marts.measure_spc.limits_method, the chart's note).
SCREENED = "mean moving range, screened"
TOO_FEW_POINTS = "one point: no limits yet"
NOT_ENOUGH_VARIATION = "not enough variation to chart"  # chunky data or none: no limits, no rules

COMMON = "common_cause"
IMPROVEMENT = "special_cause_improvement"
CONCERN = "special_cause_concern"
NEUTRAL = "special_cause_neutral"


@dataclass
class SpcPoint:
    """One point of an XmR chart with its segment's limits and the rules it breaks."""

    value: float
    segment: int
    mean: float
    moving_range: float | None = None
    upper_limit: float | None = None
    lower_limit: float | None = None
    upper_near_limit: float | None = None
    lower_near_limit: float | None = None
    outside_limits: bool = False
    shift: bool = False
    trend: bool = False
    two_in_three: bool = False
    limits_method: str = SCREENED
    direction: str | None = None  # 'high' or 'low' for a special-cause point
    point_type: str = COMMON
    rules: list[str] = field(default_factory=list)  # in words, for reports

    @property
    def special_cause(self) -> bool:
        return self.point_type != COMMON

    @property
    def judged(self) -> bool:
        """Whether the chart can say anything of this point (its segment varies enough to have limits)."""
        return self.limits_method != NOT_ENOUGH_VARIATION

    @property
    def variation_icon(self) -> str:
        """Making Data Count's variation icon for this point: common_cause, or e.g. improvement_high."""
        if not self.special_cause:
            return COMMON
        return f"{self.point_type.removeprefix('special_cause_')}_{self.direction}"


def _segments(n: int, starts: Sequence[int]) -> list[tuple[int, int]]:
    bounds = sorted({0, *(s for s in starts if 0 < s < n)})
    return [(a, b) for a, b in zip(bounds, [*bounds[1:], n], strict=True)]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def screened_mean_moving_range(values: Sequence[float]) -> float | None:
    """mR̄ of consecutive values after screening out moving ranges ≥ 3.267 x the unscreened mR̄."""
    ranges = [abs(b - a) for a, b in pairwise(values)]
    if not ranges:
        return None
    first = _mean(ranges)
    kept = [r for r in ranges if r < SCREEN_FACTOR * first] if first > 0 else ranges
    return _mean(kept) if kept else first


def segment_limits_basis(values: Sequence[float]) -> tuple[float | None, str]:
    """The mR̄ a segment's limits are set from (its baseline `values`) and how: SCREENED; None with
    NOT_ENOUGH_VARIATION for chunky data or no variation at all; None with TOO_FEW_POINTS for one point."""
    ranges = [abs(b - a) for a, b in pairwise(values)]
    if not ranges:
        return None, TOO_FEW_POINTS
    noise = ON_MEAN_TOLERANCE * max(1.0, abs(_mean(values)))  # a difference this small is the same value
    steps = [r for r in ranges if r > noise]
    # Possible moving ranges below the upper range limit: 0, step, 2·step, ... Three or fewer: chunky.
    if not steps or SCREEN_FACTOR * _mean(ranges) < 3 * min(steps):
        return None, NOT_ENOUGH_VARIATION
    return screened_mean_moving_range(values), SCREENED


def _clamp(value: float, bounds: tuple[float | None, float | None]) -> float:
    low, high = bounds
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def _side(value: float, mean: float) -> int:
    if abs(value - mean) <= ON_MEAN_TOLERANCE * max(1.0, abs(mean)):
        return 0
    return 1 if value > mean else -1


def _runs(signs: Sequence[int], length: int) -> list[int]:
    """For each position, the sign of a run of at least `length` equal non-zero signs it belongs to (else 0)."""
    out = [0] * len(signs)
    start = 0
    for i in range(1, len(signs) + 1):
        if i == len(signs) or signs[i] != signs[start]:
            if signs[start] != 0 and i - start >= length:
                out[start:i] = [signs[start]] * (i - start)
            start = i
    return out


def _judge_segment(points: list[SpcPoint]) -> None:
    mean = points[0].mean
    sides = [_side(p.value, mean) for p in points]
    shift = _runs(sides, RUN_LENGTH)
    # A trend of 7 points is 6 steps in one direction; a step's sign belongs to the point it ends on.
    steps = [0] + [_side(b.value, a.value) for a, b in pairwise(points)]
    step_runs = _runs(steps, RUN_LENGTH - 1)
    trend = [0] * len(points)
    for i, sign in enumerate(step_runs):
        if sign:
            trend[i] = trend[i - 1] = sign
    beyond = [0] * len(points)
    for i, p in enumerate(points):
        if p.upper_near_limit is not None and p.value > p.upper_near_limit:
            beyond[i] = 1
        elif p.lower_near_limit is not None and p.value < p.lower_near_limit:
            beyond[i] = -1
    two_in_three = [False] * len(points)
    for i in range(len(points) - 2):
        for side in (1, -1):
            hits = [j for j in range(i, i + 3) if beyond[j] == side]
            if len(hits) >= 2:
                for j in hits:
                    two_in_three[j] = True
    for i, p in enumerate(points):
        p.outside_limits = p.upper_limit is not None and (p.value > p.upper_limit or p.value < p.lower_limit)
        p.shift, p.trend, p.two_in_three = shift[i] != 0, trend[i] != 0, two_in_three[i]
        if p.outside_limits:
            p.rules.append("outside the process limits")
        if p.shift:
            p.rules.append(f"part of a run of {RUN_LENGTH} or more points {'above' if shift[i] > 0 else 'below'} "
                           "the mean")
        if p.trend:
            p.rules.append(f"part of {RUN_LENGTH} or more points {'rising' if trend[i] > 0 else 'falling'} in a row")
        if p.two_in_three:
            p.rules.append("2 of 3 points beyond the near limit")
        if p.outside_limits or p.shift or p.two_in_three:
            p.direction = "high" if sides[i] > 0 else "low"
        elif p.trend:
            p.direction = "high" if trend[i] > 0 else "low"


def xmr(values: Sequence[float], improvement: str = "neutral", segment_starts: Sequence[int] = (),
        baseline_points: int | None = None,
        bounds: tuple[float | None, float | None] = (None, None)) -> list[SpcPoint]:
    """The XmR chart of `values` (in time order). `segment_starts` are the indexes where limits are rebased;
    `baseline_points` fixes each segment's mean and limits to its first N points; `improvement` is 'up',
    'down' or 'neutral'; `bounds` are the lowest and highest values the unit can take (None: unbounded), to
    which the limits are clamped. Returns one SpcPoint per value."""
    if improvement not in ("up", "down", "neutral"):
        raise ValueError(f"improvement must be up, down or neutral, not {improvement!r}")
    out: list[SpcPoint] = []
    for number, (a, b) in enumerate(_segments(len(values), segment_starts), start=1):
        segment = [float(v) for v in values[a:b]]
        base = segment[:baseline_points] if baseline_points else segment
        mean = _mean(base)
        mr_bar, method = segment_limits_basis(base)
        points = []
        for i, value in enumerate(segment):
            p = SpcPoint(value=value, segment=number, mean=mean, limits_method=method,
                         moving_range=abs(value - segment[i - 1]) if i else None)
            if mr_bar is not None:
                width = LIMIT_FACTOR * mr_bar
                p.upper_limit, p.lower_limit = _clamp(mean + width, bounds), _clamp(mean - width, bounds)
                p.upper_near_limit = _clamp(mean + width * 2 / 3, bounds)
                p.lower_near_limit = _clamp(mean - width * 2 / 3, bounds)
            points.append(p)
        if method != NOT_ENOUGH_VARIATION:  # no limits to judge by, and runs about a mean that lies between
            _judge_segment(points)  # the few values the series takes would only count ties
        out.extend(points)
    for p in out:
        if p.direction is None:
            continue
        if improvement == "neutral":
            p.point_type = NEUTRAL
        else:
            good = "high" if improvement == "up" else "low"
            p.point_type = IMPROVEMENT if p.direction == good else CONCERN
    return out


def assurance_icon(points: Sequence[SpcPoint], target: float | None, improvement: str) -> str | None:
    """Making Data Count's assurance icon from the latest point's limits: consistently_pass (the target lies
    beyond the limit on the worse side), consistently_fail (beyond the better side), hit_and_miss (between the
    limits). None without a target, limits, or an improvement direction."""
    if target is None or not points or improvement == "neutral" or points[-1].upper_limit is None:
        return None
    latest = points[-1]
    if target > latest.upper_limit:
        return "consistently_fail" if improvement == "up" else "consistently_pass"
    if target < latest.lower_limit:
        return "consistently_pass" if improvement == "up" else "consistently_fail"
    return "hit_and_miss"


def _run_back(signs: Sequence[int]) -> int:
    """How many signs, ending at the last, equal the last one (0 never runs)."""
    count = 0
    for sign in reversed(signs):
        if sign == 0 or sign != signs[-1]:
            break
        count += 1
    return count


def describe(points: Sequence[SpcPoint], unit: str = "points") -> str:
    """What the chart says about its latest point, in words (for reports, the public site and the trial
    register), e.g. 'Special cause concern: 9 months in a row above the mean.' `unit` names the periods."""
    if not points:
        return "No data."
    latest = points[-1]
    if not latest.judged:
        return ("Not enough variation to chart: the values barely vary, or only in steps as large as their usual "
                "variation, so process limits would call ordinary periods special; no signal is claimed either way.")
    if not latest.special_cause:
        return "Common cause variation: the latest value is within what this process predictably produces."
    kind = latest.point_type.removeprefix("special_cause_").replace("_", " ")
    parts = []
    if latest.outside_limits:
        parts.append(f"the latest value is {'above the upper' if latest.direction == 'high' else 'below the lower'} "
                     "process limit")
    segment = [p for p in points if p.segment == latest.segment]
    if latest.shift:
        run = _run_back([_side(p.value, p.mean) for p in segment])
        parts.append(f"{run} {unit} in a row {'above' if latest.value > latest.mean else 'below'} the mean")
    if latest.trend:
        run = 1 + _run_back([_side(b.value, a.value) for a, b in pairwise(segment)])
        parts.append(f"{run} {unit} in a row {'rising' if latest.direction == 'high' else 'falling'}")
    if latest.two_in_three:
        parts.append("2 of the last 3 points beyond the near limit on the same side")
    return f"Special cause {kind}: {'; '.join(parts)}."
