"""Data classes, declared once (warehouse/catalogue/data_classes.yaml, the source contracts), decide what each
copy of the warehouse holds: the BI copy no record about a person, the analyst copy pseudonymised records
(mode 0640) without health data unless a setting allows it, and neither a column that identifies anyone."""

from __future__ import annotations

import stat
import typing

import duckdb
import pytest

from assets.common import table_metadata
from sources import CONTRACTS
from sources.contract import DataClass
from tests.conftest import copy_fixture, query
from warehouse.catalogue import CatalogueError
from warehouse.classification import CLASSES, allowed_columns, audience_classes, table_classes
from warehouse.db import ensure_schemas
from warehouse.publish import publish

RECORD_LEVEL = {"core.fact_contacts", "core.fact_cases", "core.fact_absence", "core.fact_lettings"}


def _tables(path) -> dict[str, list[str]]:
    rows = query(path, "SELECT table_schema || '.' || table_name, list(column_name) FROM information_schema.columns "
                       "GROUP BY ALL")
    return dict(rows)


@pytest.mark.night
def test_each_copy_holds_only_what_its_readers_may_see(warehouse_env, run_pipeline, monkeypatch):
    monkeypatch.setenv("BDC_ANALYST_SPECIAL_CATEGORY", "false")  # the default (the other tests set it)
    copy_fixture(warehouse_env)
    assert run_pipeline().success
    working = _tables(warehouse_env.warehouse_path)
    published = {t for t in working if t.split(".")[0] in ("core", "marts", "audit")}
    # Every table a copy could take is classified, and every classified table exists (audit.alerts lives in the
    # alerts database and is copied from there; marts.publish_info and marts.data_dictionary are written into
    # each copy).
    assert published == set(table_classes()) - {"audit.alerts", "marts.publish_info", "marts.data_dictionary"}
    bi, analyst = _tables(warehouse_env.published_path), _tables(warehouse_env.analyst_path)
    # The BI copy: no record-level table about people, no UPRN, nothing derived from the pseudonym key.
    assert not RECORD_LEVEL & set(bi) and "marts.measure_values" in bi and "core.dim_area" in bi
    assert "fingerprint" not in bi["audit.staging_state"]
    # The analyst copy: contacts and lettings (pseudonymised), without the UPRN; no health data by default.
    assert {"core.fact_contacts", "core.fact_lettings"} <= set(analyst)
    assert not {"core.fact_absence", "core.fact_cases"} & set(analyst)
    assert "uprn" not in analyst["core.fact_contacts"] and "ward_code" in analyst["core.fact_contacts"]
    # A UPRN only in the property gazetteer (properties, not people), never beside a person's record.
    assert [t for t, columns in [*bi.items(), *analyst.items()] if "uprn" in columns] == ["core.dim_address"] * 2
    assert stat.S_IMODE(warehouse_env.analyst_path.stat().st_mode) == 0o640
    assert stat.S_IMODE(warehouse_env.analyst_path.parent.stat().st_mode) == 0o750
    assert query(warehouse_env.analyst_path, "SELECT count(*) FROM core.fact_contacts") == \
        query(warehouse_env.warehouse_path, "SELECT count(*) FROM core.fact_contacts")
    # Health data goes to the analyst copy only when the council's setting says so.
    health = warehouse_env.data_dir / "analyst-with-health.duckdb"
    with duckdb.connect(str(warehouse_env.warehouse_path)) as con:
        publish(con, health, "test-run", allowed=audience_classes("analyst", special_category=True))
    assert {"core.fact_absence", "core.fact_cases"} <= set(_tables(health))
    # A copy that held record-level tables (the BI copy before this classification) loses them, and the file is
    # rewritten so their rows do not linger in its free blocks.
    with duckdb.connect(str(warehouse_env.warehouse_path)) as con:
        publish(con, health, "test-run-2", compact_above=1.0)
    assert not RECORD_LEVEL & set(_tables(health))
    assert query(health, "SELECT free_blocks FROM pragma_database_size()") == [(0,)]


