"""The XmR chart and Making Data Count rules, one hand-worked case per rule (arithmetic in the comments)."""

import pytest

from tests.conftest import every_period_complete
from warehouse.spc import (
    NOT_ENOUGH_VARIATION,
    SCREENED,
    _side,
    assurance_icon,
    describe,
    screened_mean_moving_range,
    segment_limits_basis,
    xmr,
)

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


def test_a_shift_is_exactly_seven_points_on_one_side_and_six_are_not_enough():
    # Both series sum to 140 over 14 points: mean exactly 10.
    # Seven above (11 13 12 11 13 12 11 = 83), then seven below (9 7 8 9 7 8 9 = 57): two shifts.
    seven = [11, 13, 12, 11, 13, 12, 11, 9, 7, 8, 9, 7, 8, 9]
    assert xmr(seven)[0].mean == 10 and flagged(xmr(seven), "shift") == list(range(14))
    # Six above (72), six below (48), then 12 and 8: no run reaches seven.
    six = [11, 13, 12, 11, 13, 12, 9, 7, 8, 9, 7, 8, 12, 8]
    assert xmr(six)[0].mean == 10 and flagged(xmr(six), "shift") == []


def test_seven_falling_points_are_a_trend_whose_direction_decides_improvement_or_concern():
    values = [9, 13, 9, 13, 9, 13, 12.5, 12, 11.5, 11, 10.5, 10, 13, 9]
    # 13 -> 10 at indexes 5..11 falls six times in a row: seven points. Mean 155.5/14 = 11.107, mR̄ 30/13,
    # limits 11.107 ± 6.14, near limits ± 4.09: no other rule fires.
    down = xmr(values, improvement="down")
    assert flagged(down, "trend") == list(range(5, 12))
    assert flagged(down, "shift") == flagged(down, "outside_limits") == flagged(down, "two_in_three") == []
    # Indexes 5..8 lie above the mean, but a trend's points are judged by the trend's direction: falling.
    assert {down[i].point_type for i in range(5, 12)} == {"special_cause_improvement"}
    assert down[5].rules == ["part of 7 or more points falling in a row"]
    up = xmr(values, improvement="up")
    assert {up[i].point_type for i in range(5, 12)} == {"special_cause_concern"}
    assert up[5].variation_icon == "concern_low"
    # A repeated value breaks a trend: 12, 12 instead of 12.5, 12 leaves four falling steps after it.
    assert flagged(xmr([*values[:6], 12, *values[7:]]), "trend") == []
    # Six falling points (13 12 11.5 11 10.5 10: five steps) are not a trend; seven are.
    assert flagged(xmr([*values[:6], *values[7:]]), "trend") == []
    # The mirror image (20 - each value) rises at indexes 5..11 with the same limits about its mean: a rising trend
    # alone, judged high.
    rising = xmr([20 - v for v in values], improvement="up")
    assert flagged(rising, "trend") == list(range(5, 12))
    assert {(rising[i].direction, rising[i].point_type) for i in range(5, 12)} == {
        ("high", "special_cause_improvement")}
    assert rising[5].rules == ["part of 7 or more points rising in a row"]


def test_an_unknown_improvement_direction_is_refused_by_name():
    with pytest.raises(ValueError, match="^improvement must be up, down or neutral, not 'sideways'$"):
        xmr([1, 2, 3], improvement="sideways")


def test_two_of_three_beyond_the_near_limit_against_a_fixed_baseline():
    # Baseline: the first 12 points (mean 10, upper near limit 17.093). 18, 9, 18: two of three beyond it.
    points = xmr([*ALTERNATING, 18, 9, 18], improvement="up", baseline_points=12)
    assert points[-1].mean == 10 and points[-1].upper_limit == pytest.approx(20.64)
    assert flagged(points, "two_in_three") == [12, 14]
    assert points[13].point_type == "common_cause" and points[14].point_type == "special_cause_improvement"
    assert describe(points) == ("Special cause improvement: 2 of the last 3 points beyond the near limit on the same "
                                "side.")
    assert points[14].rules == ["2 of 3 points beyond the near limit"]
    # Unfixed, the mean is 165/15 = 11 and mR̄ 68/14 = 4.857: the near limit moves out to 19.61, no signal.
    assert flagged(xmr([*ALTERNATING, 18, 9, 18]), "two_in_three") == []


