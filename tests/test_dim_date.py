"""core.dim_date, the calendar downstream tools join to (warehouse/sql/core/dim_date.sql), on the days its
financial year and quarters turn, no night. The council's year runs April to March: Q1 is April to June."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from warehouse.models import CORE_DIR, sql_models


@pytest.fixture(scope="module")
def calendar() -> dict[dt.date, tuple]:
    with duckdb.connect() as con:
        rows = con.execute(f"""SELECT date, month_start, fy_start_year, financial_year, financial_quarter, day_name,
                                      is_weekend FROM ({sql_models(CORE_DIR)["dim_date"]})""").fetchall()
    return {row[0]: row[1:] for row in rows}


@pytest.mark.parametrize(("day", "expected"), [
    (dt.date(2026, 3, 31), (dt.date(2026, 3, 1), 2025, "2025/26", "Q4", "Tuesday", False)),
    (dt.date(2026, 4, 1), (dt.date(2026, 4, 1), 2026, "2026/27", "Q1", "Wednesday", False)),
    (dt.date(2026, 6, 30), (dt.date(2026, 6, 1), 2026, "2026/27", "Q1", "Tuesday", False)),
    (dt.date(2026, 7, 1), (dt.date(2026, 7, 1), 2026, "2026/27", "Q2", "Wednesday", False)),
    (dt.date(2026, 10, 1), (dt.date(2026, 10, 1), 2026, "2026/27", "Q3", "Thursday", False)),
    (dt.date(2026, 12, 31), (dt.date(2026, 12, 1), 2026, "2026/27", "Q3", "Thursday", False)),
    (dt.date(2027, 1, 1), (dt.date(2027, 1, 1), 2026, "2026/27", "Q4", "Friday", False)),
    (dt.date(2028, 2, 29), (dt.date(2028, 2, 1), 2027, "2027/28", "Q4", "Tuesday", False)),
    (dt.date(2026, 12, 5), (dt.date(2026, 12, 1), 2026, "2026/27", "Q3", "Saturday", True)),
    (dt.date(2026, 12, 6), (dt.date(2026, 12, 1), 2026, "2026/27", "Q3", "Sunday", True)),
    (dt.date(1999, 12, 31), None)])  # before the calendar starts (2010)
def test_the_financial_year_and_quarter_turn_on_1_april(calendar, day, expected) -> None:
    assert calendar.get(day) == expected


def test_every_day_once_from_2010_to_2035(calendar) -> None:
    assert (min(calendar), max(calendar), len(calendar)) == (dt.date(2010, 1, 1), dt.date(2035, 12, 31), 9496)
