"""`accurate` on a systems-thinking mart (quality/mart_checks.py) on a hand-made mart, no night: every breaking
row of every rule counted, five shown."""

from __future__ import annotations

import duckdb

from quality.mart_checks import judge_mart


def test_every_row_breaking_each_rule_is_counted_and_five_are_shown() -> None:
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA marts")
        # Three wards' series of one point each: its mean (10) above its upper limit (8), and no latest point.
        con.execute("""CREATE TABLE marts.measure_spc AS
                       SELECT 'missed_bins' AS measure_id, 'ward' AS area_type, 'W' || n AS area_code,
                              DATE '2026-10-01' AS period_start, 2.0 AS lower_process_limit, 10.0 AS mean,
                              8.0 AS upper_process_limit, false AS is_latest
                       FROM range(1, 4) r(n)""")
        outcome = judge_mart(con, "marts.measure_spc", "policy@x")
    assert (outcome.status, outcome.rows_failed, outcome.owner) == ("fail", 6, "policy@x")  # 3 + 3
    assert outcome.problems == ["3 row(s): a mean outside its own process limits.",
                                "3 row(s): a series without exactly one latest point."]
    assert len(outcome.sample) == 5  # of the six breaking rows
