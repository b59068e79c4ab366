"""Before and after a change meant to keep behaviour: every table of two data folders' working and published
warehouses, compared as multisets of rows.

    .venv/bin/python bench/compare_builds.py BEFORE_DATA_DIR AFTER_DATA_DIR     # exit 1 when any table differs

Build each folder with the same command on each version (e.g. `BDC_DATA_DIR=... python -m pipelines.cli run
--sample` on the same day). The comparison is the simulation's (`pipelines/simulation/compare.py`) over every
table, also leaving out what a rerun changes by nature (sequence numbers, file modification times) and the
columns in `EXPECTED`, which a change may alter on purpose (say so when you add one). Each folder's own path is
taken out of every text value, since the two runs landed their files in different folders.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.simulation.compare import VOLATILE, WAREHOUSES, Comparison, compare_data_folders

RERUN = {"first_seen_at", "last_passed_at", "restaged_at", "restaged_seq", "build_seq", "load_seq",
         "file_modified_ns"}
# The staging fingerprint covers a source's rules version, which now covers only its own declaration.
EXPECTED = {"audit.staging_state.fingerprint"}


def main(before: Path, after: Path) -> int:
    comparison = Comparison(skip=frozenset(VOLATILE | RERUN | EXPECTED), roots=(before, after),
                            names=("before", "after"))
    results = compare_data_folders(before, after, comparison, {w: ("%",) for w in WAREHOUSES})
    for relative, (compared, differences) in results.items():
        print(f"{relative}: {len(compared)} tables, {len(differences)} differing")
        for difference in differences:
            print("  ", difference[:400])
    return 1 if any(differences for _, differences in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
