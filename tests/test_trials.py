"""A check-plan-do trial with a known step change: the chart is rebased at its start and the outcome says the
new design shows a signal. The series is written by hand into a small warehouse."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from sources.sample import add_months, month_end
from tests.conftest import every_period_complete
from warehouse.catalogue import catalogue
from warehouse.spc_marts import build_measure_spc
from warehouse.trials import build_trial_outcomes, judge_trial

START = dt.date(2024, 1, 1)
BEFORE = [66, 70] * 6   # mean 68, every moving range 4: limits 68 ± 10.64, near limits 68 ± 7.09
AFTER = [76, 80] * 6    # the redesign lifts first-contact resolution by 10 points


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA core")
    con.execute("""CREATE TABLE marts.measure_values (measure_id VARCHAR, period_start DATE, period_end DATE,
                   area_type VARCHAR, area_code VARCHAR, value DOUBLE)""")
    months = [add_months(START, i) for i in range(24)]
    con.executemany("INSERT INTO marts.measure_values VALUES ('resolved_first_contact_pct', ?, ?, 'district', "
                    "'E07000234', ?)", [(m, month_end(m), v) for m, v in zip(months, BEFORE + AFTER, strict=True)])
    con.execute("""CREATE TABLE core.trials AS SELECT 'CPD-9' AS trial_id, 'Customer Services' AS service,
                   DATE '2025-01-15' AS start_date, 'Advisers own the whole query' AS description,
                   'resolved_first_contact_pct' AS measure_id, 'Head of Customer Services' AS lead_officer""")
    every_period_complete(con)
    return con


def test_the_chart_is_rebased_at_the_trial_start(con):
    build_measure_spc(con, catalogue())
    segments = con.execute("""SELECT segment, min(period_start), count(*), any_value(mean), any_value(segment_reason),
                                     count(*) FILTER (WHERE special_cause)
                              FROM marts.measure_spc WHERE measure_id = 'resolved_first_contact_pct'
                              GROUP BY segment ORDER BY segment""").fetchall()
    # The trial starts on 15 January 2025, so January 2025 is the first month of the new design.
    assert segments == [(1, dt.date(2024, 1, 1), 12, 68.0, "first point", 0),
                        (2, dt.date(2025, 1, 1), 12, 78.0, "trial CPD-9: Advisers own the whole query", 0)]


def test_the_step_change_is_a_signal_of_improvement(con):
    build_trial_outcomes(con, catalogue())
    (row,) = con.execute("""SELECT verdict, points_before, mean_before, upper_limit_before, points_after, mean_after,
                                   improvement_points_after, concern_points_after, special_causes_since_rebase,
                                   summary
                            FROM marts.trial_outcomes""").fetchall()
    verdict, before, mean_before, upl, after, mean_after, good, bad, since, summary = row
    assert (verdict, before, after, mean_before, mean_after) == ("improvement", 12, 12, 68.0, 78.0)
    assert upl == pytest.approx(78.64)
    # Against the old limits every new point is special cause: twelve in a row above the old mean.
    assert (good, bad, since) == (12, 0, 0)
    assert summary == ("The new design shows a signal of improvement: 12 of 12 points since the start are special "
                       "cause improvement against the limits of the system before it (mean 68.0% before, 78.0% "
                       "since).")


def test_verdicts_in_words():
    # The same step on a measure where lower is better is a concern.
    assert judge_trial(BEFORE, AFTER, "down").verdict == "concern"
    # Six points after: no point beyond the old limits, no run of seven, the near limit (75.09) crossed by
    # only one point in each three: no signal yet.
    quiet = judge_trial(BEFORE, [70, 76, 70, 66, 70, 66], "up")
    assert quiet.verdict == "no_signal"
    assert quiet.summary.startswith("No signal yet: all 6 points since the start are within the variation")
    assert judge_trial(BEFORE, [], "up").verdict == "too_early"


def test_a_chart_whose_series_lost_its_latest_point_fails_accurate(con):
    from quality.mart_checks import judge_mart

    build_measure_spc(con, catalogue())
    assert judge_mart(con, "marts.measure_spc", "policy").status == "pass"
    con.execute("UPDATE marts.measure_spc SET is_latest = false")
    broken = judge_mart(con, "marts.measure_spc", "policy")
    assert broken.status == "fail" and broken.rows_failed == 1
    assert broken.problems == ["1 row(s): a series without exactly one latest point."]


def test_a_later_change_ends_the_trial_window(con):
    # A second trial from July 2025 on the same measure: the first is judged on January to June 2025 only,
    # the second against January to June as its "before".
    con.execute("""INSERT INTO core.trials VALUES ('CPD-10', 'Customer Services', DATE '2025-07-01',
                   'Call-backs booked at first contact', 'resolved_first_contact_pct', 'Head of Customer Services')""")
    build_trial_outcomes(con, catalogue())
    assert con.execute("""SELECT trial_id, points_before, points_after, mean_before, mean_after
                          FROM marts.trial_outcomes ORDER BY trial_id""").fetchall() == [
        ("CPD-10", 6, 6, 78.0, 78.0), ("CPD-9", 12, 6, 68.0, 78.0)]


def test_a_trial_against_a_system_too_chunky_for_limits_claims_no_signal_either_way():
    # Before: 2 days in ten months, 3 in two: moving ranges four of 1 and seven of 0, mR̄ 4/11 = 0.364 (none
    # screened: 1 < 3.267 x 0.364 = 1.19), and 1.19 < 3 steps of 1: chunky. After: 1 day every month, which
    # limits of 26/12 ± 2.66 x 0.364 (lower 1.20) would have called "improvement" twelve times over.
    outcome = judge_trial([2, 2, 3, 2, 2, 2, 2, 3, 2, 2, 2, 2], [1] * 12, "down", unit=" days")
    assert outcome.verdict == "too_little_variation" and outcome.improvement_points == 0
    assert outcome.summary.startswith("The system before the trial varies too little for process limits, so no "
                                      "SPC signal can be judged against it; 0 of 12 points since the start are "
                                      "above every value before it and 12 below")
    assert "mean 2.2 days before, 1.0 days since" in outcome.summary


def test_the_chart_names_the_trial_where_its_limits_restart_and_the_view_gives_its_verdict(con):
    import base64

    from outputs.views import measure_view

    con.execute("""CREATE TABLE core.measure_commentary (measure_id VARCHAR, period_start DATE, commentary VARCHAR,
                       commentary_by VARCHAR, commentary_date DATE, signed_off_by VARCHAR, signed_off_date DATE,
                       sign_off_covers_commentary BOOLEAN);
                   CREATE TABLE marts.quality_scorecard (measure_id VARCHAR, criterion VARCHAR, status VARCHAR,
                       reason VARCHAR, is_latest BOOLEAN)""")
    measure = catalogue().measures["resolved_first_contact_pct"]
    view = measure_view(con, catalogue(), measure)
    # The trial started on 15 January 2025: January 2025 is the first month of the new design.
    assert "Limits restart in January 2025: Trial CPD-9: Advisers own the whole query." in view.chart_alt
    svg = base64.b64decode(view.chart_uri.split(",", 1)[1]).decode()
    assert "Trial CPD-9" in svg  # the line's label (the title is the measure's)
    (trial,) = view.trials
    assert (trial["id"], trial["verdict"]) == ("CPD-9", "improvement")
    assert trial["summary"].startswith("The new design shows a signal of improvement: 12 of 12 points")
    # A report for a period before the trial started shows neither the line nor the trial.
    before = measure_view(con, catalogue(), measure, until=dt.date(2024, 12, 31))
    assert before.trials == [] and "Limits restart" not in before.chart_alt
    # The report prints the trial and its verdict beside the measure's chart.
    from outputs.reports import Report, render_report
    from warehouse.reporting_periods import REPORT_KINDS, period_starting

    period = period_starting(REPORT_KINDS["cabinet"], dt.date(2025, 12, 1))
    html = render_report(Report("Cabinet: test", period, [], [view], dt.datetime(2026, 1, 5), False, "Cabinet"))
    assert ("<strong>Trial CPD-9</strong> (from January 2025: Advisers own the whole query): The new design shows a "
            "signal of improvement") in html
