"""Before and after a change meant to keep behaviour: every table of two data folders' working and published
warehouses, compared as multisets of rows.

    .venv/bin/python bench/compare_builds.py BEFORE_DATA_DIR AFTER_DATA_DIR     # exit 1 when any table differs
    .venv/bin/python bench/compare_builds.py BEFORE AFTER --renamed failure_demand_share=failure_demand_pct

`--renamed FORMER=CURRENT` (repeatable) compares across a measure rename: BEFORE's `measures.FORMER` with
AFTER's `measures.CURRENT`, and the id in BEFORE's text values read as the current one.

Build each folder with the same command on each version (e.g. `BDC_DATA_DIR=... python -m pipelines.cli run
--sample` on the same day). The comparison is the simulation's (`pipelines/simulation/compare.py`) over every
table, also leaving out what a rerun changes by nature (sequence numbers, file modification times) and the
columns in `EXPECTED`, which a change may alter on purpose (say so when you add one). Each folder's own path is
taken out of every text value, since the two runs landed their files in different folders.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.simulation.compare import VOLATILE, WAREHOUSES, Comparison, compare_data_folders

RERUN = {"first_seen_at", "last_passed_at", "restaged_at", "restaged_seq", "build_seq", "load_seq",
         "file_modified_ns"}
# The staging fingerprint covers a source's rules version, which now covers only its own declaration.
EXPECTED = {"audit.staging_state.fingerprint"}


def main(before: Path, after: Path, renamed: tuple[tuple[str, str], ...] = ()) -> int:
    comparison = Comparison(skip=frozenset(VOLATILE | RERUN | EXPECTED), roots=(before, after),
                            names=("before", "after"), renamed=renamed)
    results = compare_data_folders(before, after, comparison, {w: ("%",) for w in WAREHOUSES})
    for relative, (compared, differences) in results.items():
        print(f"{relative}: {len(compared)} tables, {len(differences)} differing")
        for difference in differences:
            print("  ", difference[:400])
    return 1 if any(differences for _, differences in results.values()) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--renamed", action="append", default=[], metavar="FORMER=CURRENT",
                        help="a measure id renamed between the two builds (repeatable)")
    args = parser.parse_args()
    pairs = tuple(tuple(pair.split("=", 1)) for pair in args.renamed)
    sys.exit(main(args.before.resolve(), args.after.resolve(), pairs))
