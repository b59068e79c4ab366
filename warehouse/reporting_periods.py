"""Reporting periods for Members (seed section 8): Cabinet is reported bi-monthly and Overview & Scrutiny
quarterly, both counted from the start of the financial year in April.

A period is named by its first month: Cabinet's are April, June, August, October, December and February;
O&S's are April (quarter 1), July, October and January.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FINANCIAL_YEAR_START_MONTH = 4


@dataclass(frozen=True)
class ReportKind:
    id: str
    title: str        # for the report's heading
    audience: str     # who it is for, in a sentence
    months: int       # period length


REPORT_KINDS = {
    "cabinet": ReportKind("cabinet", "Cabinet performance report", "Cabinet (bi-monthly)", 2),
    "scrutiny": ReportKind("scrutiny", "Overview and Scrutiny performance report",
                           "the Overview and Scrutiny Board (quarterly)", 3),
}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of each month from `first`'s month to `last`'s, both included (none if `last` is earlier)."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def is_period_start(kind: ReportKind, month: dt.date) -> bool:
    return month.day == 1 and (month.month - FINANCIAL_YEAR_START_MONTH) % kind.months == 0


@dataclass(frozen=True)
class ReportingPeriod:
    kind: ReportKind
    start: dt.date  # first day of the first month
    end: dt.date    # last day of the last month

    @property
    def key(self) -> str:
        """Used in folder and file names: e.g. 2026-08 (the first month)."""
        return f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        """E.g. 'August to September 2026', or 'Quarter 2 2026/27: July to September 2026'."""
        first, last = self.start, month_start(self.end)
        span = (f"{first:%B} to {last:%B %Y}" if first.year == last.year
                else f"{first:%B %Y} to {last:%B %Y}")
        if self.kind.months != 3:
            return span
        year = first.year if first.month >= FINANCIAL_YEAR_START_MONTH else first.year - 1
        quarter = (first.month - FINANCIAL_YEAR_START_MONTH) % 12 // 3 + 1
        return f"Quarter {quarter} {year}/{(year + 1) % 100:02d}: {span}"


def period_starting(kind: ReportKind, start: dt.date) -> ReportingPeriod:
    """The period that starts in `start`'s month; ValueError if no period of this kind starts then."""
    first = month_start(start)
    if not is_period_start(kind, first):
        starts = ", ".join(dt.date(2000, m, 1).strftime("%B") for m in sorted(
            (FINANCIAL_YEAR_START_MONTH - 1 + k * kind.months) % 12 + 1 for k in range(12 // kind.months)))
        raise ValueError(f"{first:%Y-%m} does not start a {kind.title} period (they start in {starts})")
    return ReportingPeriod(kind, first, add_months(first, kind.months) - dt.timedelta(days=1))


def period_containing(kind: ReportKind, day: dt.date) -> ReportingPeriod:
    first = month_start(day)
    while not is_period_start(kind, first):
        first = add_months(first, -1)
    return period_starting(kind, first)


def latest_ended_period(kind: ReportKind, as_of: dt.date) -> ReportingPeriod:
    """The latest period wholly before `as_of`'s month: the one the next report is about."""
    last_complete_day = month_start(as_of) - dt.timedelta(days=1)
    period = period_containing(kind, last_complete_day)
    return period if period.end <= last_complete_day else period_containing(kind, period.start - dt.timedelta(days=1))