def test_a_rebase_starts_new_limits_at_a_system_change():
    values = [*ALTERNATING, *([18, 22] * 6)]
    one = xmr(values)  # mean 15: twelve points below it, then twelve above
    assert flagged(one, "shift") == list(range(24))
    assert "part of a run of 7 or more points below the mean" in one[0].rules
    assert "part of a run of 7 or more points above the mean" in one[12].rules
    rebased = xmr(values, segment_starts=[12])
    assert [p.segment for p in rebased] == [1] * 12 + [2] * 12
    assert rebased[0].mean == 10 and rebased[12].mean == 20
    assert rebased[12].moving_range is None  # a moving range never crosses a rebase
    assert rebased[12].upper_limit == pytest.approx(30.64)
    assert not any(p.special_cause for p in rebased)
    assert describe(rebased) == ("Common cause variation: the latest value is within what this process "
                                 "predictably produces.")
    # The icon reads the latest segment's limits (9.36 to 30.64), not the first's (-0.64 to 20.64): a target of 5
    # lies below them, so a measure where up is better consistently passes it.
    assert assurance_icon(rebased, 5, "up") == "consistently_pass"


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
    assert describe(xmr(values, "down")) == "Special cause concern: 9 points in a row above the mean."  # unnamed
    # A steady rise: 9 10 11 ... 17 after seven points around 10 is 9 points rising (and the last is outside).
    rising = [10, 11, 9, 10, 11, 9, 10, 11, 12, 13, 14, 15, 16, 17]
    # Mean 168 / 14 = 12, mR̄ 15 / 13 = 1.154: upper limit 15.07, upper near limit 14.05 (15, 16, 17 beyond it).
    assert describe(xmr(rising, "up"), "months") == (
        "Special cause improvement: the latest value is above the upper process limit; 9 months in a row rising; "
        "2 of the last 3 points beyond the near limit on the same side.")


# The bundled sample's fly-tipping clearance (council-wide median days, 37 months to November 2026): whole or half
# days, 2 in most months.
FLY_TIPPING = [2, 2, 2, 2, 2, 2, 1.5, 2, 2, 2, 1.5, 1, 2, 2, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2,
               2, 2, 2, 2, 3]


def test_a_series_that_is_mostly_one_whole_number_is_not_charted_against_collapsed_limits():
    # Moving ranges: four of 0.5, six of 1, the other 26 are 0: mean 8/36 = 0.222. Screening drops every 1
    # (>= 3.267 x 0.222 = 0.726), leaving mR̄ = 2/30 = 0.0667: limits 71/37 = 1.919 ± 0.177, so every 2 sat
    # above the mean and 26 of 37 months were "special cause" (as the sample's chart said before). The smallest
    # step is 0.5, and 3.267 x 0.0667 = 0.218 < 3 x 0.5: the moving ranges have one possible value (0) below
    # their upper limit, so the data are chunky.
    assert screened_mean_moving_range(FLY_TIPPING) == pytest.approx(2 / 30)
    assert segment_limits_basis(FLY_TIPPING) == (None, NOT_ENOUGH_VARIATION)
    points = xmr(FLY_TIPPING, improvement="down", bounds=(0, None))
    assert all(p.upper_limit is None and p.lower_limit is None for p in points)
    assert not any(p.special_cause or p.judged for p in points)
    assert points[-1].mean == pytest.approx(71 / 37)
    assert describe(points, "months").startswith("Not enough variation to chart")
    assert assurance_icon(points, 2, "down") is None


def test_the_chunky_rule_on_both_sides_of_three_possible_moving_ranges():
    # 1, 2 alternating, then a repeat: 11 ranges of 1 and one of 0, mR̄ 11/12; 3.267 x 11/12 = 2.995 < 3 steps.
    assert segment_limits_basis([1, 2] * 6 + [2])[1] == NOT_ENOUGH_VARIATION
    # One more alternation: 12 ranges of 1 and one of 0, mR̄ 12/13; 3.267 x 12/13 = 3.016 >= 3: charted.
    # Mean 20/14 = 1.4286; limits 1.4286 ± 2.66 x 12/13 = ± 2.4554: 3.884 and -1.027, clamped to 0 for a count.
    points = xmr([1, 2] * 6 + [1, 1], bounds=(0, None))
    assert points[0].limits_method == SCREENED and points[0].judged
    assert points[0].upper_limit == pytest.approx(20 / 14 + 2.66 * 12 / 13)
    assert points[0].lower_limit == 0 and points[0].lower_near_limit == 0  # -0.208 clamped too
    assert segment_limits_basis([4, 4, 4, 4])[1] == NOT_ENOUGH_VARIATION  # no variation at all


