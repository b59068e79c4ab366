"""A quiet night (pipelines/quiet.py) is recorded without a run only when nothing could have changed; every
condition, broken on its own, sends the night to the plan with a reason that names it. The recorded night is
what the missed-night alert and the outputs sensor read.

The copies and runs here are made by hand with a real Dagster instance and real DuckDB files; what changed in
the landing folders and the timeliness verdicts (pipelines/changes.py) is replaced by a stub, so that each
condition can be broken alone. The bench (`make bench`) and the simulation run real quiet nights."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from assets.common import PUBLISHED, table_key
from pipelines import quiet
from pipelines.alert_sensors import last_published_night, missed_night_alert
from pipelines.definitions import defs, published_outputs
from pipelines.quiet import CODE_TAG, UNCHANGED_SINCE, code_fingerprint, quiet_night, record_quiet_night
from pipelines.sensors import WRITER_TAG
from warehouse.settings import load_settings

NIGHT = dt.date(2026, 11, 10)


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A warehouse, both copies and a Dagster instance in which a planned night published them; nothing new."""
    settings = load_settings(data_dir=tmp_path / "data", as_of=NIGHT)
    for path in (settings.warehouse_path, settings.analyst_path):
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.connect(str(path)).close()
    changes = {"look": ({}, set()), "month": "2026-11"}
    monkeypatch.setattr(quiet, "look", lambda s: changes["look"])
    monkeypatch.setattr(quiet, "built_in_month", lambda instance, key: changes["month"])
    instance = dg.DagsterInstance.ephemeral()
    fingerprint = code_fingerprint(settings)
    run_id = publish(settings, instance, {CODE_TAG: fingerprint, WRITER_TAG: "warehouse"})
    return dataclasses.make_dataclass("World", ["settings", "instance", "fingerprint", "run_id", "changes"])(
        settings, instance, fingerprint, run_id, changes)


def publish(settings, instance, tags: dict[str, str], then_fail: bool = False) -> str:
    """A run that writes the BI copy's publish_info for itself (then fails a later step when `then_fail`)."""

    @dg.asset(key=PUBLISHED)
    def published(context) -> None:  # (no annotation: postponed annotations are strings to Dagster)
        settings.published_path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(settings.published_path)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            con.execute("CREATE OR REPLACE TABLE marts.publish_info AS SELECT ? AS run_id, "
                        "TIMESTAMP '2026-11-10 02:30:00' AS published_at, 7 AS published_seq, ?::DATE AS as_of",
                        [context.run_id, settings.as_of])

    @dg.asset(deps=[published])
    def after_publish() -> None:
        if then_fail:
            raise RuntimeError("a step after the publish failed")

    return dg.materialize([published, after_publish], instance=instance, tags=tags, raise_on_error=False).run_id


def other_run(instance, job_name: str, tags: dict[str, str], fails: bool) -> None:
    @dg.op
    def step() -> None:
        if fails:
            raise RuntimeError("failed")

    @dg.job(name=job_name, tags=tags)
    def job() -> None:
        step()

    job.execute_in_process(instance=instance, raise_on_error=False)


def test_a_night_with_nothing_new_is_quiet_recorded_and_read_as_published(world):
    with dg.build_sensor_context(instance=world.instance, definitions=defs) as context:
        built = list(published_outputs(context))  # a real publish: the outputs follow
    assert len(built) == 1 and isinstance(built[0], dg.RunRequest)
    verdict = quiet_night(world.instance, world.settings, world.fingerprint)
    assert verdict.quiet and verdict.since_run == world.run_id and verdict.published_as_of == "2026-11-10"
    tonight = dataclasses.replace(world.settings, as_of=NIGHT + dt.timedelta(days=1))
    record_quiet_night(world.instance, tonight, quiet_night(world.instance, tonight, world.fingerprint), "a test")

    record = json.loads(world.settings.published_path.with_name("bromsgrove.duckdb.night.json").read_text())
    assert record["as_of"] == "2026-11-11" and record[UNCHANGED_SINCE] == world.run_id
    event = world.instance.get_latest_materialization_event(PUBLISHED)
    assert event.asset_materialization.metadata["as_of"].value == "2026-11-11"
    assert event.asset_materialization.metadata[UNCHANGED_SINCE].value == world.run_id
    # the missed-night watch sees the night published; a night later than the record is still missed
    night, at = last_published_night(world.settings.published_path)
    assert night == dt.date(2026, 11, 11)
    assert missed_night_alert(night, at, dt.date(2026, 11, 11), dt.datetime(2026, 11, 11, 7), "t") is None
    assert missed_night_alert(night, at, dt.date(2026, 11, 12), dt.datetime(2026, 11, 12, 7), "t") is not None
    # the outputs are not rebuilt for an unchanged copy
    with dg.build_sensor_context(instance=world.instance, definitions=defs) as context:
        evaluated = list(published_outputs(context))
    assert len(evaluated) == 1 and isinstance(evaluated[0], dg.SkipReason)
    # the next night is quiet too, and still names the run that made the copy
    later = dataclasses.replace(world.settings, as_of=NIGHT + dt.timedelta(days=2))
    assert quiet_night(world.instance, later, world.fingerprint).since_run == world.run_id


