"""Unreadable deliveries fail with a message naming the file, load nothing, and hold their source back at its
last good data."""

from __future__ import annotations

import pytest

from tests.conftest import copy_fixture, query

pytestmark = pytest.mark.night  # each test runs a night


def test_missing_column_is_reported_and_holds_its_source_back(warehouse_env, run_pipeline):
    copy_fixture(warehouse_env)
    assert run_pipeline().success
    published_contacts = query(warehouse_env.analyst_path, "SELECT * FROM core.fact_contacts ORDER BY ALL")
    bad = warehouse_env.landing_dir / "crm_contacts" / "crm_contacts_2026-03.csv"
    bad.write_text("Contact Ref,Received,Channel\r\nC9,01/03/2026 09:00,Phone\r\n", encoding="cp1252")
    outcome = run_pipeline()
    assert outcome.success  # the night is published; the CRM is held back
    assert "raw/crm_contacts:files_readable" in outcome.checks_errored
    evaluation = next(e for e in outcome.result.get_asset_check_evaluations() if e.check_name == "files_readable"
                      and e.asset_key.path == ["raw", "crm_contacts"])
    errors = evaluation.metadata["errors"].value
    assert "crm_contacts_2026-03.csv" in errors and "missing required column" in errors and "Demand Type" in errors
    # Nothing of the bad file reached raw, and readers still have the contacts they had.
    assert query(warehouse_env.warehouse_path, "SELECT count(*) FROM raw.crm_contacts") == [(7,)]
    assert query(warehouse_env.analyst_path, "SELECT * FROM core.fact_contacts ORDER BY ALL") == published_contacts
    assert query(warehouse_env.published_path, """SELECT subject, reason LIKE '%crm_contacts_2026-03.csv%'
                                                  FROM audit.holds WHERE released_at IS NULL""") == [
        ("crm_contacts", True)]


def test_file_in_the_wrong_encoding_is_named(warehouse_env, run_pipeline):
    copy_fixture(warehouse_env, "localities", "ons_lookup")
    lookup = warehouse_env.landing_dir / "ons_lookup" / "LSOA21_WD24_LAD24_EW_LU.csv"
    lookup.write_bytes(lookup.read_bytes().replace(b"Redditch ward 1", "Redditch Ward – 1".encode("cp1252")))
    outcome = run_pipeline()
    evaluation = next(e for e in outcome.result.get_asset_check_evaluations() if e.check_name == "files_readable"
                      and e.asset_key.path == ["raw", "ons_lookup"])
    assert not evaluation.passed
    assert "LSOA21_WD24_LAD24_EW_LU.csv" in evaluation.metadata["errors"].value
