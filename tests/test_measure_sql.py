"""A measure's sums do not depend on the order they are added in: a night and a full rebuild over the same rows
give the same bits (bench/speed.py --verify compares them exactly)."""

from __future__ import annotations

import dataclasses

import duckdb

from warehouse.catalogue import catalogue
from warehouse.measure_sql import compile_measure


def test_a_ratios_sums_are_exact_so_no_order_of_addition_changes_them():
    # Two observations in October 2026: 0.1 and 0.2 days over 1 and 1 FTE. By hand: (0.1 + 0.2) / (1 + 1) =
    # 0.3 / 2 = 0.15. Added as doubles, 0.1 + 0.2 is 0.30000000000000004 (and 0.2 + 0.1 on another thread's
    # schedule need not round the same way in a longer sum): the value would be 0.15000000000000002.
    measure = dataclasses.replace(catalogue().measures["sickness_days_per_fte"], breakdowns=("district",), scale=1,
                                  sql="SELECT event_date, numerator, denominator FROM observations")
    with duckdb.connect() as con:
        con.execute("SET VARIABLE district_code = 'E07000234'")
        con.execute("CREATE SCHEMA core")
        con.execute("CREATE TABLE core.population (area_type VARCHAR, area_code VARCHAR, usual_residents BIGINT)")
        con.execute("""CREATE TABLE observations AS SELECT * FROM (VALUES
                       (DATE '2026-10-05', 0.1::DOUBLE, 1.0::DOUBLE), (DATE '2026-10-19', 0.2, 1.0))
                       t(event_date, numerator, denominator)""")
        rows = con.execute(f"SELECT area_type, numerator, denominator, value FROM ({compile_measure(measure)})"
                           ).fetchall()
    assert rows == [("district", 0.3, 2.0, 0.15)]
