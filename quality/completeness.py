"""Which periods are complete: a measure's period may headline only once every source behind it has delivered it.

A monthly source has delivered a month when a file of it that passed its checks (its rows are staged) is for that
month or a later one, and was loaded after the month ended: a file loaded on 3 December covers November at most,
whatever its name says, because December had not ended when it was taken. Each period of each measure is then
- `complete`: every service or partner source the measure is built from has delivered the period's last month;
- `provisional`: a source has still not delivered it, but its due day plus grace days has passed, so the period
  is shown (flagged provisional, naming what is missing) rather than held back for ever;
- `in progress`: a source has not delivered it yet and is not overdue past its grace. Such a period never
  headlines: it is left out of the SPC charts, `is_latest`, the site and the reports.

Reference data (lookups, the Census, the gazetteer) is not a period's data, so it never makes a period incomplete.
Time alone turns `in progress` into `provisional`: `turns_provisional_on` says when, and the night's plan rebuilds
this table (and what reads it) on that night (pipelines/changes.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import duckdb

from quality.holds import reads_source
from quality.lineage import downstream
from sources import CONTRACTS
from sources.contract import SourceContract
from sources.deliveries import DELIVERIES
from sources.reader import PERIOD_IN_NAME
from warehouse.catalogue import catalogue
from warehouse.db import table_exists
from warehouse.models import build_table_from_records
from warehouse.reporting_periods import add_months, month_start

TABLE = "marts.period_completeness"
COLUMNS = {"measure_id": "VARCHAR", "period_start": "DATE", "period_end": "DATE", "period_status": "VARCHAR",
           "period_complete": "BOOLEAN", "provisional": "BOOLEAN", "awaiting": "VARCHAR",
           "turns_provisional_on": "DATE"}
COMPLETE, PROVISIONAL, IN_PROGRESS = "complete", "provisional", "in progress"


def period_sources(contract: SourceContract) -> bool:
    """Whether a source delivers a period's data (a monthly service or partner extract), not reference data."""
    return contract.kind != "reference" and contract.cadence.frequency == "monthly"


@cache
def linked_sources() -> dict[str, tuple[str, ...]]:
    """measure id -> the period sources upstream of it in the lineage graph (before narrowing by data)."""
    reached = {c.name: downstream(f"staging.{c.name}") for c in CONTRACTS.values() if period_sources(c)}
    return {m: tuple(sorted(s for s, tables in reached.items() if f"measures.{m}" in tables))
            for m in catalogue().measures}


def delivered_through(con: duckdb.DuckDBPyConnection) -> dict[str, dt.date]:
    """Per source, the last month it has delivered whole: the latest of min(the month its file is for, the month
    before the night it was loaded) over its staged files (held-back or refused files do not count)."""
    rows = con.execute(f"""
        SELECT f.source, max(least(coalesce(f.delivery_month, covers), covers))
        FROM (SELECT source, file_sha256,
                     try_strptime(regexp_extract(file_name, ?, 1), '%Y-%m')::DATE AS delivery_month,
                     (date_trunc('month', coalesce(loaded_as_of, loaded_at::DATE)) - INTERVAL 1 MONTH)::DATE
                         AS covers
              FROM {DELIVERIES}) f
        WHERE f.file_sha256 IN (SELECT file_sha256 FROM audit.row_conservation WHERE source = f.source)
        GROUP BY f.source""", [PERIOD_IN_NAME.pattern]).fetchall()
    return dict(rows)


def due_date(contract: SourceContract, month: dt.date) -> dt.date:
    """The day `month`'s file of `contract` is due: its due day of the following month."""
    return add_months(month, 1).replace(day=min(contract.cadence.due_day or 1, 28))


@dataclass(frozen=True)
class PeriodStatus:
    status: str
    awaiting: str | None           # what is missing, in words: 'Police street-level crime (due 28 Dec 2026)'
    turns_provisional_on: dt.date | None


