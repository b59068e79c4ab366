"""Retention: Dagster run history and GX results older than the retention period are deleted; newer are kept."""

from __future__ import annotations

import dataclasses
import datetime as dt

import dagster as dg
import pytest

from pipelines.retention import cutoff_for, prune_history, retention_days
from warehouse.settings import load_settings


@dg.op
def _hello() -> int:
    return 1


@dg.job
def _tiny() -> None:
    _hello()


@dg.asset
def _built() -> int:
    return 1


def test_runs_and_gx_results_before_the_cutoff_are_deleted(tmp_path):
    quality = tmp_path / "quality"
    validations = quality / "gx" / "uncommitted" / "validations" / "measure_values" / "__none__"
    old, recent = validations / "20251101T010203.123456Z", validations / "20261201T010203.123456Z"
    page = quality / "data_docs" / "validations" / "measure_values" / "__none__" / "20251101T010203.123456Z"
    for folder in (old, recent, page):
        folder.mkdir(parents=True)
        (folder / "result.json").write_text("{}")
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        runs = [_tiny.execute_in_process(instance=instance).run_id for _ in range(2)]
        built = [dg.materialize([_built], instance=instance).run_id for _ in range(2)]
        # A cutoff before the runs were made keeps them; GX results from before 1 January 2026 go.
        kept = prune_history(instance, quality, dt.datetime(2026, 1, 1))
        assert (kept.runs, kept.gx_results) == (0, 2)
        assert not old.exists() and not page.exists() and recent.exists()
        assert {r.dagster_run.run_id for r in instance.get_run_records()} == {*runs, *built}
        # A cutoff after them (tomorrow, by the real clock the runs were stamped with) deletes them and their logs.
        tomorrow = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
        pruned = prune_history(instance, quality, tomorrow)
        # The run that last built an asset stays (the night planner reads it); the others go.
        assert pruned.runs == 3 and [r.dagster_run.run_id for r in instance.get_run_records()] == [built[1]]
        assert all(instance.all_logs(run_id) == [] for run_id in [*runs, built[0]])
        assert not recent.exists()


def test_the_nightly_commands_log_files_of_nights_before_the_cutoff_are_deleted(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for name in ("run-2025-12-01.log", "run-2025-12-02.log", "run-2026-12-03.log", "run-notes.log", "other.txt"):
        (logs / name).write_text("a line\n")
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        # The cutoff is midnight starting 2 December 2025: the night of 1 December goes, the 2nd stays.
        pruned = prune_history(instance, tmp_path / "quality", dt.datetime(2025, 12, 2), logs)
    assert pruned.log_files == 1 and "1 run log file(s)" in pruned.summary()
    assert sorted(p.name for p in logs.iterdir()) == ["other.txt", "run-2025-12-02.log", "run-2026-12-03.log",
                                                      "run-notes.log"]


def test_the_cutoff_is_the_retention_period_before_the_night(monkeypatch):
    settings = dataclasses.replace(load_settings(), as_of=dt.date(2026, 12, 2))
    # 365 days before 2 December 2026 is 2 December 2025.
    assert cutoff_for(settings) == dt.datetime(2025, 12, 2)
    assert cutoff_for(settings, 30) == dt.datetime(2026, 11, 2)
    monkeypatch.setenv("BDC_RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="at least 1"):
        retention_days()
