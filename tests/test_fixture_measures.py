"""The hand-made fixture: row conservation, idempotent re-runs, duplicate deliveries and personal data. Its
measure values, worked out by hand, are in tests/test_worked_values.py."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import build_definitions
from pipelines.nightly import run_nightly
from sources import CONTRACTS
from sources.contract import snake
from tests.conftest import copy_fixture, query
from warehouse.settings import SettingsResource


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    """The fixture loaded and published once for this module (a run costs tens of seconds)."""
    base = tmp_path_factory.mktemp("fixture_measures")
    resource = SettingsResource(data_dir=str(base / "data"))
    settings = resource.get()
    settings.landing_dir.mkdir(parents=True)
    copy_fixture(settings)
    outcome = run_nightly(build_definitions(resource), instance=dg.DagsterInstance.ephemeral(), log_level="WARNING")
    assert outcome.success, outcome.checks_failed
    return settings, outcome


@pytest.fixture
def fixture_run(built):
    """The module's loaded fixture, for a test that only reads it."""
    return built


@pytest.fixture
def fresh_run(warehouse_env, run_pipeline):
    """The fixture loaded in a folder of its own, for a test that runs the pipeline again on it."""
    copy_fixture(warehouse_env)
    outcome = run_pipeline()
    assert outcome.success, outcome.checks_failed
    return warehouse_env, outcome


def test_row_conservation_for_every_fixture_file(fixture_run):
    settings, _ = fixture_run
    rows = {(src, f.split("/")[-1]): (raw, staged, quarantined, oos, ok) for src, f, raw, staged, quarantined, oos, ok
            in query(settings.published_path, """SELECT source, source_file, raw_rows, staged_rows, quarantined,
                     out_of_scope, balanced FROM audit.row_conservation""")}
    delivered = {p.name for p in settings.landing_dir.rglob("*.csv")}
    assert {name for _, name in rows} == delivered
    assert all(r[4] for r in rows.values())
    assert rows[("crm_contacts", "crm_contacts_2026-01.csv")] == (5, 4, 1, 0, True)
    assert rows[("police_street", "2026-01-west-mercia-street.csv")] == (6, 4, 0, 2, True)
    assert rows[("ons_lookup", "LSOA21_WD24_LAD24_EW_LU.csv")] == (4, 3, 0, 1, True)
    quarantined = query(settings.published_path, "SELECT source, row_number, reason FROM audit.quarantine")
    assert quarantined == [("crm_contacts", 6, "UPRN is not in the gazetteer")]  # C5: line 6 of the file
    out = sorted(r[0] for r in query(settings.published_path,
                                    "SELECT reason FROM audit.out_of_scope WHERE source = 'police_street'"))
    assert out == ["no location: the police could not place it in an LSOA", "outside Bromsgrove (Redditch 001A)"]


def test_rerun_with_no_new_files_changes_nothing(fresh_run, run_pipeline):
    settings, first = fresh_run
    snapshot_sql = "SELECT * FROM marts.measure_values ORDER BY ALL"
    before = query(settings.published_path, snapshot_sql)
    files_sql = "SELECT source, file_sha256, run_id FROM audit.loaded_files ORDER BY ALL"
    files_before = query(settings.warehouse_path, files_sql)
    raw_before = query(settings.warehouse_path, "SELECT count(*) FROM raw.crm_contacts")
    second = run_pipeline()
    assert second.success
    assert query(settings.published_path, snapshot_sql) == before
    assert query(settings.warehouse_path, files_sql) == files_before
    assert query(settings.warehouse_path, "SELECT count(*) FROM raw.crm_contacts") == raw_before
    assert query(settings.published_path, "SELECT run_id FROM marts.publish_info") == [(second.run_id,)]


def test_redelivered_file_with_same_hash_is_skipped(fresh_run, run_pipeline):
    settings, _ = fresh_run
    folder = settings.landing_dir / "crm_contacts"
    shutil.copy(folder / "crm_contacts_2026-01.csv", folder / "crm_contacts_2026-01 (resent).csv")
    assert run_pipeline().success
    assert query(settings.warehouse_path, "SELECT count(*) FROM raw.crm_contacts") == [(7,)]
    duplicates = query(settings.warehouse_path, "SELECT file_path, duplicate_of FROM audit.duplicate_deliveries")
    assert len(duplicates) == 1 and duplicates[0][0].endswith("(resent).csv")
    # Recorded, so the next night does not see it as new (it would never be a quiet night again).
    from pipelines.changes import changed_landing

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert changed_landing(con, settings) == {}
    assert query(settings.published_path, """SELECT value FROM marts.measure_values WHERE measure_id =
                 'contacts_received' AND area_type = 'district' AND period_start = DATE '2026-01-01'""") == [(4.0,)]


