"""Shared test helpers: run the nightly job in process against a landing folder in a temp dir."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.definitions import build_definitions
from pipelines.nightly import RunOutcome, run_nightly
from warehouse.dictionary import describe_copy
from warehouse.disclosure import build_disclosed_values
from warehouse.settings import Settings, SettingsResource, load_settings

FIXTURE_LANDING = Path(__file__).parent / "fixtures" / "landing"
COUNCILS_DIR = Path(__file__).resolve().parent.parent / "councils"

# Tests write landing files and load them at once: do not wait for them to settle (tests/test_transient_files.py
# covers the waiting).
os.environ.setdefault("BDC_FILE_SETTLE_SECONDS", "0")
# Tests load hand-made fixtures, not the bundled sample: a run needs its own key (test_settings_resource).
os.environ.setdefault("BDC_PSEUDONYM_KEY", "tests-only-pseudonym-key-not-secret-0123456789")
# Tests check that readers keep their record-level facts (the analyst copy), health data included; the default
# (none) is tested in test_data_classes.
os.environ.setdefault("BDC_ANALYST_SPECIAL_CATEGORY", "true")


@pytest.fixture
def landing(warehouse_env: Settings) -> Settings:
    """The shared fixture's landing files, with empty folders for street-scene reports and planning decisions
    (the two sources `core.fact_cases` is built from), which a test fills by hand (tests/test_holds.py)."""
    copy_fixture(warehouse_env)
    for folder in ("waste_reports", "planning_applications"):
        (warehouse_env.landing_dir / folder).mkdir()
    return warehouse_env


@pytest.fixture
def warehouse_env(tmp_path: Path) -> Settings:
    """Every path under a fresh temp folder (the landing folder starts empty). Assets, sensors and schedules
    get it through the settings resource (`resource_for`), never through the environment."""
    settings = load_settings(data_dir=tmp_path / "data")
    settings.landing_dir.mkdir(parents=True)
    return settings


def resource_for(settings: Settings, **fields: str) -> SettingsResource:
    """The settings resource that hands `settings`' folder (and any other `fields`) to a run or a sensor."""
    return SettingsResource(data_dir=str(settings.data_dir), **fields)


@pytest.fixture
def run_pipeline(warehouse_env: Settings) -> Callable[[], RunOutcome]:
    """Run the nightly job once, in process, with an ephemeral Dagster instance, on the test's folder."""

    def _run() -> RunOutcome:
        definitions = build_definitions(resource_for(warehouse_env))
        return run_nightly(definitions, instance=dg.DagsterInstance.ephemeral(), log_level="WARNING")

    return _run


def with_profile(folder: Path, monkeypatch: pytest.MonkeyPatch, council_id: str = "bromsgrove",
                 **changes: object) -> Path:
    """Every bundled council profile copied to `folder` (BDC_COUNCILS_DIR for the test), `council_id`'s with
    `changes` (top-level fields) made."""
    shutil.copytree(COUNCILS_DIR, folder, dirs_exist_ok=True)
    profile = folder / f"{council_id}.yaml"
    profile.write_text(yaml.safe_dump({**yaml.safe_load(profile.read_text(encoding="utf-8")), **changes}),
                       encoding="utf-8")
    monkeypatch.setenv("BDC_COUNCILS_DIR", str(folder))
    return profile


def copy_fixture(settings: Settings, *only: str) -> None:
    """Copy the hand-made fixture landing folder (or some sources of it) into the test's landing folder."""
    for source in sorted(FIXTURE_LANDING.iterdir()):
        if not only or source.name in only:
            shutil.copytree(source, settings.landing_dir / source.name, dirs_exist_ok=True)


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def every_period_complete(con: duckdb.DuckDBPyConnection) -> None:
    """marts.period_completeness for a hand-made warehouse whose sources have delivered everything: a view, so that
    values a test adds later are complete too (quality/completeness.py builds the real table nightly)."""
    con.execute("""CREATE OR REPLACE VIEW marts.period_completeness AS
                   SELECT DISTINCT measure_id, period_start, period_end, 'complete' AS period_status,
                          true AS period_complete, false AS provisional, NULL::VARCHAR AS awaiting,
                          NULL::DATE AS turns_provisional_on
                   FROM marts.measure_values""")


OUTPUTS_FIXTURE_SQL = Path(__file__).parent / "fixtures" / "outputs" / "warehouse.sql"


def build_outputs_fixture(path: Path, thresholds: tuple[int, ...] = (5, 10, 13)) -> Path:
    """The hand-made published warehouse the output tests read (tests/fixtures/outputs/warehouse.sql), with the
    nightly suppression patterns (marts.disclosed_values) for `thresholds`, worked out for 26 November 2026."""
    with duckdb.connect(str(path)) as con:
        con.execute(OUTPUTS_FIXTURE_SQL.read_text(encoding="utf-8"))
        build_disclosed_values(con, list(thresholds), dt.date(2026, 11, 26))
        describe_copy(con, path.stem)  # as the publish does: comments and marts.data_dictionary
    return path


# The longest modules start first on the workers.
LONGEST_FIRST = ("test_simulation", "test_awkward_days", "test_canaries")


# The fixtures that load whole nights: a test using one (directly or through another fixture) is in the `night`
# tier, as is a test or module marked `pytest.mark.night` (one that runs a night in its own body).
NIGHT_FIXTURES = frozenset({"run_pipeline", "fresh_run", "built", "bad_night", "scanned", "night", "clean_night",
                            "rules_night", "report", "systems", "worked_night"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that load whole nights `night` (make test-fast leaves them out). Then hand the longest
    modules out first under `pytest -n 2 --dist loadfile --no-loadscope-reorder` (make test; xdist would
    otherwise start with the files holding the most tests), so the two workers finish together. Whole files go
    to one worker, so a module-scoped fixture is built once (pytest 9 broke xdist's `loadgroup`, which renames
    node ids)."""
    for item in items:
        if NIGHT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.night)
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.module.__name__.rsplit(".", 1)[-1], len(rank)))
