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
from dagster._core.test_utils import create_run_for_test

from assets import common
from assets.common import CODE_FINGERPRINT, FINGERPRINTED_SETTINGS, PUBLISHED, code_fingerprint, table_key
from pipelines import quiet
from pipelines.alert_sensors import last_published_night, missed_night_alert
from pipelines.definitions import LANDING_SENSORS, defs, published_outputs
from pipelines.quiet import CODE_TAG, UNCHANGED_SINCE, inherited_code_tag, quiet_night, record_quiet_night
from pipelines.sensors import WRITER_TAG
from warehouse.council import load_council
from warehouse.settings import SettingsResource, load_settings

NIGHT = dt.date(2026, 11, 10)


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A warehouse, both copies and a Dagster instance in which a planned night published them; nothing new."""
    settings = load_settings(data_dir=tmp_path / "data", as_of=NIGHT)
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:  # the verdicts a quiet night leaves standing
        con.execute("CREATE SCHEMA audit")
        con.execute("CREATE TABLE audit.check_results (subject_type VARCHAR, subject VARCHAR, check_name VARCHAR, "
                    "status VARCHAR, seq BIGINT)")
        con.execute("""INSERT INTO audit.check_results VALUES
            ('source', 'crm_contacts', 'accurate', 'fail', 1), ('source', 'crm_contacts', 'accurate', 'pass', 2),
            ('source', 'lettings', 'timely', 'warn', 3), ('measure', 'missed_bins', 'reliable', 'fail', 4),
            ('source', 'llpg', 'timely', 'pass', 5)""")  # standing: 1 fail (missed bins), 1 warn (lettings)
    changes = {"look": ({}, set()), "month": "2026-11"}
    monkeypatch.setattr(quiet, "look", lambda s: changes["look"](s) if callable(changes["look"]) else changes["look"])
    monkeypatch.setattr(quiet, "built_in_month", lambda instance, key: changes.get(key.to_user_string(),
                                                                                   changes["month"]))
    instance = dg.DagsterInstance.ephemeral()
    fingerprint = code_fingerprint(settings)
    run_id = publish(settings, instance, {CODE_TAG: fingerprint, WRITER_TAG: "warehouse"})
    return dataclasses.make_dataclass("World", ["settings", "instance", "fingerprint", "run_id", "changes"])(
        settings, instance, fingerprint, run_id, changes)


def publish(settings, instance, tags: dict[str, str], then_fail: bool = False, ran_with: str | None = None) -> str:
    """A run that writes both copies' publish_info for itself and records the code it ran with (the plan's,
    `tags[CODE_TAG]`, unless `ran_with`); then fails a later step when `then_fail`."""

    @dg.asset(key=PUBLISHED)
    def published(context) -> dg.MaterializeResult:  # (no annotation on context: Dagster reads it as a string)
        for copy in (settings.published_path, settings.analyst_path):
            copy.parent.mkdir(parents=True, exist_ok=True)
            with duckdb.connect(str(copy)) as con:
                con.execute("CREATE SCHEMA IF NOT EXISTS marts")
                con.execute("CREATE OR REPLACE TABLE marts.publish_info AS SELECT ? AS run_id, TIMESTAMP "
                            "'2026-11-10 02:30:00' AS published_at, 7 AS published_seq, ?::DATE AS as_of",
                            [context.run_id, settings.as_of])
        return dg.MaterializeResult(metadata={CODE_FINGERPRINT: ran_with or tags.get(CODE_TAG, "none")})

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
    standing = record_quiet_night(world.instance, tonight, quiet_night(world.instance, tonight, world.fingerprint),
                                  "a test")
    assert standing == (1, 1)  # missed bins' reliable (fail) and lettings' timely (warn); crm's fail was fixed

    record = json.loads(world.settings.published_path.with_name("bromsgrove.duckdb.night.json").read_text())
    assert record["as_of"] == "2026-11-11" and record[UNCHANGED_SINCE] == world.run_id
    event = world.instance.get_latest_materialization_event(PUBLISHED)
    assert event.asset_materialization.metadata["as_of"].value == "2026-11-11"
    assert event.asset_materialization.metadata[UNCHANGED_SINCE].value == world.run_id
    assert event.asset_materialization.metadata["standing_errors"].value == 1
    # the missed-night watch sees the night published; a night later than the record is still missed
    night, at = last_published_night(world.settings.published_path)
    assert night == dt.date(2026, 11, 11)
    assert missed_night_alert(night, at, dt.date(2026, 11, 11), dt.datetime(2026, 11, 11, 7), "t") is None
    assert missed_night_alert(night, at, dt.date(2026, 11, 12), dt.datetime(2026, 11, 12, 7), "t") is not None
    # the outputs are not rebuilt for an unchanged copy: the request repeats the run key the publish's outputs
    # had, so the daemon starts nothing (it would, had the sensor missed that publish)
    with dg.build_sensor_context(instance=world.instance, definitions=defs) as context:
        evaluated = list(published_outputs(context))
    assert [r.run_key for r in evaluated] == [built[0].run_key] == [f"published-{world.run_id}"]
    # the next night is quiet too, and still names the run that made the copy
    later = dataclasses.replace(world.settings, as_of=NIGHT + dt.timedelta(days=2))
    assert quiet_night(world.instance, later, world.fingerprint).since_run == world.run_id


def test_a_landing_sensors_run_on_the_same_code_leaves_a_night_that_can_be_quiet(world):
    # A delivery loaded by a landing sensor during the day, on the code the last planned night ran: its run
    # inherits the code tag, and the next night (nothing else new) is quiet; so is a second delivery's run.
    folder = world.settings.landing_dir / "crm_contacts"
    folder.mkdir(parents=True)
    (folder / "crm_contacts_2026-10.csv").write_text("a delivery\n")
    sensor = next(s for s in LANDING_SENSORS if s.name == "crm_contacts_landing")
    resources = {"settings": SettingsResource(data_dir=str(world.settings.data_dir))}
    cursor = None
    for _ in range(2):  # the file is stable on the second tick
        with dg.build_sensor_context(instance=world.instance, cursor=cursor, resources=resources) as context:
            request = sensor(context)
            cursor = context.cursor
    assert isinstance(request, dg.RunRequest) and request.tags[CODE_TAG] == world.fingerprint
    landed = publish(world.settings, world.instance, request.tags)
    verdict = quiet_night(world.instance, world.settings, world.fingerprint)
    assert verdict.quiet and verdict.since_run == landed
    # a second delivery's run inherits it from the first's
    assert inherited_code_tag(world.instance, world.settings) == {CODE_TAG: world.fingerprint}


@pytest.mark.parametrize("before", ["code changed", "planned with other code, ran with this code",
                                    "planned with this code, ran with other code",
                                    "the publishing run failed later", "a run wrote since",
                                    "the outputs failed since", "an untagged sensor's run published"])
def test_a_landing_sensors_run_inherits_no_code_tag_from_a_copy_it_cannot_vouch_for(world, before):
    settings, instance = world.settings, world.instance
    if before == "code changed":  # the copy was made by other code: what this code reaches was not rebuilt
        publish(settings, instance, {CODE_TAG: "0123456789abcdef", WRITER_TAG: "warehouse"})
    elif before == "planned with other code, ran with this code":  # a deploy between the plan and the run
        publish(settings, instance, {CODE_TAG: "0123456789abcdef", WRITER_TAG: "warehouse"},
                ran_with=world.fingerprint)
    elif before == "planned with this code, ran with other code":
        publish(settings, instance, {CODE_TAG: world.fingerprint, WRITER_TAG: "warehouse"}, ran_with="0123abcd")
    elif before == "the publishing run failed later":
        publish(settings, instance, {CODE_TAG: world.fingerprint, WRITER_TAG: "warehouse"}, then_fail=True)
    elif before == "a run wrote since":
        other_run(instance, "nightly", {WRITER_TAG: "warehouse"}, fails=False)
    elif before == "the outputs failed since":
        other_run(instance, "outputs", {}, fails=True)
    else:
        publish(settings, instance, {WRITER_TAG: "warehouse", "bdc/trigger": "landing sensor"})
    assert inherited_code_tag(instance, settings) == {}
    publish(settings, instance, {WRITER_TAG: "warehouse", "bdc/trigger": "landing sensor"})
    assert not quiet_night(instance, settings, world.fingerprint).quiet


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
    ("a run is in progress", "a run is queued or in progress"),
    ("planned with this code, ran with other code", "the code or settings changed since the last publish"),
    ("the analyst copy is another run's", "the analyst copy is not the one run"),
    ("deciding raised an error", "the quiet-night check failed (OSError: disk gone)"),
    ("an asset was materialised from the UI since", "ran on the warehouse since the last publish"),
    ("the outputs failed since", "did not succeed"),
    ("the copy on disk is another run's", "the published copy is not the one run"),
    ("no analyst copy", "no analyst copy yet"),
    ("alerts raised since", "alerts were raised since the last publish"),
    ("a past night", "is before the last one recorded"),
    ("a new month", "the night is in 2026-11"),
    ("the disclosed values are from last month", "the night is in 2026-11: marts/disclosed_values are due"),
    ("a night before the last quiet one", "is before the last one recorded (2026-11-12)"),
    ("a new file", "new or changed files for crm_contacts"),
    ("a timeliness verdict changes", "timeliness verdicts change tonight"),
    ("a period turns provisional", "a period in progress turns provisional tonight"),
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
    elif breaking == "a run is in progress":
        create_run_for_test(instance, job_name="nightly", status=dg.DagsterRunStatus.STARTED)
    elif breaking == "planned with this code, ran with other code":  # a deploy between the tick and the run
        publish(settings, instance, {CODE_TAG: world.fingerprint, WRITER_TAG: "warehouse"}, ran_with="0123abcd")
    elif breaking == "the analyst copy is another run's":
        with duckdb.connect(str(settings.analyst_path)) as con:
            con.execute("UPDATE marts.publish_info SET run_id = 'a-restored-backup'")
    elif breaking == "deciding raised an error":
        def broken(settings):
            raise OSError("disk gone")
        world.changes["look"] = broken
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
    elif breaking == "the disclosed values are from last month":
        world.changes["marts/disclosed_values"] = "2026-10"
    elif breaking == "a night before the last quiet one":
        later = dataclasses.replace(settings, as_of=dt.date(2026, 11, 12))
        record_quiet_night(instance, later, quiet_night(instance, later, world.fingerprint), "a test")
        settings = dataclasses.replace(settings, as_of=dt.date(2026, 11, 11))
    elif breaking == "a new month":
        world.changes["month"] = "2026-10"
    elif breaking == "a new file":
        world.changes["look"] = ({"crm_contacts": ["crm_contacts_2026-10.csv"]}, set())
    elif breaking == "a timeliness verdict changes":
        world.changes["look"] = ({}, {table_key("staging.crm_contacts")})
    elif breaking == "a period turns provisional":
        world.changes["look"] = ({}, {table_key("marts.period_completeness")})
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


def test_quiet_is_quiet_only_for_the_same_code_and_settings(world, tmp_path, monkeypatch):
    again = code_fingerprint(load_settings(data_dir=world.settings.data_dir, as_of=NIGHT + dt.timedelta(days=3)))
    assert again == world.fingerprint  # the night's date is not part of it
    for name in FINGERPRINTED_SETTINGS:
        value = getattr(world.settings, name)
        changed = (not value) if isinstance(value, bool) else (tmp_path / "elsewhere" if value else "group")
        assert code_fingerprint(dataclasses.replace(world.settings, **{name: changed})) != world.fingerprint, name
    rotated = dataclasses.replace(world.settings, pseudonym_key="another-key-for-tests-only-0123456789")
    assert code_fingerprint(rotated) != world.fingerprint
    # another council's profile, or one field of it, is another warehouse's code
    assert code_fingerprint(dataclasses.replace(world.settings, council=load_council("redditch"))) != world.fingerprint
    renamed = world.settings.council.model_copy(update={"area_name": "Bromsgrove Borough"})
    assert code_fingerprint(dataclasses.replace(world.settings, council=renamed)) != world.fingerprint
    # a lake turned on needs a publish to commit its first night (warehouse/lake.py)
    monkeypatch.setenv("BDC_LAKE_CATALOG", "dbname=ducklake host=127.0.0.1")
    monkeypatch.setenv("BDC_LAKE_DATA_PATH", str(tmp_path / "lake"))
    assert code_fingerprint(world.settings) != world.fingerprint
    monkeypatch.delenv("BDC_LAKE_CATALOG")
    # any file of the packages counts, not only Python: SQL, the catalogue's YAML
    (tmp_path / "warehouse" / "catalogue").mkdir(parents=True)
    monkeypatch.setattr(common, "ROOT", tmp_path)
    monkeypatch.setattr(common, "CODE_PACKAGES", ("warehouse",))
    (tmp_path / "warehouse" / "catalogue" / "m.yaml").write_text("id: m\n")
    before = common._loaded_code()
    (tmp_path / "warehouse" / "catalogue" / "m.yaml").write_text("id: m2\n")
    assert common._loaded_code() != before


def test_a_night_file_never_claims_more_than_it_may(world):
    tonight = dataclasses.replace(world.settings, as_of=NIGHT + dt.timedelta(days=1))
    record_quiet_night(world.instance, tonight, quiet_night(world.instance, tonight, world.fingerprint), "a test")
    path = world.settings.published_path.with_name("bromsgrove.duckdb.night.json")
    record = json.loads(path.read_text())
    # a future night (a mistyped BDC_AS_OF) counts only up to the day the file was written
    path.write_text(json.dumps({**record, "as_of": "2031-01-01", "recorded_at": "2026-11-12T02:00:00"}))
    assert last_published_night(world.settings.published_path)[0] == dt.date(2026, 11, 12)
    path.write_text(json.dumps({**record, "as_of": "not a date"}))  # a broken file counts for nothing
    assert last_published_night(world.settings.published_path)[0] == NIGHT


def test_outputs_and_retention_runs_since_the_publish_keep_the_night_quiet(world):
    other_run(world.instance, "outputs", {}, fails=False)
    other_run(world.instance, "retention_job", {}, fails=False)
    assert quiet_night(world.instance, world.settings, world.fingerprint).quiet


def test_no_warehouse_or_no_copy_is_never_quiet(world):
    world.settings.published_path.unlink()
    assert quiet_night(world.instance, world.settings, world.fingerprint).reason == \
        "no warehouse or no published copy yet"


def test_every_period_ends_on_a_month_end_as_the_monthly_rebuild_assumes():
    # pipelines/changes.py rebuilds what depends on ended periods (disclosed values, commentary status) when a
    # night falls in a new month: right only while every catalogue period ends on a month's last day.
    from warehouse.catalogue import FREQUENCIES, catalogue

    assert set(FREQUENCIES) == {"monthly", "quarterly", "annual"}, "a new frequency: extend MONTHLY's rule"
    assert {m.frequency for m in catalogue().measures.values()} <= set(FREQUENCIES)


def test_the_schedule_plans_from_what_its_quiet_check_read(world, monkeypatch):
    # A tick reads the landing folders and the timeliness verdicts once: the quiet check's read is the plan's
    # (a second read cost seconds a tick, and could see a file the first did not).
    from pipelines import selection
    from pipelines.definitions import nightly_schedule

    world.changes["look"] = ({"crm_contacts": ["crm_contacts_2026-10.csv"]}, set())
    monkeypatch.setattr(selection, "look", lambda *args, **kwargs: pytest.fail("the plan read them again"))
    resource = SettingsResource(data_dir=str(world.settings.data_dir), as_of=NIGHT.isoformat())
    # (Dagster's test context loses an ephemeral instance when it binds resources: hand it back)
    monkeypatch.setattr(dg.ScheduleEvaluationContext, "instance", property(lambda context: world.instance))
    with dg.build_schedule_context(resources={"settings": resource}) as context:
        request = nightly_schedule(context)
    assert isinstance(request, dg.RunRequest), request
    assert "new or changed files for crm_contacts" in request.tags["bdc/not_quiet"]
    assert table_key("raw.crm_contacts") in request.asset_selection


def test_a_warehouse_from_before_a_new_audit_column_gets_a_planned_night_not_a_crash(tmp_path):
    # The quiet check and the plan read the warehouse before tonight's migrations run; a column added since
    # (here duplicate_deliveries.seen_as_of) must make the night a planned one, which adds it.
    from pipelines.changes import look
    from warehouse.db import ensure_schemas, prepare

    settings = load_settings(data_dir=tmp_path / "data", as_of=NIGHT)
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        prepare(con, "tests-only-pseudonym-key-not-secret-0123456789")
        ensure_schemas(con)
        con.execute("ALTER TABLE audit.duplicate_deliveries DROP COLUMN seen_as_of")
    assert look(settings) is None