def test_personal_data_never_reaches_staging(fixture_run):
    settings, _ = fixture_run
    for contract in CONTRACTS.values():
        columns = {r[0] for r in query(settings.warehouse_path, """SELECT column_name FROM information_schema.columns
                   WHERE table_schema = 'staging' AND table_name = ?""", [contract.name])}
        assert columns, f"staging.{contract.name} missing"
        for personal in contract.personal_columns:
            assert snake(personal) not in columns and personal not in columns, (contract.name, personal)
    # No fixture name, phone number or free-text note survives anywhere outside raw.
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:  # one connection: ~150 tables
        tables = con.execute("""SELECT table_schema || '.' || table_name FROM information_schema.tables
                                WHERE table_schema IN ('staging', 'core', 'measures', 'marts', 'audit')""").fetchall()
        for needle in ("Smith", "07700 900", "£120", "Letter unclear", "Church Road"):
            for (table,) in tables:
                hits = con.execute(f"SELECT count(*) FROM {table} t WHERE contains(CAST(t AS VARCHAR), ?)",
                                   [needle]).fetchall()
                assert hits == [(0,)], (needle, table)
    # raw still holds what was delivered, decoded from Windows-1252.
    assert query(settings.warehouse_path, """SELECT "Notes" FROM raw.crm_contacts WHERE "Contact Ref" = 'C1'""") \
        == [("Says the £120 bill is “wrong”",)]


def test_no_column_of_either_copy_is_a_128_bit_integer(fixture_run):
    # Power BI and ODBC drivers read DuckDB's HUGEINT poorly (or as text), and a sum of integers is one unless it
    # is cast: every column a BI tool can open is at most a BIGINT.
    settings, _ = fixture_run
    wide = """SELECT table_schema || '.' || table_name || '.' || column_name FROM information_schema.columns
              WHERE data_type IN ('HUGEINT', 'UHUGEINT') ORDER BY ALL"""
    assert query(settings.published_path, wide) == []
    assert query(settings.analyst_path, wide) == []


def test_both_copies_hold_the_alerts_table_before_any_alert_is_raised(fixture_run):
    # The README promises audit.alerts in the copies; on a first night no sensor has raised one yet, and a
    # reader's query of it must still work (empty), with the alerts database's columns.
    settings, _ = fixture_run
    assert not settings.alerts_path.exists()
    for copy in (settings.published_path, settings.analyst_path):
        assert query(copy, "SELECT count(*) FROM audit.alerts") == [(0,)]
        columns = [c for (c,) in query(copy, "SELECT column_name FROM information_schema.columns WHERE table_name = "
                                             "'alerts' ORDER BY ordinal_position")]
        assert columns[:5] == ["alert_key", "raised_at", "kind", "severity", "title"] and len(columns) == 12


def test_every_table_and_column_of_both_copies_says_what_it_holds(fixture_run):
    # A BI user opening either copy reads each table's and column's comment (DuckDB's COMMENT ON, which DBeaver
    # and Power BI show) and the same text in marts.data_dictionary, which lists exactly what the copy holds.
    settings, _ = fixture_run
    for copy in (settings.published_path, settings.analyst_path):
        undescribed = query(copy, """SELECT schema_name || '.' || table_name FROM duckdb_tables()
                                     WHERE NOT internal AND (comment IS NULL OR comment = '') ORDER BY ALL""")
        assert undescribed == [], copy
        undescribed = query(copy, """SELECT schema_name || '.' || table_name || '.' || column_name
                                     FROM duckdb_columns() WHERE NOT internal AND (comment IS NULL OR comment = '')
                                     ORDER BY ALL""")
        assert undescribed == [], copy
        listed = query(copy, """SELECT schema_name, table_name, column_name, column_description
                                FROM marts.data_dictionary ORDER BY ALL""")
        held = query(copy, """SELECT schema_name, table_name, column_name, comment FROM duckdb_columns()
                              WHERE NOT internal ORDER BY ALL""")
        assert listed == held
    # The analyst copy holds record-level facts the BI copy does not: each copy's dictionary is its own.
    assert query(settings.analyst_path, "SELECT count(*) FROM marts.data_dictionary WHERE table_name = "
                                        "'fact_contacts'")[0][0] > 0
    assert query(settings.published_path, "SELECT count(*) FROM marts.data_dictionary WHERE table_name = "
                                          "'fact_contacts'") == [(0,)]
    assert query(settings.published_path, """SELECT comment FROM duckdb_columns() WHERE table_name =
                 'measure_values' AND column_name = 'measure_id'""") == \
        [("Id of the catalogue measure (warehouse/catalogue/measures/<id>.yaml).",)]
    # The dashboards carry each measure's quality status and its period's completeness on every row.
    assert query(settings.published_path, """SELECT count(*) FILTER (WHERE quality_status IS NULL
                 OR period_complete IS NULL), count(*) FROM marts.dashboard_strategic""")[0][0] == 0