def test_a_quiet_record_for_an_earlier_copy_does_not_count_for_a_new_one(world):
    tonight = dataclasses.replace(world.settings, as_of=NIGHT + dt.timedelta(days=5))
    record_quiet_night(world.instance, tonight, quiet_night(world.instance, tonight, world.fingerprint), "a test")
    publish(world.settings, world.instance, {CODE_TAG: world.fingerprint, WRITER_TAG: "warehouse"})  # 10 Nov again
    assert last_published_night(world.settings.published_path)[0] == NIGHT  # the new copy's own night


@pytest.mark.parametrize("breaking, reason", [
    ("code changed", "the code or settings changed since the last publish"),
    ("a landing sensor's run published", "the code or settings changed since the last publish"),
    ("the publishing run failed later", "is not a successful run"),
    ("a run wrote the warehouse since", "ran on the warehouse since the last publish"),
    ("an asset was materialised from the UI since", "ran on the warehouse since the last publish"),
    ("the outputs failed since", "did not succeed"),
    ("the copy on disk is another run's", "the published copy is not the one run"),
    ("no analyst copy", "no analyst copy yet"),
    ("alerts raised since", "alerts were raised since the last publish"),
    ("a past night", "is before the last one recorded"),
    ("a new month", "the night is in 2026-11"),
    ("a new file", "new or changed files for crm_contacts"),
    ("a timeliness verdict changes", "timeliness verdicts change tonight"),
    ("the warehouse is being written", "the warehouse is being written"),
])
def test_any_change_makes_the_night_a_planned_one_and_says_why(world, breaking, reason):
    settings, instance = world.settings, world.instance
    if breaking == "code changed":
        publish(settings, instance, {CODE_TAG: "0123456789abcdef", WRITER_TAG: "warehouse"})
    elif breaking == "a landing sensor's run published":
        publish(settings, instance, {WRITER_TAG: "warehouse", "bdc/trigger": "landing sensor"})
    elif breaking == "the publishing run failed later":
        publish(settings, instance, {CODE_TAG: world.fingerprint, WRITER_TAG: "warehouse"}, then_fail=True)
    elif breaking == "a run wrote the warehouse since":
        other_run(instance, "nightly", {WRITER_TAG: "warehouse"}, fails=False)
    elif breaking == "an asset was materialised from the UI since":
        other_run(instance, "__ASSET_JOB", {}, fails=False)  # no writer tag: the UI's own asset job
    elif breaking == "the outputs failed since":
        other_run(instance, "outputs", {}, fails=True)
    elif breaking == "the copy on disk is another run's":
        with duckdb.connect(str(settings.published_path)) as con:
            con.execute("UPDATE marts.publish_info SET run_id = 'a-restored-backup'")
    elif breaking == "no analyst copy":
        settings.analyst_path.unlink()
    elif breaking == "alerts raised since":
        raise_alert(settings.alerts_path, "late source")
    elif breaking == "a past night":
        settings = dataclasses.replace(settings, as_of=NIGHT - dt.timedelta(days=1))
    elif breaking == "a new month":
        world.changes["month"] = "2026-10"
    elif breaking == "a new file":
        world.changes["look"] = ({"crm_contacts": ["crm_contacts_2026-10.csv"]}, set())
    elif breaking == "a timeliness verdict changes":
        world.changes["look"] = ({}, {table_key("staging.crm_contacts")})
    elif breaking == "the warehouse is being written":
        world.changes["look"] = None
    verdict = quiet_night(instance, settings, world.fingerprint)
    assert not verdict.quiet and reason in verdict.reason


def raise_alert(alerts_path, title: str) -> None:
    with duckdb.connect(str(alerts_path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS audit")
        con.execute("CREATE TABLE IF NOT EXISTS audit.alerts (alert_key VARCHAR, title VARCHAR)")
        con.execute("INSERT INTO audit.alerts VALUES (?, ?)", [title, title])


def test_alerts_the_copy_already_holds_keep_the_night_quiet(world):
    raise_alert(world.settings.alerts_path, "late source")
    with duckdb.connect(str(world.settings.published_path)) as con:  # as the publish copies them
        con.execute("CREATE SCHEMA IF NOT EXISTS audit")
        con.execute(f"ATTACH '{world.settings.alerts_path}' AS alerts_db")
        con.execute("CREATE TABLE audit.alerts AS FROM alerts_db.audit.alerts")
    assert quiet_night(world.instance, world.settings, world.fingerprint).quiet
    raise_alert(world.settings.alerts_path, "another")
    assert "alerts were raised" in quiet_night(world.instance, world.settings, world.fingerprint).reason


def test_quiet_is_quiet_only_for_the_same_code_and_settings(world):
    again = code_fingerprint(load_settings(data_dir=world.settings.data_dir, as_of=NIGHT + dt.timedelta(days=3)))
    assert again == world.fingerprint  # the night's date is not part of it
    for changed in ({"analyst_special_category": not world.settings.analyst_special_category},
                    {"reports_pdf": not world.settings.reports_pdf}, {"analyst_path": None}):
        assert code_fingerprint(dataclasses.replace(world.settings, **changed)) != world.fingerprint, changed


def test_outputs_and_retention_runs_since_the_publish_keep_the_night_quiet(world):
    other_run(world.instance, "outputs", {}, fails=False)
    other_run(world.instance, "retention_job", {}, fails=False)
    assert quiet_night(world.instance, world.settings, world.fingerprint).quiet


def test_no_warehouse_or_no_copy_is_never_quiet(world):
    world.settings.published_path.unlink()
    assert quiet_night(world.instance, world.settings, world.fingerprint).reason == \
        "no warehouse or no published copy yet"
