"""The benchmark script runs end to end at a tiny scale and writes a JSON result a later commit can compare
with (no timing is asserted: speed is measured by `make bench`, not by tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # ten minutes on 2 cores: `make test-slow`
def test_bench_smoke_run_writes_valid_json(tmp_path: Path):
    result_file = tmp_path / "speed.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BDC_") and k != "DAGSTER_HOME"}
    done = subprocess.run([sys.executable, "bench/speed.py", "--scales", "5_000", "--work", str(tmp_path / "work"),
                           "--json", str(result_file), "--verify"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=2400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(result_file.read_text())
    assert report["end_month"] == "2026-10" and report["machine"]["cpus"] >= 1
    (result,) = report["results"]
    assert result["contacts"] == 5_000
    assert 5_000 < result["record_rows"] < 20_000  # the record-level sources at 5,000 / 85,745 of the sample
    assert result["night_files"] >= 9  # one October delivery from each append-only source, and more
    for step in ("generate", "floor", "full", "quiet", "one_source", "incremental"):
        assert result[step]["seconds"] > 0 and result[step]["peak_mib"] > 0, step
    assert result["quiet"]["kind"] == "quiet" and result["quiet_seconds"] == result["quiet"]["seconds"]
    assert result["one_source_share_of_full"] == round(result["one_source"]["seconds"] / result["full"]["seconds"], 3)
    assert set(result["verify"]) == {"quiet", "one_source", "incremental"}
    assert result["every_night_equals_rebuild"] is True, result["verify"]
    assert report["sample"]["make_run"]["outputs_seconds"] > 0 and report["sample"]["quiet_night"]["seconds"] > 0
    assert result["floor"]["measure_values"] > 0 and result["floor"]["raw_rows"] > result["record_rows"] / 2
    assert result["full"]["checks"]["passed"] > 200
    for run in ("full", "one_source", "incremental"):
        assert set(result[run]["checks"]) == {"passed", "warned", "failed"}  # (tiny months trip volume checks)
    for run in ("one_source", "incremental"):  # a planned night runs the checks of what it rebuilt: some, never
        assert 0 < sum(result[run]["checks"].values()) <= sum(result["full"]["checks"].values()), run  # more
        assert {"raw", "staging", "measures", "checks"} <= set(result[run]["steps"])
    assert result["ratio_full_to_floor"] == round(result["full"]["seconds"] / result["floor"]["seconds"], 2)
    assert "x floor" in done.stdout and "  5,000 " in done.stdout  # the printed table
    assert not (tmp_path / "work" / "contacts-5000").exists()  # removed unless --keep
