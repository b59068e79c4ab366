"""The Dagster code location loads and is catalogue-driven; the catalogue rejects incomplete entries."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import build_definitions
from sources import CONTRACTS
from warehouse.catalogue import CATALOGUE_DIR, CatalogueError, catalogue, load_catalogue
from warehouse.settings import SettingsResource


def test_definitions_load_with_an_asset_per_measure_and_source():
    defs = build_definitions()
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    for measure in catalogue().measures:
        assert f"measures/{measure}" in keys
    for source in CONTRACTS:
        assert f"raw/{source}" in keys and f"staging/{source}" in keys
    assert {"marts/measure_values", "marts/dashboard_strategic", "marts/dashboard_operational",
            "marts/dashboard_demographics", "published/warehouse"} <= keys
    schedule = defs.resolve_schedule_def("nightly_0200")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "Europe/London"
    # The nightly job selects every source's raw table and every measure (what a run's plan is cut from).
    selected = {key.to_user_string() for key in defs.resolve_job_def("nightly").asset_layer.executable_asset_keys}
    assert {f"measures/{m}" for m in catalogue().measures} <= selected
    assert {f"raw/{s}" for s in CONTRACTS} <= selected


def test_catalogue_covers_every_purpose_with_two_measures():
    cat = catalogue()
    assert len(cat.measures) >= 24
    for purpose in cat.purposes:
        assert sum(m.purpose == purpose for m in cat.measures.values()) >= 2, purpose
    assert len({m.team for m in cat.measures.values() if m.level == "operational"}) >= 3
    assert any(m.aggregation == "per_population" for m in cat.measures.values())


def test_workspace_yaml_loads_the_definitions():
    """`dagster dev -w workspace.yaml` imports this module and finds a Definitions object in it."""
    import importlib

    import yaml

    workspace = yaml.safe_load((Path(__file__).parent.parent / "workspace.yaml").read_text())
    module_name = workspace["load_from"][0]["python_module"]["module_name"]
    module = importlib.import_module(module_name)
    assert isinstance(module.defs, dg.Definitions)
    assert module.defs.resolve_job_def("nightly").executor_def.name == "in_process"


def test_incomplete_catalogue_entry_is_rejected_with_its_file(tmp_path: Path):
    shutil.copytree(CATALOGUE_DIR, tmp_path / "catalogue", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    entry = tmp_path / "catalogue" / "measures" / "missed_bins.yaml"
    entry.write_text(entry.read_text().replace("improvement: down\n", ""))
    with pytest.raises(CatalogueError, match=r"missed_bins.yaml: 'improvement' is required"):
        load_catalogue(tmp_path / "catalogue")


def test_new_catalogue_file_adds_an_asset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shutil.copytree(CATALOGUE_DIR, tmp_path / "catalogue", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    source = (tmp_path / "catalogue" / "measures" / "missed_bins.yaml").read_text()
    (tmp_path / "catalogue" / "measures" / "garden_bins_missed.yaml").write_text(
        source.replace("id: missed_bins", "id: garden_bins_missed"))
    cat = load_catalogue(tmp_path / "catalogue")
    from assets.measures import measure_asset

    asset = measure_asset(cat.measures["garden_bins_missed"])
    assert dg.AssetKey(["measures", "garden_bins_missed"]) in asset.keys


def test_instance_configs_are_valid_and_allow_one_writer(monkeypatch, tmp_path):
    from dagster._core.instance.config import dagster_instance_config

    root = Path(__file__).resolve().parent.parent
    local, _ = dagster_instance_config(str(root / ".dagster"))
    assert local["run_queue"]["tag_concurrency_limits"] == [{"key": "bdc/writer", "limit": 1}]
    for name in ("DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_HOST", "DAGSTER_PG_DB"):
        monkeypatch.setenv(name, "x")
    server, _ = dagster_instance_config(str(root / "deploy"))
    assert "postgres_db" in server["storage"]["postgres"]
    assert server["run_coordinator"]["config"]["tag_concurrency_limits"] == [{"key": "bdc/writer", "limit": 1}]
    import dagster_postgres  # noqa: F401  (the storage the server config names is installed)

    venv_bin = Path(sys.executable).parent
    units = sorted((root / "deploy" / "systemd").glob("*.service"))
    assert len(units) == 4  # the Dagster daemon and web server, the published-copy check, the lake maintenance
    for unit in units:
        command = next(line for line in unit.read_text().splitlines() if line.startswith("ExecStart="))
        assert (venv_bin / Path(command.split("=", 1)[1].split()[0]).name).exists(), unit.name


def test_every_run_the_sensors_start_is_a_tagged_writer():
    from pipelines.definitions import LANDING_SENSORS, defs, nightly_job
    from sources import CONTRACTS

    assert nightly_job.tags == {"bdc/writer": "bromsgrove", "bdc/council": "bromsgrove", "dagster/max_runtime": "7200"}
    assert len(LANDING_SENSORS) == len(CONTRACTS) == 20 and all(s.job_name == "nightly" for s in LANDING_SENSORS)
    assert {s.name for s in defs.sensors} >= {"alert_on_checks", "alert_on_failed_run", "warn_digest",
                                              "overdue_sources", "nightly_missed", "crm_contacts_landing"}


def test_a_council_s_code_location_tags_every_run_it_starts_with_the_council():
    """Another council's location (BDC_COUNCIL, or the settings resource's council): its nightly runs, whether the
    schedule or a landing sensor starts them, and its outputs runs are that council's writer, never Bromsgrove's."""
    redditch = build_definitions(SettingsResource(council="redditch"))
    nightly = redditch.resolve_job_def("nightly")
    assert nightly.tags["bdc/writer"] == nightly.tags["bdc/council"] == "redditch"
    assert redditch.resolve_job_def("outputs").tags["bdc/council"] == "redditch"
    assert redditch.resolve_schedule_def("nightly_0200").job.tags["bdc/writer"] == "redditch"
    landing = [s for s in redditch.sensors if s.name.endswith("_landing")]
    assert len(landing) == 20 and all(s.job.tags["bdc/writer"] == "redditch" for s in landing)
    outputs_sensor = next(s for s in redditch.sensors if s.name == "published_outputs")
    assert outputs_sensor.job.tags["bdc/council"] == "redditch"
    warehouse = redditch.resources["warehouse"]
    assert warehouse.database.endswith("councils/redditch/warehouse/working.duckdb")


def test_only_mart_checks_stop_a_run_and_source_and_measure_errors_hold_their_data_back():
    """On a source or a measure, an ERROR rolls the data back to its last good version (quality/holds.py), so
    none of their checks is Dagster-blocking; a mart's ERROR still stops what reads it (the published copy).
    Lateness and ownership never stop anything."""
    defs = build_definitions()
    specs = [s for a in defs.assets if isinstance(a, dg.AssetsDefinition) for s in a.check_specs]
    specs += [s for c in defs.asset_checks for s in c.check_specs]
    blocking = {(s.asset_key.path[0], s.name) for s in specs if s.blocking}
    assert not {k for k in blocking if k[0] in ("raw", "staging", "measures")}
    assert ("marts", "accurate") in blocking and not {k for k in blocking if k[1] in ("timely", "commentary",
                                                                                      "sign_off")}
    timely = {s.asset_key.to_user_string() for s in specs if s.name == "timely" and s.asset_key.path[0] != "marts"}
    assert "staging/crm_contacts" in timely and "measures/missed_bins" in timely  # judged every night


def test_outputs_run_in_their_own_job_after_each_publish():
    """Reports, site and packs read the published copy: not in the writer's job, started by a sensor when a new
    copy is published, and never asked for by a landing sensor's run of the nightly job."""
    from pipelines.definitions import affected_by, defs, published_outputs

    output_keys = {"outputs/reports", "outputs/public_site", "outputs/partner_packs", "outputs/quality_scorecard_page"}
    nightly = {k.to_user_string() for k in defs.resolve_job_def("nightly").asset_layer.executable_asset_keys}
    outputs = {k.to_user_string() for k in defs.resolve_job_def("outputs").asset_layer.executable_asset_keys}
    assert outputs == output_keys and not nightly & output_keys and "published/warehouse" in nightly
    assert not {k.to_user_string() for k in affected_by("crm_contacts")} & output_keys

    instance = dg.DagsterInstance.ephemeral()
    context = dg.build_sensor_context(instance=instance, definitions=defs)
    assert all(isinstance(r, dg.SkipReason) for r in published_outputs(context))  # nothing published yet
    instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["published", "warehouse"])))
    requests = list(published_outputs(dg.build_sensor_context(instance=instance, definitions=defs)))
    assert len(requests) == 1 and isinstance(requests[0], dg.RunRequest)
    # A past night published (a launchpad re-run of 12 September) gets its outputs built for that night.
    instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["published", "warehouse"]),
                                                                metadata={"as_of": "2026-09-12"}))
    requests = list(published_outputs(dg.build_sensor_context(instance=instance, definitions=defs,
                                                              cursor=context.cursor)))
    assert [r.run_config for r in requests][-1] == {"resources": {"settings": {"config": {"as_of": "2026-09-12"}}}}
