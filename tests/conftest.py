"""Shared test helpers: run the nightly job in process against a landing folder in a temp dir."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import build_definitions
from pipelines.nightly import RunOutcome, run_nightly
from warehouse.settings import Settings, SettingsResource, load_settings

FIXTURE_LANDING = Path(__file__).parent / "fixtures" / "landing"

# Tests write landing files and load them at once: do not wait for them to settle (tests/test_transient_files.py
# covers the waiting).
os.environ.setdefault("BDC_FILE_SETTLE_SECONDS", "0")


@pytest.fixture
def warehouse_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point every BDC_* path into a fresh temp folder (the landing folder starts empty). The environment is
    for what is not an asset and reads it (sensors, alerts, the CLI); the assets get the folder from the
    settings resource (`run_pipeline`)."""
    monkeypatch.setenv("BDC_DATA_DIR", str(tmp_path / "data"))
    for name in ("BDC_LANDING_DIR", "BDC_WAREHOUSE_PATH", "BDC_PUBLISHED_PATH"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    settings.landing_dir.mkdir(parents=True)
    return settings


@pytest.fixture
def run_pipeline(warehouse_env: Settings) -> Callable[[], RunOutcome]:
    """Run the nightly job once, in process, with an ephemeral Dagster instance, on the test's folder (given to
    the assets by the settings resource)."""

    def _run() -> RunOutcome:
        settings = SettingsResource(data_dir=str(warehouse_env.data_dir))
        return run_nightly(build_definitions(settings), instance=dg.DagsterInstance.ephemeral(), log_level="WARNING")

    return _run


def copy_fixture(settings: Settings, *only: str) -> None:
    """Copy the hand-made fixture landing folder (or some sources of it) into the test's landing folder."""
    for source in sorted(FIXTURE_LANDING.iterdir()):
        if not only or source.name in only:
            shutil.copytree(source, settings.landing_dir / source.name, dirs_exist_ok=True)


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


OUTPUTS_FIXTURE_SQL = Path(__file__).parent / "fixtures" / "outputs" / "warehouse.sql"


def build_outputs_fixture(path: Path) -> Path:
    """The hand-made published warehouse the output tests read (tests/fixtures/outputs/warehouse.sql)."""
    with duckdb.connect(str(path)) as con:
        con.execute(OUTPUTS_FIXTURE_SQL.read_text(encoding="utf-8"))
    return path


LONGEST_FIRST = ("test_simulation", "test_awkward_days")  # the longest modules start first on the workers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Hand the longest modules out first under `pytest -n 2 --dist loadfile --no-loadscope-reorder` (make
    test; xdist would otherwise start with the files holding the most tests), so the two workers finish
    together. Whole files go to one worker, so a module-scoped fixture is built once (pytest 9 broke xdist's
    `loadgroup`, which renames node ids)."""
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.module.__name__.rsplit(".", 1)[-1], len(rank)))
