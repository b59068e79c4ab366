"""One clock: no module decides with the real clock. Dates come from the night's `as_of` and record times from
`warehouse/clock.py`, the only module allowed to read the machine's clock (DEVELOPERS.md, "One clock").

The scan reads every Python, SQL and template file of the five packages as text, so SQL inside Python
strings is caught too (DuckDB's `now()`, `current_date`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pipelines", "assets", "sources", "quality", "outputs", "warehouse")
THE_CLOCK = ROOT / "warehouse" / "clock.py"
READS = re.compile(
    r"\bdate\.today\(|\bdatetime\.(?:now|utcnow|today)\(|\btime\.(?:time|localtime|gmtime|ctime)\("
    r"|\bibis\.(?:now|today)\(|(?<![\w.])now\(\)|(?<![\w.])today\(\)"  # SQL now() / today(), not clock.timestamp()
    r"|\bcurrent_(?:date|timestamp|time)\b|\bget_current_(?:timestamp|time)\(|\blocaltimestamp\b", re.IGNORECASE)


def _files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*")
                  if p.suffix in (".py", ".sql", ".j2") and p != THE_CLOCK)


def test_no_module_but_the_clock_reads_the_real_clock():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in _files() for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if READS.search(line)]
    assert not found, "read the real clock outside warehouse/clock.py:\n" + "\n".join(found)


@pytest.mark.parametrize("line", [
    "    today = dt.date.today()",
    "    stamp = datetime.now()",
    "limit = ibis.now()",
    "SELECT now() AS recorded_at",
    "WHERE period_end < current_date",
    "x = time.time() - mtime",
])
def test_the_scan_recognises_each_way_of_reading_the_clock(line: str):
    assert READS.search(line)


@pytest.mark.parametrize("line", ["recorded = clock.timestamp()", "night = clock.as_of()", "started = time.monotonic()",
                                  "seconds = time.perf_counter() - started"])
def test_the_clock_and_elapsed_time_are_allowed(line: str):
    assert not READS.search(line)


def test_the_scan_covers_the_packages():
    assert len(_files()) > 50 and all(p.suffix in (".py", ".sql", ".j2") for p in _files())


def test_the_night_comes_from_bdc_as_of_and_a_wrong_date_is_refused_by_name(monkeypatch):
    from warehouse import clock

    monkeypatch.setenv("BDC_AS_OF", "2028-02-29")
    assert clock.as_of().isoformat() == "2028-02-29"
    monkeypatch.setenv("BDC_AS_OF", "29/02/2028")  # the way people write dates, not the way the setting takes them
    with pytest.raises(ValueError, match=r"^BDC_AS_OF must be a date like 2026-11-26, not '29/02/2028'$"):
        clock.as_of()
