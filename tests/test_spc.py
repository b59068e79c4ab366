"""The XmR chart and Making Data Count rules, one hand-worked case per rule (arithmetic in the comments)."""

import pytest

from warehouse.spc import assurance_icon, describe, screened_mean_moving_range, xmr

ALTERNATING = [8, 12] * 6  # mean 10; every moving range 4; limits 10 ± 2.66 x 4 = -0.64 .. 20.64


def flagged(points, rule: str) -> list[int]:
    return [i for i, p in enumerate(points) if getattr(p, rule)]


def test_limits_and_near_limits_of_a_stable_process():
    points = xmr(ALTERNATING)
    p = points[0]
    assert p.mean == pytest.approx(10)
    assert (p.lower_limit, p.upper_limit) == (pytest.approx(-0.64), pytest.approx(20.64))
    # near limits: 10 ± (2/3) x 10.64 = 10 ± 7.0933
    assert (p.lower_near_limit, p.upper_near_limit) == (pytest.approx(2.906667), pytest.approx(17.093333))
    assert points[0].moving_range is None and points[1].moving_range == 4
    assert all(not q.special_cause for q in points) and points[-1].variation_icon == "common_cause"


def test_a_point_outside_the_limits_is_special_cause_and_sets_the_icon():
    # [8, 12] x 6 then 30: mean 150/13 = 11.538; moving ranges 4 (x11) and 18, mean 62/12 = 5.167;
    # 18 >= 3.267 x 5.167 = 16.88 is screened out, so mR̄ = 4 and the upper limit is 11.538 + 10.64 = 22.18.
    points = xmr([*ALTERNATING, 30], improvement="up")
    assert points[-1].upper_limit == pytest.approx(150 / 13 + 10.64)
    assert flagged(points, "outside_limits") == [12]
    assert points[-1].point_type == "special_cause_improvement"
    assert points[-1].variation_icon == "improvement_high"
    assert xmr([*ALTERNATING, 30], improvement="down")[-1].variation_icon == "concern_high"
    assert xmr([*ALTERNATING, 30], improvement="neutral")[-1].variation_icon == "neutral_high"
    assert describe(points) == "Special cause improvement: the latest value is above the upper process limit."


def test_moving_range_screening_changes_the_limits():
    values = [10, 12, 10, 12, 10, 40, 10, 12, 10, 12]
    # moving ranges 2,2,2,2,30,30,2,2,2: mean 74/9 = 8.222; 30 >= 3.267 x 8.222 = 26.86, so both 30s go
    # and mR̄ = 2 (not 8.222). Mean 138/10 = 13.8: limits 13.8 ± 5.32, lower near limit 13.8 - 3.5467 = 10.253.
    assert screened_mean_moving_range(values) == pytest.approx(2)
    points = xmr(values)
    assert (points[0].lower_limit, points[0].upper_limit) == (pytest.approx(8.48), pytest.approx(19.12))
    assert flagged(points, "outside_limits") == [5]
    # With the screened limits every 10 is below the lower near limit, two of three at a time; unscreened
    # (mR̄ 8.222: near limit 13.8 - 14.58 < 0) nothing would be.
    assert flagged(points, "two_in_three") == [0, 2, 4, 6, 8]


def test_seven_points_on_one_side_is_a_shift_and_a_point_on_the_mean_breaks_it():
    # 16 points summing to 160: mean exactly 10. Six above, one on the mean, six above, three far below.
    broken = [13, 11, 13, 11, 13, 11, 10, 13, 11, 13, 11, 13, 11, 2, 2, 2]
    assert xmr(broken)[0].mean == 10
    assert flagged(xmr(broken), "shift") == []
    # The same with 12 instead of 10 (mean 162/16 = 10.125): thirteen points in a row above the mean.
    unbroken = [*broken[:6], 12, *broken[7:]]
    assert flagged(xmr(unbroken), "shift") == list(range(13))


