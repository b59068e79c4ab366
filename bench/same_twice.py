"""Is a full build deterministic? Generate a sample at a scale, build it twice from empty over copies of the same
landing files (the night `as_of`), and compare the two published `marts.measure_values` exactly, bit for bit.

    .venv/bin/python bench/same_twice.py --contacts 10000000 --work /tmp/same-twice

Prints each build's seconds and `bench/speed.py`'s comparison, bit for bit: the rows found in one build only
(each way: "only_incremental" is the first build, "only_full_rebuild" the second), the measures they belong to,
and the largest relative difference of value, numerator or denominator over the rows with the same key. A night can
only be proved the same as a rebuild (`bench/speed.py --verify`) when two rebuilds are the same as each other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.speed import DEFAULT_END_MONTH, measured, month_day, nightly, same_measure_values  # noqa: E402


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
    same = same_measure_values(work / "first" / "published" / "bromsgrove.duckdb",
                               work / "second" / "published" / "bromsgrove.duckdb", decimals=None)
    return {"contacts": contacts, "seconds": seconds, **same}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench" / "same-twice")
    args = parser.parse_args()
    print(build_twice(args.contacts, args.work.resolve()))


if __name__ == "__main__":
    main()
