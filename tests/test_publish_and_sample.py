"""Publishing while readers query, and the bundled sample generator (the sample end to end is run on the awkward
nights of tests/test_awkward_days.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from sources.bundled import generate_sample
from sources.sample import parse_month
from tests.conftest import copy_fixture, query

pytestmark = pytest.mark.night  # the bundled sample's nights

READER = textwrap.dedent("""
    import json, sys, time, duckdb
    path, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    seen, errors = [], []
    import os
    while not os.path.exists(stop):
        try:
            with duckdb.connect(path, read_only=True) as con:
                run = con.execute("SELECT run_id FROM marts.publish_info").fetchone()[0]
                rows = con.execute("SELECT count(*) FROM marts.measure_values").fetchone()[0]
                seen.append([run, rows])
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    json.dump({"seen": seen, "errors": errors}, open(out, "w"))
""")


def test_published_copy_is_readable_throughout_a_run(warehouse_env, run_pipeline, tmp_path):
    copy_fixture(warehouse_env)
    (warehouse_env.landing_dir / "crm_contacts" / "crm_contacts_2026-02.csv").unlink()
    first = run_pipeline()
    rows_first = query(warehouse_env.published_path, "SELECT count(*) FROM marts.measure_values")[0][0]
    copy_fixture(warehouse_env, "crm_contacts")  # February arrives: the second run publishes more rows
    out, stop = tmp_path / "reader.json", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse_env.published_path), str(out), str(stop)])
    try:
        time.sleep(0.5)
        second = run_pipeline()
        time.sleep(0.5)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    rows_second = query(warehouse_env.published_path, "SELECT count(*) FROM marts.measure_values")[0][0]
    assert first.success and second.success and rows_second > rows_first
    report = json.loads(out.read_text())
    assert report["errors"] == []
    observed = {tuple(s) for s in report["seen"]}
    assert observed <= {(first.run_id, rows_first), (second.run_id, rows_second)}
    assert (first.run_id, rows_first) in observed and (second.run_id, rows_second) in observed
    assert len(report["seen"]) > 20


def test_sample_generator_is_deterministic(tmp_path):
    first = generate_sample(tmp_path / "a", parse_month("2025-06"))
    second = generate_sample(tmp_path / "b", parse_month("2025-06"))
    digest = lambda paths, root: {str(p.relative_to(root)): p.read_bytes() for p in paths}  # noqa: E731
    assert digest(first, tmp_path / "a") == digest(second, tmp_path / "b")
    assert json.loads((tmp_path / "a" / ".bundled-sample.json").read_text())["end_month"] == "2025-06"
