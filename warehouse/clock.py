"""The one clock. Every date the warehouse decides with, and every time it stamps a record with, comes from here.

- `as_of()` is the night being processed: today, unless `BDC_AS_OF` names another night (a re-run of a past
  night, the simulation) or a run's `settings` resource was configured with one (`night_of`). Reporting
  periods, timeliness, "not in the future", return templates, report and partner-pack dates all take it.
- `timestamp()` is the wall-clock time. It stamps records (when a file was loaded, a row quarantined, an alert
  raised) and answers time-of-day questions (is it past the digest hour?). It never orders two events of the
  warehouse against each other: local time repeats an hour when the clocks go back, so "built after it was
  published" is decided by `audit.build_seq` (see `next_build_seq`), not by timestamps.

No other module reads the real clock (`tests/test_one_clock.py` fails if one does); elapsed seconds for logs
come from `time.monotonic()` / `time.perf_counter()`, which are not the clock of any decision.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

_RUN_NIGHT: list[dt.date] = []  # the night a run's settings resource set, while the run lasts


@contextmanager
def night_of(night: dt.date) -> Iterator[None]:
    """Within the block, `as_of()` is `night`: a run configured for a past night decides everything by it
    (the reader's "delivered on", refusals, reporting periods), not only what its assets read from settings."""
    _RUN_NIGHT.append(night)
    try:
        yield
    finally:
        _RUN_NIGHT.pop()


def as_of() -> dt.date:
    """The night being processed: the run's night (`night_of`) while one is set, else `BDC_AS_OF`
    (YYYY-MM-DD) when set, else today."""
    if _RUN_NIGHT:
        return _RUN_NIGHT[-1]
    value = os.environ.get("BDC_AS_OF")
    if not value:
        return dt.date.today()  # the machine's calendar, read here only (clock: record)
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"BDC_AS_OF must be a date like 2026-11-26, not {value!r}") from exc


def timestamp() -> dt.datetime:
    """Local wall-clock time, to the microsecond, without a time zone: for stamping records."""
    return dt.datetime.now()  # the machine's clock, read here only (clock: record)


def timestamp_utc() -> dt.datetime:
    """The same instant in UTC, with its zone (for libraries that want one, e.g. GX run identifiers)."""
    return dt.datetime.now(dt.UTC)  # the machine's clock, read here only (clock: record)


def epoch_seconds() -> float:
    """Seconds since the epoch on this machine's clock, to compare with file modification times."""
    return timestamp_utc().timestamp()


def next_build_seq(con: duckdb.DuckDBPyConnection) -> int:
    """A number larger than every one handed out before in this warehouse: orders builds and publishes
    without trusting wall-clock time (which repeats an hour each October)."""
    return con.execute("SELECT nextval('audit.build_seq')").fetchone()[0]