def test_seven_falling_points_are_a_trend_whose_direction_decides_improvement_or_concern():
    values = [9, 13, 9, 13, 9, 13, 12.5, 12, 11.5, 11, 10.5, 10, 13, 9]
    # 13 -> 10 at indexes 5..11 falls six times in a row: seven points. Mean 155.5/14 = 11.107, mR̄ 30/13,
    # limits 11.107 ± 6.14, near limits ± 4.09: no other rule fires.
    down = xmr(values, improvement="down")
    assert flagged(down, "trend") == list(range(5, 12))
    assert flagged(down, "shift") == flagged(down, "outside_limits") == flagged(down, "two_in_three") == []
    # Indexes 5..8 lie above the mean, but a trend's points are judged by the trend's direction: falling.
    assert {down[i].point_type for i in range(5, 12)} == {"special_cause_improvement"}
    up = xmr(values, improvement="up")
    assert {up[i].point_type for i in range(5, 12)} == {"special_cause_concern"}
    assert up[5].variation_icon == "concern_low"
    # A repeated value breaks a trend: 12, 12 instead of 12.5, 12 leaves only five falling steps.
    assert flagged(xmr([*values[:6], 12, *values[7:]]), "trend") == []


def test_two_of_three_beyond_the_near_limit_against_a_fixed_baseline():
    # Baseline: the first 12 points (mean 10, upper near limit 17.093). 18, 9, 18: two of three beyond it.
    points = xmr([*ALTERNATING, 18, 9, 18], improvement="up", baseline_points=12)
    assert points[-1].mean == 10 and points[-1].upper_limit == pytest.approx(20.64)
    assert flagged(points, "two_in_three") == [12, 14]
    assert points[13].point_type == "common_cause" and points[14].point_type == "special_cause_improvement"
    # Unfixed, the mean is 165/15 = 11 and mR̄ 68/14 = 4.857: the near limit moves out to 19.61, no signal.
    assert flagged(xmr([*ALTERNATING, 18, 9, 18]), "two_in_three") == []


def test_a_rebase_starts_new_limits_at_a_system_change():
    values = [*ALTERNATING, *([18, 22] * 6)]
    one = xmr(values)  # mean 15: twelve points below it, then twelve above
    assert flagged(one, "shift") == list(range(24))
    rebased = xmr(values, segment_starts=[12])
    assert [p.segment for p in rebased] == [1] * 12 + [2] * 12
    assert rebased[0].mean == 10 and rebased[12].mean == 20
    assert rebased[12].moving_range is None  # a moving range never crosses a rebase
    assert rebased[12].upper_limit == pytest.approx(30.64)
    assert not any(p.special_cause for p in rebased)


def test_assurance_icon_from_the_latest_limits():
    points = xmr(ALTERNATING)  # limits -0.64 .. 20.64
    assert assurance_icon(points, 25, "up") == "consistently_fail"
    assert assurance_icon(points, 25, "down") == "consistently_pass"
    assert assurance_icon(points, -5, "up") == "consistently_pass"
    assert assurance_icon(points, -5, "down") == "consistently_fail"
    assert assurance_icon(points, 10, "up") == "hit_and_miss"
    assert assurance_icon(points, None, "up") is None and assurance_icon(points, 10, "neutral") is None


def test_a_single_point_has_no_limits():
    (point,) = xmr([5])
    assert point.upper_limit is None and not point.special_cause


def test_describe_counts_the_run_that_makes_the_latest_point_special():
    # 10 11 9 10 11 9 10 then 12 13 12 14 13 12 13 14 13: mean 186 / 16 = 11.625, and the last 9 points are all
    # above it. Moving ranges sum to 19 over 15 (mR̄ 1.267): limits 8.26 to 14.99, near limits 9.38 and 13.87
    # (14 and 9 are each alone beyond them in any 3), no 7-point trend. Lower is better, so above is a concern.
    values = [10, 11, 9, 10, 11, 9, 10, 12, 13, 12, 14, 13, 12, 13, 14, 13]
    assert describe(xmr(values, "down"), "months") == "Special cause concern: 9 months in a row above the mean."
    # A steady rise: 9 10 11 ... 17 after seven points around 10 is 9 points rising (and the last is outside).
    rising = [10, 11, 9, 10, 11, 9, 10, 11, 12, 13, 14, 15, 16, 17]
    assert "9 months in a row rising" in describe(xmr(rising, "up"), "months")
