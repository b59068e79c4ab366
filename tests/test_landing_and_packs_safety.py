"""What the pipeline reads and writes stays where it belongs: landing files reached through symbolic links are
refused, names used as paths are checked, partner packs are never rewritten, and template cells never run."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from outputs.partner_packs import SharingAgreement, build_partner_packs, load_agreements
from outputs.publication import NotPublishedError
from sources import CONTRACTS
from sources.performance_returns.template import write_return
from sources.reader import LINK_REFUSED, load_source
from tests.conftest import FIXTURE_LANDING, build_outputs_fixture
from warehouse.catalogue import CatalogueError
from warehouse.db import ensure_schemas, prepare

CONTACTS = FIXTURE_LANDING / "crm_contacts"


def _load(source: str, landing: Path) -> tuple[list[str], list[str]]:
    with duckdb.connect() as con:
        prepare(con, "tests-only-pseudonym-key-not-secret-0123456789")
        ensure_schemas(con)
        report = load_source(con, CONTRACTS[source], landing, "test-run")
        return report.files_loaded, report.errors


def test_a_landing_file_that_is_a_symbolic_link_is_refused(tmp_path):
    landing, elsewhere = tmp_path / "crm_contacts", tmp_path / "elsewhere"
    shutil.copytree(CONTACTS, landing)
    elsewhere.mkdir()
    secret = elsewhere / "crm_contacts_2030-01.csv"
    shutil.copy(next(CONTACTS.glob("crm_contacts_*.csv")), secret)
    (landing / "crm_contacts_2030-01.csv").symlink_to(secret)
    loaded, errors = _load("crm_contacts", landing)
    assert "crm_contacts_2030-01.csv" not in loaded and loaded  # the others still load
    assert errors == [f"{landing / 'crm_contacts_2030-01.csv'}: is reached through a symbolic link; links are "
                      "refused (they could point anywhere): put the file itself in the landing folder"]


def test_a_file_under_a_linked_folder_is_refused(tmp_path):
    """The police source reads sub-folders (**/): a linked folder is refused like a linked file."""
    landing, elsewhere = tmp_path / "police_street", tmp_path / "elsewhere" / "2030-01"
    elsewhere.mkdir(parents=True)
    (elsewhere / "2030-01-west-mercia-street.csv").write_text("Crime ID,Month\r\n", encoding="utf-8")
    landing.mkdir()
    (landing / "2030-01").symlink_to(elsewhere, target_is_directory=True)
    loaded, errors = _load("police_street", landing)
    assert errors == [f"{landing / '2030-01'}: {LINK_REFUSED}"]
    assert loaded == []


def test_partner_ids_that_are_not_plain_names_are_refused(tmp_path):
    path = tmp_path / "agreements.yaml"
    for partner in ("../../etc", "Police Force", "a/b", ""):
        path.write_text(f"- partner: '{partner}'\n  name: P\n  agreement: A\n  contact: c@p.example\n"
                        "  measures: [asb_incidents]\n  fields: [measure_id, value]\n  geography: ward\n"
                        "  suppress_below: 5\n")
        with pytest.raises(CatalogueError, match="the partner id names a folder"):
            load_agreements(path)


AS_OF = dt.date(2026, 11, 26)


def test_a_partner_pack_once_written_is_never_changed(tmp_path):
    published = build_outputs_fixture(tmp_path / "published.duckdb")
    police = SharingAgreement("police", "Police", "Test agreement", "data@police.example", ("asb_incidents",),
                              ("measure_id", "area_code", "period_start", "value", "suppressed"), "ward", 5)
    first = build_partner_packs(published, tmp_path / "out", AS_OF, [police])[0]
    sent = {p.name: p.read_bytes() for p in first.parent.iterdir()}
    # A re-run with the same figures writes nothing new.
    assert build_partner_packs(published, tmp_path / "out", AS_OF, [police]) == [first]
    # The figures change (a late record in Gamma): a second version beside the first, which is untouched.
    with duckdb.connect(str(published)) as con:
        con.execute("UPDATE marts.disclosed_values SET value = 13 WHERE area_code = 'E05015401' "
                    "AND measure_id = 'asb_incidents'")
    second = build_partner_packs(published, tmp_path / "out", AS_OF, [police])[0]
    assert second == tmp_path / "out" / "partners" / "police" / "2026-11-26.2" / "manifest.json"
    assert {p.name: p.read_bytes() for p in first.parent.iterdir()} == sent
    assert json.loads(second.read_text())["version"] == 2
    assert sorted(p.name for p in second.parent.parent.iterdir()) == ["2026-11-26", "2026-11-26.2"]


def test_return_template_text_is_never_a_formula_or_a_link(tmp_path):
    path = write_return(tmp_path / "return.xlsx", '=HYPERLINK("http://evil.example","Team")', dt.date(2026, 10, 1),
                        [], [("m1", "=1+1", "http://evil.example/definition")])
    workbook = openpyxl.load_workbook(path)
    title, guidance = workbook["Return"]["A1"], workbook["Guidance"]
    assert title.data_type == "s" and title.value.startswith("Performance return: =HYPERLINK")
    assert (guidance["B2"].data_type, guidance["B2"].value) == ("s", "=1+1")
    assert guidance["C2"].hyperlink is None


def test_an_agreement_without_a_nightly_pattern_holds_back_only_its_own_pack(tmp_path):
    published = build_outputs_fixture(tmp_path / "published.duckdb", thresholds=(5,))  # no pattern for 7 yet
    police = SharingAgreement("police", "Police", "Test agreement", "data@police.example", ("asb_incidents",),
                              ("measure_id", "area_code", "value", "suppressed"), "ward", 7)
    county = SharingAgreement("county", "County", "Test agreement", "data@county.example", ("asb_incidents",),
                              ("measure_id", "area_code", "value", "suppressed"), "ward", 5)
    with pytest.raises(NotPublishedError, match=r"1 partner pack\(s\) not written \(1 written\): police: .* no "
                                                r"suppression pattern for a threshold of 7"):
        build_partner_packs(published, tmp_path / "out", AS_OF, [police, county])
    assert (tmp_path / "out" / "partners" / "county" / "2026-11-26" / "manifest.json").exists()
    assert not (tmp_path / "out" / "partners" / "police").exists()