def _day(day: dt.date) -> str:
    """'5 January 2027' (no leading zero)."""
    return f"{day.day} {day:%B %Y}"


def undelivered(sources: tuple[str, ...], through: dict[str, dt.date], period_end: dt.date) -> list[str]:
    """The sources that have not delivered the month `period_end` falls in."""
    return [s for s in sources if through.get(s) is None or through[s] < month_start(period_end)]


def judge_period(period_end: dt.date, sources: tuple[str, ...], through: dict[str, dt.date],
                 as_of: dt.date) -> PeriodStatus:
    """The status of one period of a measure built from `sources`, given what each has delivered."""
    last_month = month_start(period_end)
    missing = [CONTRACTS[s] for s in undelivered(sources, through, period_end)]
    if not missing:
        return PeriodStatus(COMPLETE, None, None)
    grace_ends = {c.name: due_date(c, last_month) + dt.timedelta(days=c.grace_days) for c in missing}
    awaiting = "; ".join(f"{c.title} for {last_month:%B %Y} (due {_day(due_date(c, last_month))})" for c in missing)
    if all(as_of > end for end in grace_ends.values()):
        return PeriodStatus(PROVISIONAL, awaiting, None)
    return PeriodStatus(IN_PROGRESS, awaiting, max(grace_ends.values()) + dt.timedelta(days=1))


def measure_period_sources(con: duckdb.DuckDBPyConnection, only: str | None = None) -> dict[str, tuple[str, ...]]:
    """measure id -> the period sources its observations come from: the lineage graph's, less those whose rows
    the measure's SQL does not read (core.fact_cases holds five services' cases; a planning measure reads one)
    and those with nothing staged. Every measure's, or `only` that one's."""
    measures = catalogue().measures
    # A source with nothing staged yet (never delivered, or its first delivery held back) has given the measure no
    # rows: it does not hold the measure's periods back (reads_source cannot narrow it, and would say yes).
    staged = {source for (source,) in con.execute("SELECT DISTINCT source FROM audit.row_conservation").fetchall()}
    return {m: tuple(s for s in sources if s in staged and reads_source(con, measures[m].sql, s))
            for m, sources in linked_sources().items() if only in (None, m)}


def delivered_periods(con: duckdb.DuckDBPyConnection, measure_id: str, period_ends: list[dt.date]) -> list[bool]:
    """For each period end, whether every source behind the measure has delivered that period (complete, not
    merely provisional): a month still being delivered is not judged by its volume."""
    sources = measure_period_sources(con, only=measure_id).get(measure_id, ())
    through = delivered_through(con)
    return [not undelivered(sources, through, end) for end in period_ends]


def build_period_completeness(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> int:
    """marts.period_completeness: one row per measure and period of marts.measure_values, with its status."""
    sources = measure_period_sources(con)
    through = delivered_through(con)
    periods = con.execute("""SELECT DISTINCT measure_id, period_start, period_end FROM marts.measure_values
                             ORDER BY ALL""").fetchall()
    records = []
    for measure_id, start, end in periods:
        judged = judge_period(end, sources.get(measure_id, ()), through, as_of)
        records.append({"measure_id": measure_id, "period_start": start, "period_end": end,
                        "period_status": judged.status, "period_complete": judged.status != IN_PROGRESS,
                        "provisional": judged.status != COMPLETE, "awaiting": judged.awaiting,
                        "turns_provisional_on": judged.turns_provisional_on})
    return build_table_from_records(con, TABLE, COLUMNS, records)


def due_to_change(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> bool:
    """Whether a period in progress turns provisional by tonight (its sources' grace has passed): the table
    must be rebuilt though no file arrived. False when the table does not exist yet (the first night builds it)."""
    return table_exists(con, TABLE) and con.execute(f"SELECT count(*) FROM {TABLE} WHERE turns_provisional_on <= ?",
                                        [as_of]).fetchone()[0] > 0
