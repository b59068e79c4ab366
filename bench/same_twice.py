"""Is a full build deterministic? Generate a sample at a scale, build it twice from empty over copies of the same
landing files (the night `as_of`), and compare the two published `marts.measure_values` exactly, bit for bit.

    .venv/bin/python bench/same_twice.py --contacts 10000000 --work /tmp/same-twice

Prints each build's seconds, the rows found in one build only (both ways) and, per measure, the rows that differ
and the largest relative difference of value, numerator or denominator (a row in one build only counts there
with 0, and in only_in_first / only_in_second). A night can
only be proved the same as a rebuild (`bench/speed.py --verify`) when two rebuilds are the same as each other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.speed import DEFAULT_END_MONTH, measured, month_day, nightly  # noqa: E402

COLUMNS = "measure_id, period_start, area_type, area_code, value, numerator, denominator, observations"


def build_twice(contacts: int, work: Path) -> dict:
    """The two builds' seconds and how their measure values differ."""
    if work.exists() and not (work / "generate.log").exists():
        raise SystemExit(f"{work} exists and is not an earlier same_twice folder: choose another --work")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    landing = work / "landing"
    measured([sys.executable, "-m", "pipelines.cli", "generate-sample", "--contacts", str(contacts),
              "--end-month", DEFAULT_END_MONTH], {**os.environ, "BDC_DATA_DIR": str(work / "generated")},
             work / "generate.log")
    (work / "generated" / "landing").rename(landing)
    end_month = dt.date.fromisoformat(f"{DEFAULT_END_MONTH}-01")
    seconds = {}
    for build in ("first", "second"):
        shutil.copytree(landing, work / build / "landing", copy_function=shutil.copy2)
        seconds[build] = nightly(work / build, month_day(end_month, 0, 28), work / f"{build}.log")["seconds"]
    with duckdb.connect(str(work / "first" / "published" / "bromsgrove.duckdb"), read_only=True) as con:
        con.execute(f"ATTACH '{work / 'second' / 'published' / 'bromsgrove.duckdb'}' AS second (READ_ONLY)")
        rows, only_first, only_second = con.execute(f"""
            SELECT (SELECT count(*) FROM marts.measure_values),
                   (SELECT count(*) FROM (SELECT {COLUMNS} FROM marts.measure_values
                                          EXCEPT ALL SELECT {COLUMNS} FROM second.marts.measure_values)),
                   (SELECT count(*) FROM (SELECT {COLUMNS} FROM second.marts.measure_values
                                          EXCEPT ALL SELECT {COLUMNS} FROM marts.measure_values))""").fetchone()
        relative = " , ".join(f"coalesce(abs(a.{c} - b.{c}) / nullif(greatest(abs(a.{c}), abs(b.{c})), 0), 0)"
                              for c in ("value", "numerator", "denominator"))
        by_measure = con.execute(f"""
            SELECT coalesce(a.measure_id, b.measure_id), count(*), max(greatest({relative}))
            FROM marts.measure_values a FULL JOIN second.marts.measure_values b
                 USING (measure_id, period_start, area_type, area_code)
            WHERE a.value IS DISTINCT FROM b.value OR a.numerator IS DISTINCT FROM b.numerator
               OR a.denominator IS DISTINCT FROM b.denominator OR a.observations IS DISTINCT FROM b.observations
            GROUP BY ALL ORDER BY 2 DESC""").fetchall()
    return {"contacts": contacts, "seconds": seconds, "rows": rows, "only_in_first": only_first,
            "only_in_second": only_second,
            "by_measure": {m: {"rows": n, "max_relative_difference": r} for m, n, r in by_measure}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench" / "same-twice")
    args = parser.parse_args()
    print(build_twice(args.contacts, args.work.resolve()))


if __name__ == "__main__":
    main()
