"""The `accurate` check's rules one at a time, each on both sides of its edge, on a measure table made by hand
(no night is run): what a user relies on is that an impossible value holds its measure back, and a possible one
on the edge does not."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from quality import measure_checks
from warehouse.catalogue import catalogue

AS_OF = dt.date(2026, 11, 1)  # a night on the 1st: its own month has begun, the next has not
PERCENT, COUNT = "failure_demand_pct", "contacts_received"


def _judge(measure_id: str, rows: list[tuple]) -> tuple[str, list[str]]:
    """(status, problems) of `accurate` over rows of (period_start, value, numerator, denominator)."""
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA measures")
        con.execute(f"""CREATE TABLE measures.{measure_id} (period_start DATE, area_type VARCHAR, area_code VARCHAR,
                        value DOUBLE, numerator DOUBLE, denominator DOUBLE)""")
        con.executemany(f"INSERT INTO measures.{measure_id} VALUES (?::DATE, 'district', 'E07000234', ?, ?, ?)",
                        rows)
        outcome = measure_checks.accurate(con, catalogue().measures[measure_id], AS_OF)
    problems = sorted(s["problem"] for s in outcome.sample)
    assert outcome.rows_failed == len(problems)  # every row named (a few rows: all are in the sample)
    return outcome.status, problems


@pytest.mark.parametrize(("measure", "row", "problem"), [
    (PERCENT, ("2026-10-01", 100.0, 4, 4), None),                       # 100 % is possible
    (PERCENT, ("2026-10-01", 100.5, 201, 200), "above 100.0"),
    (PERCENT, ("2026-10-01", 0.0, 0, 4), None),
    (PERCENT, ("2026-10-01", -0.5, 0, 4), "below 0"),
    (PERCENT, ("2026-10-01", 80.0, 5, 4), "numerator above denominator"),  # 80 % in range, but 5 of 4
    (PERCENT, ("2026-10-01", 80.0, 4, 5), None),
    (PERCENT, ("2026-10-01", float("nan"), 1, 0), "not a number"),
    (COUNT, ("2026-10-01", float("inf"), float("inf"), None), "not a number"),
    (COUNT, ("2026-10-01", 0.0, 0, None), None),
    (COUNT, ("2026-10-01", -1.0, -1, None), "below 0"),
    (COUNT, ("2026-11-01", 3.0, 3, None), None),                        # the night's own month is not future
    (COUNT, ("2026-12-01", 3.0, 3, None), "period in the future"),      # the month after the night's
])
def test_each_rule_on_both_sides_of_its_edge(measure: str, row: tuple, problem: str | None):
    status, problems = _judge(measure, [row])
    assert (status, problems) == (("pass", []) if problem is None else ("fail", [problem]))


def test_a_negative_numerator_is_named_where_the_value_is_allowed_below_zero():
    # A count's negative numerator behind a value the range allows (a change measure may go below 0).
    status, problems = _judge(COUNT, [("2026-10-01", 0.0, -1, None)])
    assert (status, problems) == ("fail", ["negative count"])


def test_every_impossible_row_is_counted():
    status, problems = _judge(PERCENT, [("2026-09-01", 150.0, 3, 2), ("2026-10-01", 50.0, 1, 2),
                                        ("2026-10-01", 80.0, 5, 4)])
    assert status == "fail" and problems == ["above 100.0", "numerator above denominator"]
