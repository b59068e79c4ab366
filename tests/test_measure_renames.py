"""Renaming a measure id keeps its history: a warehouse built while the measure had its former id, upgraded to
the catalogue that renames it, carries on the same series (values, definition history, check history) under
the new id, records the rename once, and records no value as removed. The catalogue refuses renames that
would merge two measures' histories."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import affected_by, build_definitions
from pipelines.nightly import run_nightly
from pipelines.selection import NightPlan
from tests.conftest import copy_fixture, query, resource_for
from warehouse.catalogue import CATALOGUE_DIR, CatalogueError, catalogue, load_catalogue
from warehouse.catalogue_tables import build_catalogue_table
from warehouse.db import ensure_schemas
from warehouse.renames import apply_renames

FORMER, CURRENT = "failure_demand_share", "failure_demand_pct"


def _as_before_the_rename(path) -> int:
    """Put the working warehouse back as the code before the rename left it: every trace of the measure under
    its former id, no record of the rename. Returns how many history rows that touched."""
    with duckdb.connect(str(path)) as con:
        touched = 0
        for table, column in (("marts.measure_values", "measure_id"), ("audit.measure_value_changes", "measure_id"),
                              ("audit.measure_definitions", "measure_id"), ("audit.check_results", "subject"),
                              ("audit.suppression_history", "measure_id"),
                              ("audit.disclosure_releases", "measure_id")):
            touched += con.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
                                   [FORMER, CURRENT]).fetchone()[0]
        con.execute(f"ALTER TABLE measures.{CURRENT} RENAME TO {FORMER}")
        con.execute(f"UPDATE measures.{FORMER} SET measure_id = ?", [FORMER])
        con.execute("DELETE FROM audit.measure_renames")
    return touched


@pytest.mark.night
def test_an_upgraded_warehouse_keeps_the_renamed_measures_history(warehouse_env, run_pipeline):
    copy_fixture(warehouse_env)
    assert run_pipeline().success
    working = warehouse_env.warehouse_path
    assert query(working, "SELECT count(*) FROM audit.measure_renames") == [(0,)]  # built after it: nothing moved
    values = ("SELECT period_start, area_type, area_code, value FROM marts.measure_values WHERE measure_id = ? "
              "ORDER BY ALL")
    before = query(working, values, [CURRENT])
    [(first_seen,)] = query(working, "SELECT first_seen_at FROM audit.measure_definitions WHERE measure_id = ?",
                            [CURRENT])
    checks_before = query(working, "SELECT count(*) FROM audit.check_results WHERE subject = ?", [CURRENT])[0][0]
    withheld = ("SELECT suppress_below, period_start, area_type, area_code, first_withheld_as_of FROM "
                "audit.suppression_history WHERE measure_id = ? ORDER BY ALL")
    withheld_before = query(working, withheld, [CURRENT])
    assert withheld_before  # the fixture has wards of 1 to 4 failure-demand contacts
    touched = _as_before_the_rename(working)
    assert touched > len(before) > 0

    # The first run on the code with the rename is a landing sensor's: the CRM and what depends on it only, not
    # the catalogue assets. The history moves when the run opens the warehouse, so the run still succeeds.
    crm_run = NightPlan(set(affected_by("crm_contacts")), None)
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_nightly(build_definitions(resource_for(warehouse_env)), instance=instance, plan=crm_run,
                          log_level="WARNING")
    assert outcome.success, outcome.checks_failed
    assert query(working, values, [CURRENT]) == before  # the same series, not a new one
    assert query(working, "SELECT count(*) FROM audit.measure_value_changes") == [(0,)]  # nothing "removed"
    assert query(working, "SELECT first_seen_at FROM audit.measure_definitions WHERE measure_id = ?",
                 [CURRENT]) == [(first_seen,)]  # the definition is the one seen on the first night
    checks_after = query(working, "SELECT count(*) FROM audit.check_results WHERE subject = ?", [CURRENT])[0][0]
    assert checks_after == 2 * checks_before  # the first night's results carried over, plus tonight's
    # Every cell withheld under the former id stays withheld (and first withheld on the same night).
    assert query(working, withheld, [CURRENT]) == withheld_before and query(working, withheld, [FORMER]) == []
    assert query(working, "SELECT count(*) FROM audit.disclosure_releases WHERE measure_id = ?", [FORMER]) == [(0,)]
    assert query(working, "SELECT former_id, measure_id, rows_moved FROM audit.measure_renames") == [
        (FORMER, CURRENT, touched)]
    assert query(working, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'measures' AND "
                          "table_name = ?", [FORMER]) == [(0,)]
    published = warehouse_env.published_path
    assert query(published, "SELECT former_id, measure_id FROM audit.measure_renames") == [(FORMER, CURRENT)]
    assert (FORMER, CURRENT) in query(published, "SELECT former_id, measure_id FROM core.measure_renames")

    with duckdb.connect(str(working)) as con:
        assert apply_renames(con, catalogue(), "a-later-run") == {}  # nothing left under the former id
        # The old code back for a night (a rollback) writes under the former id again: moved on the next open.
        [(written,)] = con.execute("UPDATE audit.check_results SET subject = ? WHERE subject = ? AND criterion = "
                                   "'accurate'", [FORMER, CURRENT]).fetchall()
        assert written > 0 and apply_renames(con, catalogue(), "after-the-rollback") == {FORMER: (CURRENT, written)}
        assert con.execute("SELECT count(*) FROM audit.check_results WHERE subject = ?", [FORMER]).fetchone() == (0,)


@pytest.fixture
def catalogue_copy(tmp_path):
    shutil.copytree(CATALOGUE_DIR, tmp_path / "catalogue")
    return tmp_path / "catalogue"


def _add_renamed_from(catalogue_dir, measure_id: str, former: str) -> None:
    path = catalogue_dir / "measures" / f"{measure_id}.yaml"
    text = path.read_text()
    path.write_text(text.replace(f"id: {measure_id}\n", f"id: {measure_id}\nrenamed_from: [{former}]\n", 1))


def test_a_former_id_still_in_use_is_refused(catalogue_copy):
    _add_renamed_from(catalogue_copy, "missed_bins", "contacts_received")
    with pytest.raises(CatalogueError, match=r"missed_bins.yaml: renamed_from 'contacts_received' is still the id"):
        load_catalogue(catalogue_copy)


def test_renamed_from_must_be_a_list_of_ids(catalogue_copy):
    path = catalogue_copy / "measures" / "missed_bins.yaml"
    path.write_text(path.read_text().replace("id: missed_bins\n", "id: missed_bins\nrenamed_from: {bins: x}\n", 1))
    with pytest.raises(CatalogueError, match=r"renamed_from must be a list of earlier measure ids"):
        load_catalogue(catalogue_copy)


def test_a_former_id_claimed_by_two_measures_is_refused(catalogue_copy):
    _add_renamed_from(catalogue_copy, "missed_bins", "bins_missed")
    _add_renamed_from(catalogue_copy, "fly_tipping_reports", "bins_missed")
    with pytest.raises(CatalogueError, match=r"renamed_from 'bins_missed' is also claimed by .*"):
        load_catalogue(catalogue_copy)
    assert load_catalogue().renames[FORMER] == CURRENT


def test_a_failure_already_alerted_under_the_former_id_is_not_alerted_again():
    """Dagster keeps a renamed measure's check history under its old asset key: the alerts look there too."""
    from pipelines.alerts import _same_failure_before

    instance = dg.DagsterInstance.ephemeral()
    failing = {"check_name": "accurate", "passed": False, "severity": dg.AssetCheckSeverity.ERROR,
               "metadata": {"period": "2026-02-01"}}
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(asset_key=dg.AssetKey(["measures", FORMER]),
                                                                **failing))
    tonight = dg.AssetCheckEvaluation(asset_key=dg.AssetKey(["measures", CURRENT]), **failing)
    assert _same_failure_before(instance, tonight, run_id="tonight")
    other = dg.AssetCheckEvaluation(asset_key=dg.AssetKey(["measures", "missed_bins"]), **failing)
    assert not _same_failure_before(instance, other, run_id="tonight")  # no history: alerted


def test_a_month_released_under_both_ids_keeps_its_first_release():
    """A rename rolled back for a night and forward again: October released under the former id on the 5th and
    under the current one on the 6th. After the move, only the 5th's figures remain (one row per area)."""
    with duckdb.connect() as con:
        ensure_schemas(con)
        build_catalogue_table(con, "measure_renames", catalogue())
        con.execute("CREATE TABLE audit.disclosure_releases (measure_id VARCHAR, period_start DATE, area_type "
                    "VARCHAR, area_code VARCHAR, value DOUBLE, numerator DOUBLE, denominator DOUBLE, "
                    "observations BIGINT, first_released_as_of DATE)")
        con.execute("""INSERT INTO audit.disclosure_releases VALUES
            (?, '2026-10-01', 'ward', 'N4', NULL, 20, 40, 40, '2026-11-05'),
            (?, '2026-10-01', 'ward', 'N4', NULL, 21, 41, 41, '2026-11-06')""", [FORMER, CURRENT])
        apply_renames(con, catalogue(), "roll-forward")
        assert con.execute("SELECT measure_id, numerator, first_released_as_of::VARCHAR FROM "
                           "audit.disclosure_releases").fetchall() == [(CURRENT, 20.0, "2026-11-05")]
