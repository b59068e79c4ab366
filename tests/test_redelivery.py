"""A corrected re-delivery replaces the earlier file for its period: no double counting, the earlier file
stays in raw marked superseded, and the changed measure values are recorded in history."""

from __future__ import annotations

import pytest

from tests.conftest import copy_fixture, query

pytestmark = pytest.mark.night  # each test runs nights

DISTRICT, ALPHA, BETA, GAMMA = "E07000234", "E05015400", "E05015401", "E05015402"
CORRECTED = "crm_contacts_2026-01-corrected.csv"


def _value(path, measure: str, area_code: str) -> float | None:
    rows = query(path, """SELECT value FROM marts.measure_values WHERE measure_id = ? AND area_code = ?
                          AND period_start = DATE '2026-01-01'""", [measure, area_code])
    return rows[0][0] if rows else None


def test_corrected_file_replaces_the_period_and_history_shows_the_change(warehouse_env, run_pipeline):
    copy_fixture(warehouse_env)
    assert run_pipeline().success
    published = warehouse_env.published_path
    assert _value(published, "contacts_received", DISTRICT) == 4  # C1..C4 (C5's UPRN 9999 is quarantined)

    # The CRM team corrects January: C3 was at 3 Mill Lane (Gamma), C5 at 2 Station Road (Beta).
    original = warehouse_env.landing_dir / "crm_contacts" / "crm_contacts_2026-01.csv"
    text = original.read_bytes().replace(b"Not understood letter,Y,1002", b"Not understood letter,Y,1003")
    (original.parent / CORRECTED).write_bytes(text.replace(b",N,9999,", b",N,1002,"))
    assert run_pipeline().success

    # Hand-computed January after the correction: C1 Alpha failure, C2 Alpha value resolved, C3 Gamma failure
    # resolved, C4 (no address) value resolved, C5 Beta value not resolved.
    assert _value(published, "contacts_received", DISTRICT) == 5          # not 4 + 5: no double counting
    assert _value(published, "contacts_received", GAMMA) == 1
    assert _value(published, "failure_demand_pct", DISTRICT) == pytest.approx(40.0)  # C1, C3 of five
    assert _value(published, "failure_demand_pct", BETA) == pytest.approx(0.0)       # C5 is value demand
    assert _value(published, "failure_demand_pct", GAMMA) == pytest.approx(100.0)   # C3
    assert _value(published, "failure_demand_pct", "north") == pytest.approx(100 / 3)  # C1 of C1, C2, C5
    assert _value(published, "resolved_first_contact_pct", DISTRICT) == pytest.approx(60.0)  # C2, C3, C4

    # The replaced file stays in raw, marked superseded, its rows out of scope (row conservation holds).
    assert query(published, "SELECT file_name, superseded_by FROM audit.loaded_files WHERE source = "
                            "'crm_contacts' AND delivery_key = 'crm_contacts_2026-01' ORDER BY loaded_at") == [
        ("crm_contacts_2026-01.csv", CORRECTED), (CORRECTED, None)]
    assert query(warehouse_env.warehouse_path, """SELECT count(*) FROM raw.crm_contacts
                 WHERE _source_file LIKE '%crm_contacts_2026-01.csv'""") == [(5,)]
    assert query(published, """SELECT count(*), any_value(reason) FROM audit.out_of_scope
                 WHERE source_file LIKE '%crm_contacts_2026-01.csv'""") == [
        (5, f"superseded by {CORRECTED}, a corrected delivery")]
    assert query(published, "SELECT count(*) FROM audit.quarantine WHERE source = 'crm_contacts'") == [(0,)]
    assert query(published, "SELECT bool_and(balanced) FROM audit.row_conservation") == [(True,)]

    # History: what the Dashboard showed before, and what it shows now.
    changes = query(published, """SELECT measure_id, area_code, old_value, new_value, change
                                   FROM audit.measure_value_changes WHERE period_start = DATE '2026-01-01'""")
    assert ("contacts_received", DISTRICT, 4.0, 5.0, "changed") in changes
    assert ("contacts_received", GAMMA, 0.0, 1.0, "changed") in changes
    assert ("failure_demand_pct", BETA, 100.0, 0.0, "changed") in changes
    assert not [c for c in changes if c[0] == "contacts_received" and c[1] in (ALPHA, BETA)]  # unchanged


def test_a_revised_focus_list_replaces_the_earlier_one(warehouse_env, run_pipeline):
    """CMT takes a measure off the Cabinet list for February: the report's focus follows the revised list."""
    copy_fixture(warehouse_env)
    folder = warehouse_env.landing_dir / "focus_measures"
    folder.mkdir()
    header = "Report,Period,Measure ID,Reason\n"
    (folder / "focus_cabinet_2026-02.csv").write_text(
        header + "Cabinet,2026-02,failure_demand_pct,Rising\nCabinet,2026-02,missed_bins,Round changes\n")
    assert run_pipeline().success
    published = warehouse_env.published_path
    focus = "SELECT report, measure_id, reason FROM core.focus_measures ORDER BY measure_id"
    assert query(published, focus) == [("cabinet", "failure_demand_pct", "Rising"),
                                       ("cabinet", "missed_bins", "Round changes")]
    (folder / "focus_cabinet_2026-02-revised.csv").write_text(header + "Cabinet,2026-02,missed_bins,Only this\n")
    assert run_pipeline().success
    assert query(published, focus) == [("cabinet", "missed_bins", "Only this")]
