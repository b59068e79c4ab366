"""The bundled sample's nightly run succeeds, with no ERROR check, on the days that break date code: the next
1st, 3rd and 16th of a month, New Year's Day, the days the clocks go forward and back (Europe/London), and
29 February. Each is a fresh data folder and `pipelines.cli run --sample` with the whole process's clock faked
by Debian's faketime, as a council would meet that night: the sample is generated that day (its last month is
the last full one), and nothing tells the pipeline the date but the clock.

The days are worked out from the real date when the tests run, so the suite keeps testing the next ones. And
because libfaketime fakes the clock but not file times, a night faked earlier than the real day sees its fresh
landing files modified "in the future": the reader must load them, not retry for ever or refuse them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.simulation.daemon import FAKETIME_OPTIONS
from tests.conftest import FIXTURE_LANDING, query
from warehouse.catalogue import catalogue

ROOT = Path(__file__).resolve().parent.parent
FAKETIME = shutil.which("faketime")
pytestmark = [pytest.mark.night,  # the bundled sample on faked nights
              pytest.mark.skipif(FAKETIME is None, reason="Debian's faketime is not installed (make test installs it)")]


def _next_day_of_month(today: dt.date, day: int) -> dt.date:
    candidate = today.replace(day=day) if today.day < day else None
    if candidate is None:
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        candidate = dt.date(year, month, day)
    return candidate


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def _next(today: dt.date, make) -> dt.date:
    """The first of make(year) that is after today."""
    return next(d for year in range(today.year, today.year + 9) if (d := make(year)) and d > today)


def awkward_nights(today: dt.date) -> dict[str, dt.datetime]:
    """Name -> the moment of the night to run, for the next occurrence of each awkward day after `today`.
    The clock-change nights run inside the hour that is skipped (forward) or repeated (back)."""
    def leap_day(year: int) -> dt.date | None:
        return dt.date(year, 2, 29) if year % 4 == 0 and (year % 100 or year % 400 == 0) else None

    days = {
        "first of a month": (_next_day_of_month(today, 1), dt.time(2)),
        "third of a month": (_next_day_of_month(today, 3), dt.time(2)),
        "sixteenth of a month": (_next_day_of_month(today, 16), dt.time(2)),
        "New Year's Day": (_next(today, lambda y: dt.date(y, 1, 1)), dt.time(2)),
        "clocks go forward": (_next(today, lambda y: _last_sunday(y, 3)), dt.time(1, 30)),
        "clocks go back": (_next(today, lambda y: _last_sunday(y, 10)), dt.time(1, 30)),
        "29 February": (_next(today, leap_day), dt.time(2)),
    }
    return {name: dt.datetime.combine(day, at) for name, (day, at) in days.items()}


def test_the_awkward_nights_are_the_ones_named():
    # Worked out by hand from the calendar for 2 December 2026.
    nights = awkward_nights(dt.date(2026, 12, 2))
    assert nights == {
        "first of a month": dt.datetime(2027, 1, 1, 2), "third of a month": dt.datetime(2026, 12, 3, 2),
        "sixteenth of a month": dt.datetime(2026, 12, 16, 2), "New Year's Day": dt.datetime(2027, 1, 1, 2),
        "clocks go forward": dt.datetime(2027, 3, 28, 1, 30), "clocks go back": dt.datetime(2027, 10, 31, 1, 30),
        "29 February": dt.datetime(2028, 2, 29, 2)}


def _environment(base: Path) -> dict[str, str]:
    # No BDC_AS_OF: the clock decides. The key stays: a run on the fixture (not the bundled sample) needs one.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BDC_") or k == "BDC_PSEUDONYM_KEY"}
    (base / "dagster").mkdir(parents=True, exist_ok=True)
    return {**env, "BDC_DATA_DIR": str(base / "data"), "DAGSTER_HOME": str(base / "dagster"), "TZ": "Europe/London",
            **FAKETIME_OPTIONS}  # as the simulation's faked processes (its stat() lock can hang a process)


# Each night once; when two names fall on one night (New Year's Day is a 1st), it runs once for both. The next
# 1st of a month is run by tests/test_canaries.py (with the outputs, whose files it scans), through
# assert_a_clean_night below: one sample run fewer in `make test`.
FIRST_OF_A_MONTH = awkward_nights(dt.date.today())["first of a month"]  # the real date: which nights come next
NIGHTS = sorted(set(awkward_nights(dt.date.today()).values()) - {FIRST_OF_A_MONTH})
# The 3rd and the 16th (a due day and the day after a grace period, not a calendar edge) run in `make test-slow`,
# unless they fall on one of the others: `make test` stays within CI's 15 minutes.
EDGES = {v for k, v in awkward_nights(dt.date.today()).items() if k not in ("third of a month", "sixteenth of a month")}
NIGHT_PARAMS = [pytest.param(n, marks=() if n in EDGES else pytest.mark.slow, id=f"{n:%Y-%m-%d_%H%M}") for n in NIGHTS]


def run_sample_on(night: dt.datetime, base: Path, *arguments: str, **env: str) -> subprocess.CompletedProcess:
    """`pipelines.cli run <arguments>` (e.g. `--sample`) with its data folder and Dagster instance under `base`,
    the whole process on a faked clock; `env` adds variables."""
    return subprocess.run([FAKETIME, "-f", f"@{night:%Y-%m-%d %H:%M:%S}", sys.executable, "-m", "pipelines.cli",
                           "run", *arguments], cwd=ROOT, env={**_environment(base), **env}, capture_output=True,
                          text=True, timeout=900)


def assert_a_clean_night(done: subprocess.CompletedProcess, published: Path, night: dt.datetime) -> None:
    """What every awkward night must show: success, no ERROR check, judged by the faked clock, the last full
    month the latest, nothing quarantined as "in the future", and the sample whole."""
    names = [k for k, v in awkward_nights(dt.date.today()).items() if v == night] or [f"{night}"]
    summary = done.stdout[done.stdout.find("Nightly load"):]
    assert done.returncode == 0, f"{names}: {summary[-3000:]}{done.stderr[-2000:]}"
    assert "ERROR:" not in summary, f"{names}: {summary}"
    assert re.search(r"Checks: \d+ passed, \d+ warned, 0 failed \(ERROR\)", summary), summary
    # The terminal ends with the summary: a line per file loaded, or per font subset, goes to the run's log.
    log_file = published.parent.parent / "logs" / f"run-{night:%Y-%m-%d}.log"
    assert done.stdout.rstrip().endswith(f"Full log (every file loaded): {log_file}")
    assert not re.search(r"INFO (sources\.reader|fontTools)", done.stderr), done.stderr[-2000:]
    assert len(re.findall(r"INFO sources\.reader: crm_contacts: loaded crm_contacts_\d{4}-\d{2}\.csv",
                          log_file.read_text())) == 36  # the sample's three years of contact extracts
    (as_of,) = query(published, "SELECT max(as_of) FROM marts.publish_info")[0]
    assert as_of == night.date()  # the night was judged by the faked clock, not the real one
    last_month = query(published, "SELECT max(period_start) FROM marts.measure_values WHERE measure_id = "
                                  "'contacts_received' AND area_type = 'district'")[0][0]
    first_of_night_month = night.date().replace(day=1)
    assert last_month == (first_of_night_month - dt.timedelta(days=1)).replace(day=1)  # the last full month
    # An extract written on a day holds nothing dated after it: no row is quarantined as "in the future".
    future = query(published.parent.parent / "warehouse" / "working.duckdb",
                   "SELECT source, count(*) FROM audit.quarantine WHERE failed_checks LIKE '%not_in_future%' "
                   "GROUP BY ALL")
    assert future == [], f"{names}: {future}"
    _assert_the_sample_is_whole(published)


@pytest.mark.parametrize("night", NIGHT_PARAMS)
def test_the_sample_runs_clean_on_an_awkward_night(tmp_path: Path, night: dt.datetime):
    done = run_sample_on(night, tmp_path, "--sample", "--skip-outputs", "--log-level", "WARNING")
    assert_a_clean_night(done, tmp_path / "data" / "published" / "bromsgrove.duckdb", night)


def _assert_the_sample_is_whole(published: Path) -> None:
    """What a user of the bundled sample relies on: every measure with (nearly) every month of its three years,
    every file balanced, the dashboards filled, and no personal data (raw) in the published copy."""
    counts = dict(query(published, """SELECT measure_id, count(*) FROM marts.measure_values
                                      WHERE area_type = 'district' GROUP BY ALL"""))
    for measure in catalogue().measures:
        assert counts.get(measure, 0) >= 30, measure  # nearly every month (some have no major applications)
    assert query(published, "SELECT count(*) FROM audit.row_conservation WHERE NOT balanced") == [(0,)]
    assert query(published, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'") == [(0,)]
    for mart in ("dashboard_strategic", "dashboard_operational", "dashboard_demographics"):
        assert query(published, f"SELECT count(*) FROM marts.{mart}")[0][0] > 0, mart


def test_a_night_faked_before_the_real_day_loads_files_modified_in_the_future(tmp_path: Path):
    """A clock set back (or a file server's ahead): fresh files look modified in the future. They load, after one
    short watch for the whole folder, and are not refused."""
    landing = tmp_path / "data" / "landing"
    shutil.copytree(FIXTURE_LANDING, landing)
    for path in landing.rglob("*"):
        path.touch()  # written now, by the real clock
    started = time.monotonic()
    done = subprocess.run([FAKETIME, "-f", "@2026-04-01 02:00:00", sys.executable, "-m", "pipelines.cli", "run",
                           "--skip-outputs", "--log-level", "WARNING"],
                          # a short settle time: one watch a folder is what is asserted, not its length
                          cwd=ROOT, env={**_environment(tmp_path), "BDC_FILE_SETTLE_SECONDS": "0.5"},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    files = query(tmp_path / "data" / "warehouse" / "working.duckdb",
                  "SELECT count(*) FROM audit.loaded_files")[0][0]
    assert files == sum(1 for p in FIXTURE_LANDING.rglob("*") if p.is_file())
    folders = sorted({p.relative_to(FIXTURE_LANDING).parts[0] for p in FIXTURE_LANDING.rglob("*") if p.is_file()})
    watched = re.findall(r"file\(s\) in \S+?/landing/([^/\s]+)\S* modified up to .* \(clock skew\?\)", done.stderr)
    assert sorted(watched) == folders  # one watch a folder ...
    assert not re.search(r"\.(csv|xlsx): modified .* in the future", done.stderr)  # ... not a watch a file
    assert time.monotonic() - started < 600  # and no retries for ever