def test_limits_are_clamped_to_the_values_a_percentage_can_take():
    # Mean 785/8 = 98.125; moving ranges 4,2,2,6,6,3,3: mR̄ 26/7 = 3.714, none screened (12.13), smallest step 2
    # (3.267 x 3.714 = 12.1 >= 6). Limits 98.125 ± 9.88: 108.005 clamped to 100, and 88.245; near limits
    # 104.71 clamped to 100, and 91.54. A value of 100 is not above a limit of 100.
    values = [96, 100, 98, 100, 94, 100, 97, 100]
    free = xmr(values, improvement="up")
    assert free[0].upper_limit == pytest.approx(98.125 + 2.66 * 26 / 7)
    points = xmr(values, improvement="up", bounds=(0, 100))
    assert (points[0].lower_limit, points[0].upper_limit) == (pytest.approx(98.125 - 2.66 * 26 / 7), 100)
    assert (points[0].lower_near_limit, points[0].upper_near_limit) == (pytest.approx(91.538333), 100)
    assert [p.point_type for p in points] == [p.point_type for p in free]  # clamping changes no verdict


def test_a_measures_limits_are_clamped_to_the_range_its_catalogue_unit_allows():
    import datetime as dt

    import duckdb

    from warehouse.catalogue import catalogue
    from warehouse.spc_marts import measure_series

    measure = catalogue().measures["planning_major_in_time_pct"]  # a percentage: 0 to 100
    values = [96, 100, 98, 100, 94, 100, 97, 100]  # the worked case above: an upper limit of 108.005 unclamped
    with duckdb.connect() as con:
        con.execute("""CREATE SCHEMA marts; CREATE SCHEMA core;
                       CREATE TABLE core.trials (trial_id VARCHAR, start_date DATE, description VARCHAR,
                                                 measure_id VARCHAR);
                       CREATE TABLE marts.measure_values (measure_id VARCHAR, area_type VARCHAR, area_code VARCHAR,
                                                          period_start DATE, period_end DATE, value DOUBLE)""")
        for month, value in enumerate(values, start=1):
            start = dt.date(2026, month, 1)
            con.execute("INSERT INTO marts.measure_values VALUES (?, 'district', 'E07000234', ?, ?, ?)",
                        [measure.id, start, dt.date(2026, month + 1, 1) - dt.timedelta(days=1), value])
        every_period_complete(con)
        (series,) = measure_series(con, measure)
    assert series.chart()[0].upper_limit == 100 and series.chart()[0].upper_near_limit == 100


def test_one_large_spike_in_a_whole_number_series_is_still_flagged():
    # Fourteen 2s, three 3s and one 9: moving ranges 0,1,1,0,0,7,7,0,1,1,0,0,0,1,1,0,0 (sum 20 over 17: unscreened
    # mR̄ 1.176, upper range limit 3.84 >= 3 steps of 1, so not chunky). Screening drops both 7s (>= 3.84): mR̄
    # 6/15 = 0.4; mean 46/18 = 2.556, upper limit 2.556 + 1.064 = 3.620: the 9 is outside, the 3s are not.
    values = [2, 2, 3, 2, 2, 2, 9, 2, 2, 3, 2, 2, 2, 2, 3, 2, 2, 2]
    points = xmr(values, "down")
    assert points[0].limits_method == SCREENED
    assert points[0].upper_limit == pytest.approx(46 / 18 + 2.66 * 0.4)
    assert flagged(points, "outside_limits") == [6] and points[6].point_type == "special_cause_concern"


def test_float_noise_is_not_a_step():
    # One value written three ways a float can round it is one value: no variation, not 14 special causes
    # against limits a few 1e-15 wide.
    x = 12.0
    noisy = [x, x + 1e-15, x, x - 1e-15] * 3
    assert segment_limits_basis(noisy)[1] == NOT_ENOUGH_VARIATION
    assert not any(p.special_cause for p in xmr(noisy))


def test_a_point_on_a_process_limit_is_inside_and_one_just_beyond_is_outside():
    # Limits fixed by the first 12 points: -0.64 .. 20.64 (as computed, to the last bit of the float).
    limits = xmr(ALTERNATING)[0]
    low, high = limits.lower_limit, limits.upper_limit
    on = xmr([*ALTERNATING, low, high], baseline_points=12)
    assert flagged(on, "outside_limits") == []
    beyond = xmr([*ALTERNATING, low - 0.01, high + 0.01], baseline_points=12)
    assert flagged(beyond, "outside_limits") == [12, 13]


def test_a_value_within_a_billionth_of_the_mean_is_on_it_relative_to_the_mean_s_size():
    # 1e-9 of a mean of 1,000,000 is 0.001: 0.0001 away is on the mean (float noise, not a side); 0.01 is above.
    assert _side(1_000_000.0001, 1_000_000.0) == 0 and _side(1_000_000.01, 1_000_000.0) == 1
    # Below a mean of 1, the tolerance is 1e-9 itself.
    assert _side(0.5 + 5e-10, 0.5) == 0 and _side(0.5 - 5e-9, 0.5) == -1
