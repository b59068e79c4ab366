"""A load killed with SIGKILL at any point leaves the working warehouse consistent and the published one
untouched; the next run finishes the work and gives the same marts as a run that was never interrupted."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURE_LANDING

MARTS = "SELECT * FROM marts.measure_values ORDER BY ALL"
ROOT = Path(__file__).resolve().parent.parent


def _environment(base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BDC_")}
    (base / "dagster").mkdir(parents=True, exist_ok=True)
    return {**env, "BDC_DATA_DIR": str(base / "data"), "DAGSTER_HOME": str(base / "dagster"),
            "BDC_AS_OF": "2026-04-01", "BDC_FILE_SETTLE_SECONDS": "0"}


def _night_two(landing: Path) -> None:
    """The second night's deliveries: March contacts and February police data."""
    march = (FIXTURE_LANDING / "crm_contacts" / "crm_contacts_2026-02.csv").read_bytes()
    (landing / "crm_contacts" / "crm_contacts_2026-03.csv").write_bytes(
        march.replace(b"/02/2026", b"/03/2026").replace(b"C6,", b"C8,").replace(b"C7,", b"C9,"))
    february = (landing / "police_street" / "2026-02")
    february.mkdir()
    police = (FIXTURE_LANDING / "police_street" / "2026-01" / "2026-01-west-mercia-street.csv").read_bytes()
    (february / "2026-02-west-mercia-street.csv").write_bytes(
        police.replace(b",2026-01,", b",2026-02,").replace(b"aaa", b"bbb"))


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--log-level", "WARNING"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)


def _marts(data: Path) -> list[tuple]:
    with duckdb.connect(str(data / "published" / "bromsgrove.duckdb"), read_only=True) as con:
        return con.execute(MARTS).fetchall()


@pytest.fixture(scope="module")
def first_night(tmp_path_factory) -> Path:
    """The fixture loaded and published once; each test starts from a copy of it."""
    base = tmp_path_factory.mktemp("first_night")
    shutil.copytree(FIXTURE_LANDING, base / "data" / "landing")
    assert _run(_environment(base)).returncode == 0
    return base


def _copy(first_night: Path, to: Path) -> dict[str, str]:
    shutil.copytree(first_night, to, dirs_exist_ok=True)
    return _environment(to)


@pytest.fixture(scope="module")
def uninterrupted(first_night, tmp_path_factory) -> list[tuple]:
    base = tmp_path_factory.mktemp("uninterrupted")
    env = _copy(first_night, base)
    _night_two(base / "data" / "landing")
    assert _run(env).returncode == 0
    return _marts(base / "data")


@pytest.mark.parametrize("kill_at", ["raw__crm_contacts", "measures__contacts_received", "published__warehouse"])
def test_killed_run_recovers_to_the_same_marts(tmp_path, first_night, uninterrupted, kill_at):
    env = _copy(first_night, tmp_path)
    data = tmp_path / "data"
    published = data / "published" / "bromsgrove.duckdb"
    before = published.read_bytes()
    _night_two(data / "landing")

    run = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--log-level", "DEBUG"], cwd=ROOT,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in run.stdout:  # kill -9 the moment the chosen step starts
        if "STEP_START" in line and f'"{kill_at}"' in line:
            run.send_signal(signal.SIGKILL)
            break
    run.wait(timeout=60)
    assert run.returncode == -signal.SIGKILL, f"the run finished before reaching {kill_at}"

    assert published.read_bytes() == before  # readers never saw the interrupted night
    with duckdb.connect(str(data / "warehouse" / "working.duckdb")) as con:  # consistent: opens, and adds up
        assert con.execute("SELECT bool_and(balanced) FROM audit.row_conservation").fetchone()[0]
    again = _run(env)
    assert again.returncode == 0, again.stdout[-2000:]
    assert _marts(data) == uninterrupted
    assert not list(published.parent.glob("*.tmp"))
