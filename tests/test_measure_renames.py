"""Renaming a measure id keeps its history: a warehouse built while the measure had its former id, upgraded to
the catalogue that renames it, carries on the same series (values, definition history, check history) under
the new id, records the rename once, and records no value as removed. The catalogue refuses renames that
would merge two measures' histories."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.conftest import copy_fixture, query
from warehouse.catalogue import CATALOGUE_DIR, CatalogueError, load_catalogue
from warehouse.renames import carry_history

FORMER, CURRENT = "failure_demand_share", "failure_demand_pct"


def _as_before_the_rename(path) -> int:
    """Put the working warehouse back as the code before the rename left it: every trace of the measure under
    its former id, no record of the rename. Returns how many history rows that touched."""
    with duckdb.connect(str(path)) as con:
        touched = 0
        for table, column in (("marts.measure_values", "measure_id"), ("audit.measure_value_changes", "measure_id"),
                              ("audit.measure_definitions", "measure_id"), ("audit.check_results", "subject")):
            touched += con.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
                                   [FORMER, CURRENT]).fetchone()[0]
        con.execute(f"ALTER TABLE measures.{CURRENT} RENAME TO {FORMER}")
        con.execute(f"UPDATE measures.{FORMER} SET measure_id = ?", [FORMER])
        con.execute("DELETE FROM audit.measure_renames")
    return touched


def test_an_upgraded_warehouse_keeps_the_renamed_measures_history(warehouse_env, run_pipeline):
    copy_fixture(warehouse_env)
    assert run_pipeline().success
    working = warehouse_env.warehouse_path
    values = ("SELECT period_start, area_type, area_code, value FROM marts.measure_values WHERE measure_id = ? "
              "ORDER BY ALL")
    before = query(working, values, [CURRENT])
    [(first_seen,)] = query(working, "SELECT first_seen_at FROM audit.measure_definitions WHERE measure_id = ?",
                            [CURRENT])
    checks_before = query(working, "SELECT count(*) FROM audit.check_results WHERE subject = ?", [CURRENT])[0][0]
    touched = _as_before_the_rename(working)
    assert touched > len(before) > 0

    assert run_pipeline().success  # the first night on the code with the rename
    assert query(working, values, [CURRENT]) == before  # the same series, not a new one
    assert query(working, "SELECT count(*) FROM marts.measure_values WHERE measure_id = ?", [FORMER]) == [(0,)]
    assert query(working, "SELECT count(*) FROM audit.measure_value_changes") == [(0,)]  # nothing "removed"
    assert query(working, "SELECT first_seen_at FROM audit.measure_definitions WHERE measure_id = ?",
                 [CURRENT]) == [(first_seen,)]  # the definition is the one seen on the first night
    checks_after = query(working, "SELECT count(*) FROM audit.check_results WHERE subject = ?", [CURRENT])[0][0]
    assert checks_after == 2 * checks_before  # the first night's results carried over, plus tonight's
    assert query(working, "SELECT former_id, measure_id, rows_moved FROM audit.measure_renames WHERE former_id = ?",
                 [FORMER]) == [(FORMER, CURRENT, touched)]
    assert query(working, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'measures' AND "
                          "table_name = ?", [FORMER]) == [(0,)]
    published = warehouse_env.published_path
    assert (FORMER, CURRENT) in query(published, "SELECT former_id, measure_id FROM audit.measure_renames")
    assert (FORMER, CURRENT) in query(published, "SELECT former_id, measure_id FROM core.measure_renames")

    with duckdb.connect(str(working)) as con:  # a later night: already carried, nothing moves again
        assert carry_history(con, CURRENT, (FORMER,), "a-later-run") == {}
        renames = con.execute("SELECT count(*) FROM audit.measure_renames WHERE former_id = ?", [FORMER]).fetchone()
        assert renames == (1,)


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


def test_a_former_id_claimed_by_two_measures_is_refused(catalogue_copy):
    _add_renamed_from(catalogue_copy, "missed_bins", "bins_missed")
    _add_renamed_from(catalogue_copy, "fly_tipping_reports", "bins_missed")
    with pytest.raises(CatalogueError, match=r"renamed_from 'bins_missed' is also claimed by .*"):
        load_catalogue(catalogue_copy)
    assert load_catalogue().renames[FORMER] == CURRENT
