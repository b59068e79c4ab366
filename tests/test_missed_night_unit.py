"""The missed-night watch (pipelines/alert_sensors.py `tonights_missed_alert`, `check_published`) on a hand-made
published copy, no night: nothing read before the deadline hour; from it, an ERROR when the copy is for an earlier
night (or there is none), none when the copy, or Dagster's record of a publish, is tonight's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines import alert_sensors
from pipelines.alert_sensors import check_published, tonights_missed_alert
from pipelines.alerts import AlertStore
from warehouse.settings import Settings, SettingsResource

NIGHT = dt.date(2026, 11, 12)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("BDC_NIGHTLY_DEADLINE_HOUR", raising=False)  # 06:00
    monkeypatch.setenv("BDC_DAGSTER_URL", "https://dagster.example")
    return SettingsResource(data_dir=str(tmp_path / "data"), as_of=NIGHT.isoformat()).get()


def _at(monkeypatch: pytest.MonkeyPatch, hour: int, minute: int = 0) -> None:
    monkeypatch.setattr(alert_sensors.clock, "timestamp", lambda: dt.datetime.combine(NIGHT, dt.time(hour, minute)))


def _published(settings: Settings, night: dt.date, at: dt.datetime) -> None:
    settings.published_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.published_path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("CREATE TABLE IF NOT EXISTS marts.publish_info (as_of DATE, published_at TIMESTAMP, "
                    "run_id VARCHAR)")
        con.execute("INSERT INTO marts.publish_info VALUES (?, ?, ?)", [night, at, f"run-{night}"])


def test_nothing_is_read_before_the_deadline_hour(settings, monkeypatch) -> None:
    _at(monkeypatch, 5, 59)
    settings.published_path.parent.mkdir(parents=True)
    settings.published_path.write_text("not a database")  # it would fail if it were opened
    assert tonights_missed_alert("the test", settings) == (None, None)


def test_from_the_deadline_an_earlier_night_s_copy_is_a_missed_night(settings, monkeypatch) -> None:
    _published(settings, dt.date(2026, 11, 10), dt.datetime(2026, 11, 10, 2, 40))
    _published(settings, dt.date(2026, 11, 11), dt.datetime(2026, 11, 11, 2, 35))
    _at(monkeypatch, 6)
    alert, night = tonights_missed_alert("the daemon's sensor", settings)
    assert night == dt.date(2026, 11, 11)
    assert (alert.kind, alert.severity, alert.title, alert.key_parts) == (
        "nightly_missed", "ERROR", "[ERROR] No nightly load published for 12 November 2026", (NIGHT,))
    assert alert.body.splitlines() == [
        "ERROR: no nightly load has been published for Thursday 12 November 2026 by 06:00.",
        "The published warehouse is last published 11 November 2026 02:35 (for the night of 11 November 2026); "
        "readers still see that copy.",
        "Possible causes: the nightly run failed (see the Dagster UI), the nightly_0200 schedule is stopped, the "
        "Dagster daemon is not running, or a run is stuck holding the warehouse.",
        "Noticed by: the daemon's sensor.",
        "Dagster UI: https://dagster.example"]
    _published(settings, NIGHT, dt.datetime(2026, 11, 12, 6, 5))  # a late run published after all
    assert tonights_missed_alert("the daemon's sensor", settings) == (None, NIGHT)
    # The copy's own record wins over Dagster's (an older publish, say, of a run whose copy was replaced since).
    assert tonights_missed_alert("the daemon's sensor", settings, dt.datetime(2026, 11, 10, 2)) == (None, NIGHT)


def test_with_no_copy_dagster_s_record_of_a_publish_counts_and_else_it_was_never_published(settings,
                                                                                         monkeypatch) -> None:
    _at(monkeypatch, 7)
    assert tonights_missed_alert("t", settings, dt.datetime(2026, 11, 12, 2, 30)) == (None, NIGHT)
    alert, night = tonights_missed_alert("t", settings, dt.datetime(2026, 11, 11, 2, 30))
    assert night == dt.date(2026, 11, 11) and "last published 11 November 2026 02:30" in alert.body
    alert, night = tonights_missed_alert("t", settings)
    assert night is None and "The published warehouse is never published;" in alert.body


def test_the_systemd_watch_exits_1_and_stores_the_alert_once(settings, monkeypatch) -> None:
    _at(monkeypatch, 3)
    assert check_published("the systemd timer", settings) == (0, "Not yet the deadline hour: nothing to check")
    _at(monkeypatch, 6, 30)
    _published(settings, dt.date(2026, 11, 11), dt.datetime(2026, 11, 11, 2, 35))
    status, said = check_published("the systemd timer", settings)
    assert (status, said) == (1, "[ERROR] No nightly load published for 12 November 2026")
    assert check_published("the systemd timer", settings)[0] == 1  # still missed: said again, stored once
    store = AlertStore(settings.alerts_path)
    with store._connect() as con:
        [(kind, count, body)] = con.execute("SELECT kind, count(*), any_value(body) FROM audit.alerts GROUP BY ALL"
                                            ).fetchall()
    assert (kind, count) == ("nightly_missed", 1) and "Noticed by: the systemd timer." in body.splitlines()
    _published(settings, NIGHT, dt.datetime(2026, 11, 12, 6, 45))
    assert check_published("the systemd timer", settings) == (
        0, f"Published for the night of {NIGHT}: {settings.published_path}")


def test_a_copy_published_after_midnight_counts_for_its_own_night_not_the_calendar_day(settings, monkeypatch) -> None:
    # The night of the 11th, published at 00:40 on the 12th (a run that started late): by 06:00 on the 12th that
    # copy is the 11th's, so the 12th's is missed.
    _published(settings, dt.date(2026, 11, 11), dt.datetime(2026, 11, 12, 0, 40))
    _at(monkeypatch, 6)
    alert, night = tonights_missed_alert("t", settings)
    assert night == dt.date(2026, 11, 11) and alert.title == "[ERROR] No nightly load published for 12 November 2026"


def test_a_copy_from_before_as_of_was_recorded_is_judged_by_its_publish_date(settings, monkeypatch) -> None:
    settings.published_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.published_path)) as con:  # publish_info without its as_of column
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.publish_info AS SELECT TIMESTAMP '2026-11-12 02:30' AS published_at, "
                    "'run-1' AS run_id")
    _at(monkeypatch, 6)
    assert tonights_missed_alert("t", settings) == (None, NIGHT)