def test_columns_take_their_tables_class_unless_declared():
    bi = audience_classes("bi")
    assert allowed_columns("core.fact_contacts", ["contact_key", "uprn"], audience_classes("analyst")) == [
        "contact_key"]
    assert allowed_columns("core.fact_contacts", ["contact_key"], bi) == []
    assert allowed_columns("marts.commentary_status", ["measure_id", "owner_name"], bi) == ["measure_id",
                                                                                            "owner_name"]
    assert allowed_columns("core.not_classified", ["a"], audience_classes("analyst", True)) == []


def test_every_declared_class_is_a_known_one(tmp_path):
    assert set(typing.get_args(DataClass)) <= set(CLASSES)
    assert {c.data_class for contract in CONTRACTS.values() for c in contract.columns} <= set(CLASSES)
    bad = tmp_path / "classes.yaml"
    bad.write_text("core.x: {class: aggregate, columns: {name: secretish}}\n")
    with pytest.raises(CatalogueError, match=r"core.x: class\(es\) \{'name': 'secretish'\}"):
        table_classes(bad)


def test_a_health_measure_below_the_council_stays_out_of_the_bi_copy(tmp_path):
    """sickness_days_per_fte is special category (its catalogue entry): its team rows reach neither copy by
    default; its council-wide rows, and other measures' area rows, do."""
    working = tmp_path / "working.duckdb"
    with duckdb.connect(str(working)) as con:
        ensure_schemas(con)  # audit's tables and sequences, which a publish writes to
        con.execute("CREATE TABLE marts.measure_values (measure_id VARCHAR, area_type VARCHAR, area_code VARCHAR, "
                    "value DOUBLE)")
        con.execute("""INSERT INTO marts.measure_values VALUES ('sickness_days_per_fte', 'district', 'E07000234', 0.8),
                       ('sickness_days_per_fte', 'team', 'street_scene', 2.5),
                       ('contacts_received', 'ward', 'E05015400', 12)""")
        for name, allowed in (("bi", audience_classes("bi")), ("analyst", audience_classes("analyst")),
                              ("health", audience_classes("analyst", special_category=True))):
            publish(con, tmp_path / f"{name}.duckdb", "test-run", allowed=allowed)
    rows = "SELECT measure_id, area_type FROM marts.measure_values ORDER BY ALL"
    council_and_wards = [("contacts_received", "ward"), ("sickness_days_per_fte", "district")]
    assert query(tmp_path / "bi.duckdb", rows) == council_and_wards
    assert query(tmp_path / "analyst.duckdb", rows) == council_and_wards
    assert query(tmp_path / "health.duckdb", rows) == [*council_and_wards, ("sickness_days_per_fte", "team")]
    # A copy that held the team rows (from before) loses them, and is rewritten without them in its free blocks.
    with duckdb.connect(str(working)) as con:
        publish(con, tmp_path / "health.duckdb", "test-run-2", compact_above=1.0)
    assert query(tmp_path / "health.duckdb", rows) == council_and_wards
    assert query(tmp_path / "health.duckdb", "SELECT free_blocks FROM pragma_database_size()") == [(0,)]


def test_dagster_previews_show_no_health_rows_below_the_council():
    """The measures' preview in the Dagster UI holds only rows the BI copy may: no team rows of sickness."""
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA measures; CREATE TABLE measures.sickness_days_per_fte AS SELECT * FROM (VALUES "
                    "('sickness_days_per_fte', 'team', 'street_scene', 2.5), "
                    "('sickness_days_per_fte', 'district', 'E07000234', 0.8)) "
                    "t(measure_id, area_type, area_code, value)")
        preview = table_metadata(con, "measures.sickness_days_per_fte")["preview"].value.records
    assert [r.data["area_type"] for r in preview] == ["district"]
