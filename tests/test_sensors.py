"""Landing-folder sensors, evaluated with Dagster's test utilities: a new file starts a run for its source and
what depends on it once it has stopped changing; the same file again starts nothing; a corrected file starts
a run; while the warehouse is being written, the sensor waits."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import LANDING_SENSORS, affected_by
from tests.conftest import FIXTURE_LANDING, resource_for
from warehouse.db import ensure_schemas

SENSOR = next(s for s in LANDING_SENSORS if s.name == "crm_contacts_landing")


@pytest.fixture
def tick(warehouse_env):
    instance = dg.DagsterInstance.ephemeral()
    state = {"cursor": None}

    def _tick():
        with dg.build_sensor_context(instance=instance, cursor=state["cursor"],
                                     resources={"settings": resource_for(warehouse_env)}) as context:
            result = SENSOR(context)
            state["cursor"] = context.cursor
        return result

    return _tick


def _deliver(settings, name: str = "crm_contacts_2026-01.csv", source: str = "crm_contacts_2026-01.csv"):
    folder = settings.landing_dir / "crm_contacts"
    folder.mkdir(exist_ok=True)
    shutil.copy(FIXTURE_LANDING / "crm_contacts" / source, folder / name)
    return folder / name


def _mark_loaded(settings, path) -> None:
    """What a run leaves behind: the file's hash in audit.loaded_files."""
    from sources.reader import file_sha256

    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        ensure_schemas(con)
        con.execute("INSERT INTO audit.loaded_files (source, file_name, file_path, file_sha256, rows_loaded, "
                    "blank_rows, loaded_at) VALUES ('crm_contacts', ?, ?, ?, 5, 0, now())",
                    [path.name, str(path), file_sha256(path)])


def test_new_file_runs_its_source_and_downstream_once_stable(warehouse_env, tick):
    assert isinstance(tick(), dg.SkipReason)  # empty folder
    path = _deliver(warehouse_env)
    first = tick()
    assert isinstance(first, dg.SkipReason) and "still changing or new" in first.skip_message
    request = tick()  # same size and time as last tick: stable
    assert isinstance(request, dg.RunRequest)
    # The CRM feeds one fact, four measures and the demand and cost marts; everything after them up to the
    # published copy (and its disclosure control) and the return templates is rebuilt.
    assert sorted(k.to_user_string() for k in request.asset_selection) == [
        "core/fact_contacts", "marts/commentary_status", "marts/cost_of_service", "marts/dashboard_operational",
        "marts/dashboard_strategic", "marts/data_holds", "marts/demand_by_service", "marts/demand_by_ward",
        "marts/demand_failure_categories", "marts/disclosed_values",
        "marts/end_to_end_spc",  # its months in progress follow marts/period_completeness, which the CRM feeds
        "marts/measure_quality", "marts/measure_spc",
        "marts/measure_values",
        "marts/period_completeness", "marts/quality_scorecard", "marts/trial_outcomes", "measures/contacts_received",
        "measures/failure_demand_pct", "measures/online_contact_pct", "measures/resolved_first_contact_pct",
        "outputs/return_templates",
        "published/warehouse", "raw/crm_contacts", "staging/crm_contacts"]
    assert request.tags["bdc/files"] == "crm_contacts_2026-01.csv" and request.run_key.startswith("crm_contacts-")
    # The run loads it; the same file on later ticks starts nothing.
    _mark_loaded(warehouse_env, path)
    again = tick()
    assert isinstance(again, dg.SkipReason) and again.skip_message == "no new or changed files"


def test_same_bytes_under_another_name_start_nothing(warehouse_env, tick):
    path = _deliver(warehouse_env)
    _mark_loaded(warehouse_env, path)
    _deliver(warehouse_env, name="crm_contacts_2026-01 (copy).csv")
    tick()
    result = tick()
    assert isinstance(result, dg.SkipReason) and "already loaded (same bytes)" in result.skip_message


def test_corrected_file_starts_a_run(warehouse_env, tick):
    path = _deliver(warehouse_env)
    _mark_loaded(warehouse_env, path)
    tick()
    assert isinstance(tick(), dg.SkipReason)  # already loaded
    corrected = path.read_bytes().replace(b",N,9999,", b",N,1002,")
    path.write_bytes(corrected)  # same name, new bytes
    tick()
    request = tick()
    assert isinstance(request, dg.RunRequest) and request.tags["bdc/files"] == "crm_contacts_2026-01.csv"


def test_waits_while_the_warehouse_is_being_written(warehouse_env, tick, tmp_path):
    _deliver(warehouse_env)
    tick()
    warehouse_env.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    import subprocess
    import sys

    # A writer in another process holds the file's lock (DuckDB: one writer, no readers alongside it).
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)"),
        str(warehouse_env.warehouse_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = tick()
        assert isinstance(result, dg.SkipReason) and "being written" in result.skip_message
    finally:
        holder.kill()
        holder.wait()
    assert isinstance(tick(), dg.RunRequest)  # the file was kept pending, so the next tick runs it


@pytest.mark.parametrize("source", ["crm_contacts", "police_street", "census_ts001", "llpg"])
def test_the_runs_a_sensor_requests_can_be_built(source):
    """The daemon builds a job subset from the sensor's asset selection: it must be a valid subset (checks that
    judge several assets at once included)."""
    from pipelines.definitions import defs

    job = defs.resolve_job_def("nightly")
    subset = job.get_subset(asset_selection=set(affected_by(source)))
    assert subset.asset_layer.selected_asset_keys == set(affected_by(source))
