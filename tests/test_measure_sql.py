"""A measure's sums do not depend on the order they are added in: a night and a full rebuild over the same rows
give the same bits (bench/same_twice.py compares two builds bit for bit; bench/speed.py --verify a night with a
rebuild, to 9 decimal places)."""

from __future__ import annotations

import dataclasses
import math

import duckdb

from warehouse.catalogue import catalogue
from warehouse.measure_sql import compile_measure


def _district_rows(observations: str) -> list[tuple]:
    """(numerator, denominator, value) of a ratio measure (scale 1, district only) over `observations`, VALUES
    rows of (event_date, numerator, denominator)."""
    measure = dataclasses.replace(catalogue().measures["sickness_days_per_fte"], breakdowns=("district",), scale=1,
                                  sql="SELECT event_date, numerator, denominator FROM observations")
    with duckdb.connect() as con:
        con.execute("SET VARIABLE district_code = 'E07000234'")
        con.execute("CREATE SCHEMA core")
        con.execute("CREATE TABLE core.population (area_type VARCHAR, area_code VARCHAR, usual_residents BIGINT)")
        con.execute(f"""CREATE TABLE observations AS SELECT event_date::DATE AS event_date,
                        numerator::DOUBLE AS numerator, denominator::DOUBLE AS denominator
                        FROM (VALUES {observations}) t(event_date, numerator, denominator)""")
        return con.execute(f"SELECT numerator, denominator, value FROM ({compile_measure(measure)})").fetchall()


def test_a_ratios_sums_are_exact_so_no_order_of_addition_changes_them():
    # Two observations in October 2026: 0.1 and 0.2 days over 1 and 1 FTE. By hand: (0.1 + 0.2) / (1 + 1) =
    # 0.3 / 2 = 0.15. Added as doubles, 0.1 + 0.2 is 0.30000000000000004 (and 0.2 + 0.1 on another thread's
    # schedule need not round the same way in a longer sum): the value would be 0.15000000000000002.
    rows = _district_rows("('2026-10-05', 0.1, 1.0), ('2026-10-19', 0.2, 1.0)")
    assert rows == [(0.3, 2.0, 0.15)]


def test_a_value_no_decimal_holds_still_reaches_the_checks_instead_of_failing_the_step():
    # A NaN or infinite observation (a CSV may hold "NaN") makes the period's sum NaN or infinite, as a DOUBLE sum
    # would, for the `accurate` check to name ("not a number"); it is neither an error nor silently left out.
    ((numerator, denominator, value),) = _district_rows("('2026-10-05', 'nan'::DOUBLE, 1.0), ('2026-10-19', 0.2, 1.0)")
    assert math.isnan(numerator) and denominator == 2.0 and math.isnan(value)
    ((numerator, _, value),) = _district_rows("('2026-10-05', 'inf'::DOUBLE, 1.0), ('2026-10-19', 0.2, 1.0)")
    assert numerator == math.inf and value == math.inf
    # 10^25 cannot be a DECIMAL(38, 18): summed as doubles, not dropped (1e25 + 0.5 rounds to 1e25).
    ((numerator, _, _),) = _district_rows("('2026-10-05', 1e25::DOUBLE, 1.0), ('2026-10-19', 0.5, 1.0)")
    assert numerator == 1e25


def test_a_small_fte_keeps_its_precision():
    # One person, 0.1 days lost, in a team-month of 0.5 hours of a 37.5-hour week: FTE 0.5 / 37.5 = 1/75. By hand,
    # 0.1 / (1/75) = 7.5. Rounded to 10 places the FTE (0.0133333333) would give 7.50000001875, off by 2.5e-9
    # relative: more than quality/verify.py's tolerance (1e-9), so `verifiable` would hold the measure back.
    ((_, _, value),) = _district_rows(f"('2026-10-05', 0.1, {1 / 75!r})")
    assert abs(value - 7.5) <= 1e-14 * 7.5
