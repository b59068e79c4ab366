"""One Dagster code location serving several councils (pipelines/councils_definitions.py): each council has its own
assets (keys beginning with its id), jobs, schedule, sensors, warehouse and pseudonym key; a run is for exactly one
council; one council's failed night holds back only its own publish, and the other's figures are those of its own
single-council location."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from dagster._config import process_config
from dagster._utils.tags import TagConcurrencyLimitsCounter

from assets.common import code_fingerprint
from pipelines.councils_definitions import build_shared_definitions
from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, build_definitions, tonight
from pipelines.nightly import run_nightly
from pipelines.quiet import CODE_TAG, quiet_night
from tests.conftest import FIXTURE_LANDING, resource_for, with_profile
from warehouse.council import load_council
from warehouse.resource import SharedWarehouseResource
from warehouse.settings import (
    MissingPseudonymKey,
    SharedSettingsResource,
    council_of_run,
    require_pseudonym_key,
)

COUNCILS = ["bromsgrove", "redditch"]
DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "councils"
KEYS = {"BDC_PSEUDONYM_KEY_BROMSGROVE": "tests-only-key-of-bromsgrove-0123456789abcdef",
        "BDC_PSEUDONYM_KEY_REDDITCH": "tests-only-key-of-redditch-0123456789abcdefgh"}


@pytest.fixture(scope="module")
def shared() -> dg.RepositoryDefinition:
    repository = build_shared_definitions(COUNCILS).get_repository_def()
    repository.load_all_definitions()
    return repository


def _own_keys() -> set[tuple[str, ...]]:
    return {tuple(k.path) for d in [*ALL_ASSETS, *ALL_CHECKS] for k in d.keys}


@pytest.mark.night
def test_each_council_has_its_own_assets_jobs_schedules_and_sensors(shared):
    graph = shared.asset_graph
    keys = graph.get_all_asset_keys()
    own = _own_keys()
    own_location = build_definitions().get_repository_def()
    own_jobs = {name: {tuple(k.path) for k in own_location.get_job(name).asset_layer.selected_asset_keys}
                for name in ("nightly", "outputs")}
    for council in COUNCILS:
        mine = {tuple(k.path[1:]) for k in keys if k.path[0] == council}
        assert mine == own  # every asset of a council's own location, once, under the council's id
        job = shared.get_job(f"{council}__nightly")
        assert job.tags["bdc/council"] == job.tags["bdc/writer"] == council
        for name, selected in own_jobs.items():  # the same assets as a council's own jobs, all of them its own
            job_keys = shared.get_job(f"{council}__{name}").asset_layer.selected_asset_keys
            assert {tuple(k.path) for k in job_keys} == {(council, *k) for k in selected}
        # Its measure values are built from its own measures only (dependencies follow the keys).
        node = graph.get(dg.AssetKey([council, "marts", "measure_values"]))
        assert node.parent_keys and {p.path[0] for p in node.parent_keys} == {council}
        assert node.group_name == f"{council}_marts"  # the UI shows each council's groups apart
        assert node.owners == [f"policy.team@{council}.example", "team:policy"]  # its owners, at its domain
    assert len(keys) == len(COUNCILS) * len(own)  # no key shared by two councils
    assert {s.name for s in shared.schedule_defs} == {f"{c}__{n}" for c in COUNCILS
                                                       for n in ("nightly_0200", "retention_0500")}
    own_sensors = {s.name for s in own_location.sensor_defs}
    assert {s.name for s in shared.sensor_defs} == {f"{c}__{n}" for c in COUNCILS for n in own_sensors}
    assert {s.name for s in shared.sensor_defs} >= {"redditch__crm_contacts_landing", "redditch__alert_on_checks"}


def test_a_profile_that_does_not_load_leaves_only_that_council_out(caplog):
    repository = build_shared_definitions(["redditch", "wyre_forest"]).get_repository_def()
    assert {j.name for j in repository.get_all_jobs()} >= {"redditch__nightly", "redditch__outputs"}
    assert not any(j.name.startswith("wyre_forest") for j in repository.get_all_jobs())
    assert "council 'wyre_forest' left out of the shared code location" in caplog.text


def test_a_run_is_for_exactly_one_council():
    redditch_keys = [dg.AssetKey(["redditch", "raw", "crm_contacts"])]
    assert council_of_run(dg.DagsterRun("redditch__nightly", tags={"bdc/council": "redditch"})) == "redditch"
    # A materialisation started from the asset graph: the council of the assets it selected.
    assert council_of_run(dg.DagsterRun("__ASSET_JOB", asset_selection=frozenset(redditch_keys))) == "redditch"
    mixed = frozenset([*redditch_keys, dg.AssetKey(["bromsgrove", "raw", "crm_contacts"])])
    with pytest.raises(dg.Failure, match="This run is for bromsgrove, redditch: .* exactly one council"):
        council_of_run(dg.DagsterRun("__ASSET_JOB", asset_selection=mixed))
    with pytest.raises(dg.Failure, match="This run is for no council"):
        council_of_run(dg.DagsterRun("__ASSET_JOB"))
    with pytest.raises(dg.Failure, match="bromsgrove, redditch"):  # a tag that contradicts the selection
        council_of_run(dg.DagsterRun("__ASSET_JOB", asset_selection=frozenset(redditch_keys),
                                     tags={"bdc/council": "bromsgrove"}))


def test_the_queue_runs_councils_side_by_side_but_one_writer_each(shared):
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["run_coordinator"]["config"]
    assert process_config(dg.QueuedRunCoordinator.config_type(), config).success
    assert config["max_concurrent_runs"] > 1
    runs = {c: dg.DagsterRun(f"{c}__nightly", tags=shared.get_job(f"{c}__nightly").tags) for c in COUNCILS}
    counter = TagConcurrencyLimitsCounter(config["tag_concurrency_limits"], [runs["bromsgrove"]])
    assert counter.is_blocked(dg.DagsterRun("bromsgrove__nightly", tags=runs["bromsgrove"].tags))
    assert not counter.is_blocked(runs["redditch"])  # another council's night is not held back
    outputs = dg.DagsterRun("bromsgrove__outputs", tags=shared.get_job("bromsgrove__outputs").tags)
    assert not counter.is_blocked(outputs)  # reads only the published copy
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["python_module"]["module_name"] == "pipelines.councils_definitions"


def test_each_council_needs_its_own_pseudonym_key_in_the_shared_location(tmp_path, monkeypatch):
    settings = SharedSettingsResource(data_dir=str(tmp_path)).for_council("redditch").get()
    (settings.landing_dir / "crm_contacts").mkdir(parents=True)
    (settings.landing_dir / "crm_contacts" / "contacts.csv").write_text("a real extract\n")
    monkeypatch.setenv("BDC_PSEUDONYM_KEY", "a-key-every-council-would-share-0123456789")
    monkeypatch.delenv("BDC_PSEUDONYM_KEY_REDDITCH", raising=False)
    with pytest.raises(MissingPseudonymKey, match="BDC_PSEUDONYM_KEY_REDDITCH is not set"):
        require_pseudonym_key(settings)
    monkeypatch.setenv("BDC_PSEUDONYM_KEY_REDDITCH", KEYS["BDC_PSEUDONYM_KEY_REDDITCH"])
    require_pseudonym_key(settings)
    assert SharedSettingsResource(data_dir=str(tmp_path)).for_council("redditch").get().pseudonym_key == \
        KEYS["BDC_PSEUDONYM_KEY_REDDITCH"]


@pytest.mark.night
def test_one_council_s_failed_night_holds_back_only_its_own(tmp_path, monkeypatch, warehouse_env):
    for name, key in KEYS.items():
        monkeypatch.setenv(name, key)
    root = tmp_path / "shared"
    for council in COUNCILS:  # the fixture is Bromsgrove's: its wards are not Redditch's
        shutil.copytree(FIXTURE_LANDING, root / "councils" / council / "landing")
    definitions = build_shared_definitions(COUNCILS, data_dir=str(root))
    instance = dg.DagsterInstance.ephemeral()
    settings = {c: SharedSettingsResource(data_dir=str(root)).for_council(c).get() for c in COUNCILS}
    tags = {CODE_TAG: code_fingerprint(settings["bromsgrove"])}
    bromsgrove = run_nightly(definitions, instance=instance, log_level="ERROR", job_name="bromsgrove__nightly",
                             tags=tags)
    redditch = run_nightly(definitions, instance=instance, log_level="CRITICAL", job_name="redditch__nightly")

    assert bromsgrove.success and not redditch.success
    assert "redditch/marts/dashboard_demographics:accurate" in redditch.checks_errored
    assert settings["bromsgrove"].published_path.exists()
    assert not settings["redditch"].published_path.exists()  # its publish waits for its checks
    for council, district in (("bromsgrove", ("E07000234", "Bromsgrove District")),
                              ("redditch", ("E07000236", "Redditch Borough"))):  # each run scoped to its council
        with duckdb.connect(str(settings[council].warehouse_path), read_only=True) as con:
            assert con.execute("SELECT area_code, area_name FROM core.dim_area WHERE area_type = 'district'"
                               ).fetchall() == [district]
    assert instance.get_latest_materialization_event(dg.AssetKey(["bromsgrove", "published", "warehouse"]))
    assert not instance.get_latest_materialization_event(dg.AssetKey(["redditch", "published", "warehouse"]))
    # Redditch's failed run is not Bromsgrove's: Bromsgrove's next night is quiet (nothing new since its own run,
    # which is read from its own history: its publish, its monthly assets, its runs).
    verdict = quiet_night(instance, settings["bromsgrove"], tags[CODE_TAG])
    assert verdict.quiet and verdict.since_run == bromsgrove.run_id, verdict.reason
    # Its failure is alerted to Redditch's owners (its alert store), not to Bromsgrove's.
    failure = instance.get_records_for_run(redditch.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records[-1]
    repository = definitions.get_repository_def()
    for council in COUNCILS:
        sensor = repository.get_sensor_def(f"{council}__alert_on_failed_run")
        with dg.build_run_status_sensor_context(
                sensor_name=sensor.name, dagster_event=failure.event_log_entry.dagster_event, dagster_instance=instance,
                dagster_run=instance.get_run_by_id(redditch.run_id),
                resources={"settings": SharedSettingsResource(data_dir=str(root))}) as context:
            sensor(context.for_run_failure())
    assert not settings["bromsgrove"].alerts_path.exists()
    with duckdb.connect(str(settings["redditch"].alerts_path), read_only=True) as con:
        sent = con.execute("SELECT kind, recipients FROM audit.alerts").fetchall()
    assert "run_failed" in {kind for kind, _ in sent}
    # ...at Redditch's mail domain: the sensor judges and addresses as its council, not the default one.
    addresses = {a for _, recipients in sent for a in recipients.split(",")}
    assert addresses and all(a.endswith("@redditch.example") for a in addresses), addresses

    # A threshold raised in Bromsgrove's profile has no suppression pattern yet: tonight is not quiet, and the plan
    # works the patterns out again (else its outputs would fail for want of one until the month turned).
    with_profile(tmp_path / "councils", monkeypatch, thresholds={"public_suppress_below": 20})
    raised = SharedSettingsResource(data_dir=str(root)).for_council("bromsgrove").get()
    assert quiet_night(instance, raised, tags[CODE_TAG]).reason == "a suppression threshold has no pattern yet"
    plan = tonight(instance, raised)
    assert dg.AssetKey(["bromsgrove", "marts", "disclosed_values"]) in plan.assets
    assert "bromsgrove.marts.disclosed_values" in plan.reasons
    monkeypatch.delenv("BDC_COUNCILS_DIR")

    # Bromsgrove's figures are those of its own single-council location on the same files.
    shutil.copytree(FIXTURE_LANDING, warehouse_env.landing_dir, dirs_exist_ok=True)
    alone = run_nightly(build_definitions(resource_for(warehouse_env)), instance=dg.DagsterInstance.ephemeral(),
                        log_level="ERROR")
    assert alone.success
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{settings['bromsgrove'].published_path}' AS shared (READ_ONLY)")
        con.execute(f"ATTACH '{warehouse_env.published_path}' AS alone (READ_ONLY)")
        rows = con.execute("SELECT count(*) FROM shared.marts.measure_values").fetchone()[0]
        assert rows > 0
        for a, b in (("shared", "alone"), ("alone", "shared")):
            assert con.execute(f"SELECT count(*) FROM (FROM {a}.marts.measure_values "
                               f"EXCEPT ALL FROM {b}.marts.measure_values)").fetchone()[0] == 0

    # Each council pseudonymises with its own key: the same contact has unrelated keys in the two warehouses.
    with duckdb.connect() as con:
        for council in COUNCILS:
            con.execute(f"ATTACH '{settings[council].warehouse_path}' AS {council} (READ_ONLY)")
        shared_keys = con.execute("SELECT count(*) FROM bromsgrove.staging.crm_contacts b "
                                  "JOIN redditch.staging.crm_contacts r USING (contact_key)").fetchone()[0]
        contacts = con.execute("SELECT count(*) FROM redditch.staging.crm_contacts").fetchone()[0]
    assert contacts > 0 and shared_keys == 0


def test_the_warehouse_resource_opens_the_run_s_council_s_warehouse_scoped_to_it(tmp_path):
    @dg.op
    def opened(warehouse: SharedWarehouseResource) -> tuple[str, str]:
        with warehouse.connect() as con:
            return warehouse.path, con.execute("SELECT getvariable('district_code')").fetchone()[0]

    @dg.job(resource_defs={"warehouse": SharedWarehouseResource(data_root=str(tmp_path))},
            tags={"bdc/council": "redditch"})
    def one_op() -> None:
        opened()

    result = one_op.execute_in_process()
    assert result.output_for_node("opened") == (
        str(tmp_path.resolve() / "councils" / "redditch" / "warehouse" / "working.duckdb"), "E07000236")
    assert load_council().id == "bromsgrove"  # the run's scope ends with it


def test_a_run_s_settings_stay_its_council_s_whatever_its_run_config(tmp_path, monkeypatch):
    """The outputs run the sensor starts carries the night as a tag; a night from the launchpad is run config, which
    replaces the resource's own fields: either way the run is its council's, in the shared layout."""
    monkeypatch.setenv("BDC_PSEUDONYM_KEY_REDDITCH", KEYS["BDC_PSEUDONYM_KEY_REDDITCH"])

    @dg.op
    def resolved(settings: SharedSettingsResource) -> tuple:
        night = settings.get()
        return night.council.id, night.asset_prefix, night.as_of.isoformat(), str(night.data_dir)

    @dg.job(resource_defs={"settings": SharedSettingsResource(data_dir=str(tmp_path))},
            tags={"bdc/council": "redditch"})
    def one_op() -> None:
        resolved()

    tagged = one_op.execute_in_process(tags={"bdc/as_of": "2026-11-29"})
    assert tagged.output_for_node("resolved") == ("redditch", ("redditch",), "2026-11-29",
                                                  str(tmp_path.resolve() / "councils" / "redditch"))
    configured = one_op.execute_in_process(run_config={"resources": {"settings": {"config": {"as_of": "2026-10-31"}}}})
    council, prefix, night, _ = configured.output_for_node("resolved")
    assert (council, prefix, night) == ("redditch", ("redditch",), "2026-10-31")
    with pytest.raises(dg.DagsterResourceFunctionError) as refused:
        one_op.execute_in_process(run_config={"resources": {"settings": {"config": {"council": "bromsgrove"}}}})
    assert "This run is for redditch, but its settings name bromsgrove" in str(refused.value.__cause__)


def test_the_published_outputs_sensor_hands_the_night_as_a_tag(tmp_path):
    repository = build_shared_definitions(COUNCILS, data_dir=str(tmp_path)).get_repository_def()
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(dg.AssetMaterialization(["redditch", "published", "warehouse"],
                                                                metadata={"as_of": "2026-11-29"}))
    sensor = repository.get_sensor_def("redditch__published_outputs")
    (request,) = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, repository_def=repository)
                                      ).run_requests
    assert request.tags["bdc/as_of"] == "2026-11-29" and not request.run_config
    assert sensor.job_name == "redditch__outputs"


@pytest.mark.night
def test_the_shared_location_loads_without_the_default_council_s_profile(tmp_path):
    (tmp_path / "councils").mkdir()
    shutil.copy(DEPLOY.parent.parent / "councils" / "redditch.yaml", tmp_path / "councils")
    shutil.copytree(DEPLOY.parent.parent / "councils" / "agreements", tmp_path / "councils" / "agreements")
    script = "from pipelines.councils_definitions import defs; print(sorted(j.name for j in " \
             "defs.get_repository_def().get_all_jobs()))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=DEPLOY.parent.parent, env={**os.environ, "BDC_COUNCILS_DIR": str(tmp_path / "councils")})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "'redditch__nightly'" in done.stdout and "bromsgrove" not in done.stdout


def test_a_council_s_analyst_copy_needs_its_own_group_in_the_shared_location(tmp_path, monkeypatch):
    monkeypatch.delenv("BDC_ANALYST_GROUP_REDDITCH", raising=False)
    shared = SharedSettingsResource(data_dir=str(tmp_path)).for_council("redditch")
    assert shared.get().analyst_path is None  # one group for every council's record-level copy: none made
    monkeypatch.setenv("BDC_ANALYST_GROUP_REDDITCH", "redditch-analysts")
    assert (shared.get().analyst_path, shared.get().analyst_group) == (
        tmp_path.resolve() / "councils" / "redditch" / "analyst" / "redditch.duckdb", "redditch-analysts")
