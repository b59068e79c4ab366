"""The settings resource: tests and the launchpad set the folder and the night on it, not in the environment."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from pipelines.definitions import build_definitions
from pipelines.nightly import run_nightly
from sources.sample import write_marker
from tests.conftest import copy_fixture, query, resource_for
from warehouse import clock
from warehouse.settings import (
    DEV_PSEUDONYM_KEY,
    SAMPLE_MARKER,
    MissingPseudonymKey,
    SettingsResource,
    require_pseudonym_key,
)

pytestmark = pytest.mark.night  # runs whole nights


def test_a_night_set_on_the_settings_resource_is_the_whole_runs_clock(tmp_path, monkeypatch):
    monkeypatch.delenv("BDC_AS_OF", raising=False)
    resource = SettingsResource(data_dir=str(tmp_path / "data"), as_of="2026-01-10")
    settings = resource.get()
    assert settings.landing_dir == tmp_path / "data" / "landing" and settings.as_of == dt.date(2026, 1, 10)
    copy_fixture(settings, "crm_contacts", "llpg", "localities", "ons_lookup")
    run_nightly(build_definitions(resource), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    # The reader is not an asset reading settings: it asks the clock, which the resource set for the run.
    assert query(settings.warehouse_path, "SELECT DISTINCT loaded_as_of FROM audit.loaded_files") \
        == [(dt.date(2026, 1, 10),)]
    # tests/fixtures/landing/crm_contacts: of C1-C5 (January) and C6-C7 (February), those received after the
    # night of 10 January cannot have happened yet: C4 (20 Jan), C5 (21 Jan), C6 (2 Feb), C7 (3 Feb). C3 came
    # on the 10th itself. So 4 quarantined as in the future, and C1-C3 staged.
    future = query(settings.warehouse_path, """SELECT count(*) FROM audit.quarantine WHERE source = 'crm_contacts'
                                              AND reason LIKE '%is in the future%'""")
    assert future == [(4,)]
    assert query(settings.warehouse_path, "SELECT count(*) FROM staging.crm_contacts") == [(3,)]
    # The run's night ends with the run.
    assert clock.as_of() != dt.date(2026, 1, 10)


def test_the_launchpads_night_reaches_the_assets_and_the_clock_and_ends_with_the_run(monkeypatch):
    # As a data engineer re-runs a past night from the UI: run config on the resource, not the environment.
    monkeypatch.delenv("BDC_AS_OF", raising=False)
    seen = {}

    @dg.asset
    def probe(settings: SettingsResource) -> None:
        seen["asset"], seen["clock"] = settings.get().as_of, clock.as_of()

    result = dg.materialize([probe], resources={"settings": SettingsResource()},
                            run_config={"resources": {"settings": {"config": {"as_of": "2026-09-12"}}}})
    assert result.success
    assert seen == {"asset": dt.date(2026, 9, 12), "clock": dt.date(2026, 9, 12)}
    assert clock.as_of() != dt.date(2026, 9, 12)


def test_a_launchpad_folder_that_is_not_the_warehouses_is_refused(tmp_path):
    # Settings moved to a rehearsal folder while the warehouse resource still opens production: loading the
    # rehearsal's files into production (and publishing production into the rehearsal) must not start.
    from assets.common import run_settings
    from warehouse.resource import WarehouseResource

    production = WarehouseResource(database=str(tmp_path / "prod" / "warehouse" / "working.duckdb"))
    rehearsal = SettingsResource(data_dir=str(tmp_path / "rehearsal"))
    try:
        run_settings(rehearsal, production)
    except dg.Failure as failure:
        assert "resources.warehouse.config.database" in str(failure.description)
    else:
        raise AssertionError("a run with another folder's warehouse was allowed")
    assert run_settings(SettingsResource(data_dir=str(tmp_path / "prod")), production).landing_dir \
        == tmp_path / "prod" / "landing"


def test_a_run_on_real_extracts_refuses_to_start_without_its_own_pseudonym_key(warehouse_env, monkeypatch):
    monkeypatch.delenv("BDC_PSEUDONYM_KEY")
    copy_fixture(warehouse_env, "crm_contacts")
    outcome = run_nightly(build_definitions(resource_for(warehouse_env)), instance=dg.DagsterInstance.ephemeral(),
                          log_level="CRITICAL")
    assert not outcome.success
    errors = [str(e.event_specific_data.error) for e in outcome.result.all_events if e.is_failure]
    assert any("BDC_PSEUDONYM_KEY is not set" in e for e in errors), errors
    assert not warehouse_env.published_path.exists()
    if warehouse_env.warehouse_path.exists():  # nothing loaded: no raw rows, no staged (pseudonymised) rows
        assert query(warehouse_env.warehouse_path, "SELECT count(*) FROM information_schema.tables "
                                                   "WHERE table_schema IN ('raw', 'staging')") == [(0,)]
    # The bundled sample (made-up people: every file in its marker's manifest) runs with the public development key,
    write_marker(warehouse_env.landing_dir, {"end_month": "2026-02"})
    require_pseudonym_key(warehouse_env)
    # but not once a real extract sits beside it (the marker left behind), nor with a weak key.
    (warehouse_env.landing_dir / "crm_contacts" / "crm_contacts_2026-03.csv").write_text("Contact Ref\nC1\n")
    with pytest.raises(MissingPseudonymKey, match="holds more than the bundled sample"):
        require_pseudonym_key(warehouse_env)
    (warehouse_env.landing_dir / SAMPLE_MARKER).write_text("{}")  # a marker of an older version: no manifest
    with pytest.raises(MissingPseudonymKey, match="BDC_PSEUDONYM_KEY is not set"):
        require_pseudonym_key(warehouse_env)
    for weak in ("short", DEV_PSEUDONYM_KEY):
        monkeypatch.setenv("BDC_PSEUDONYM_KEY", weak)
        with pytest.raises(MissingPseudonymKey, match="a published example or shorter than 32"):
            require_pseudonym_key(warehouse_env)
