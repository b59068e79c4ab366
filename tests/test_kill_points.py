"""A run killed with SIGKILL at an exact point (pipelines/simulation/worker.py: between two raw files, just before
and just after the published copy is renamed into place, inside the outputs before they are swapped in) leaves the
published copy and the site as they were or as the run made them, whole and readable, and the next run completes.
After the kills the warehouse equals a rebuild from the same files, the published copy's appended tables too.
Each run is a process of its own, as the daemon launches it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.simulation.compare import compare_warehouses
from pipelines.simulation.runner import INSTANCE_YAML
from tests.conftest import FIXTURE_LANDING

pytestmark = pytest.mark.night
ROOT = Path(__file__).parents[1]
CRM_HEADER = ("Contact Ref,Received,Closed,Channel,Service,Demand Type,Demand Category,Resolved At First Contact,"
              "UPRN,Customer Name,Telephone,Notes")


def _environment(base: Path, data: str = "data") -> dict[str, str]:
    (base / "dagster").mkdir(parents=True, exist_ok=True)
    (base / "dagster" / "dagster.yaml").write_text(INSTANCE_YAML)
    settings = {k: v for k, v in os.environ.items() if not k.startswith("BDC_")}
    return {**settings, "BDC_DATA_DIR": str(base / data), "BDC_LANDING_DIR": str(base / "landing"),
            "DAGSTER_HOME": str(base / "dagster"), "BDC_PSEUDONYM_KEY": os.environ["BDC_PSEUDONYM_KEY"],
            "BDC_AS_OF": "2026-05-06", "BDC_REPORTS_PDF": "false"}


def _run(base: Path, job: str, fault: str | None, n: int, data: str = "data") -> int:
    spec = base / f"run-{n}.json"
    spec.write_text(json.dumps({"job": job, "run_id": f"00000000-0000-4000-8000-{n:012d}", "tags": {},
                                "fault": fault, "assets": None, "checks": None}))
    done = subprocess.run([sys.executable, "-m", "pipelines.simulation.worker", str(spec)], cwd=ROOT,
                          env=_environment(base, data), capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, -signal.SIGKILL), done.stderr[-3000:]
    return done.returncode


def _published(base: Path) -> list[tuple]:
    """The published copy's measure values, read as a reader would (read-only: it opens, whole)."""
    with duckdb.connect(str(base / "data" / "published" / "bromsgrove.duckdb"), read_only=True) as con:
        return con.execute("SELECT measure_id, period_start, area_type, area_code, value FROM marts.measure_values "
                           "ORDER BY ALL").fetchall()


def _site(base: Path) -> dict[str, bytes]:
    site = base / "data" / "outputs" / "site"
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _deliver_two_crm_months(base: Path) -> None:
    folder = base / "landing" / "crm_contacts"
    for month in ("03", "04"):
        rows = [f"K{month}{n},0{n}/{month}/2026 10:00,0{n}/{month}/2026 10:10,Phone,Waste,Value,Request for service,"
                f"Y,1003,A Person,07700 900200," for n in range(1, 4)]
        (folder / f"crm_contacts_2026-{month}.csv").write_bytes(
            ("\r\n".join([CRM_HEADER, *rows]) + "\r\n").encode("cp1252"))


def test_killed_at_each_point_the_copies_stay_whole_and_the_next_run_completes(tmp_path: Path):
    base = tmp_path
    shutil.copytree(FIXTURE_LANDING, base / "landing")
    assert _run(base, "nightly", None, 1) == 0
    assert _run(base, "outputs", None, 2) == 0
    before, site_before = _published(base), _site(base)
    assert before and "index.html" in site_before

    _deliver_two_crm_months(base)  # March and April: two new files of one source
    assert _run(base, "nightly", "kill_between_raw_files", 3) == -signal.SIGKILL
    assert _published(base) == before
    assert _run(base, "nightly", "kill_before_swap", 4) == -signal.SIGKILL
    assert _published(base) == before
    assert _run(base, "nightly", "kill_after_swap", 5) == -signal.SIGKILL
    after = _published(base)
    assert after != before and {r[1].isoformat() for r in after} >= {"2026-03-01", "2026-04-01"}
    assert _run(base, "outputs", "kill_in_outputs", 6) == -signal.SIGKILL
    assert _site(base) == site_before  # the old site, every file as it was
    assert _run(base, "nightly", None, 7) == 0
    assert _published(base) == after
    assert _run(base, "outputs", None, 8) == 0
    assert _site(base) != site_before
    assert not [p for p in (base / "data").rglob(".*") if p.name.endswith((".tmp", ".building", ".old"))]

    # The same files in one run, from nothing: the same rows everywhere (the published copy's appended tables too).
    assert _run(base, "nightly", None, 9, data="rebuild") == 0
    assert compare_warehouses(base / "data", base / "rebuild") == []
