"""Every kind of bad input named in the six-criteria issue, delivered on one night on top of the fixture.
Each ends in a clear error naming the file or in quarantined rows with reasons; good rows still load. A source
whose file was refused, or whose staging failed a blocking check, is held back at its last good data (nothing
of the night's delivery reaches the published copy), while the night's other sources are published."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import build_definitions
from pipelines.nightly import RunOutcome, run_nightly
from sources.sample import write_xlsx
from tests.conftest import copy_fixture, query
from warehouse.settings import Settings, SettingsResource

CRM_HEADER = ["Contact Ref", "Received", "Closed", "Channel", "Service", "Demand Type", "Demand Category",
              "Resolved At First Contact", "UPRN", "Customer Name", "Telephone", "Notes"]
LONG_NOTE = "x" * 1_000_000


def _csv(path: Path, lines: list[str], encoding: str = "cp1252", bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "\r\n".join(lines).encode(encoding) + b"\r\n")


def _march_contacts(landing: Path) -> None:
    """March contacts: columns in another order, 'demand type' in other case, an extra column, and rows
    each carrying one problem (row numbers are the file's lines)."""
    header = ["Notes", "Received", "Contact Ref", "Closed", "Channel", "Service", "demand type",
              "Demand Category", "Resolved At First Contact", "UPRN", "Customer Name", "Telephone", "Case Officer"]
    rows = [
        f"{LONG_NOTE},02/03/2026 09:00,M1,02/03/2026 09:10,Phone,Waste,Value,Request for service,Y,1001,A,1,Pat",
        "fine,02/03/2026 09:00,M1,02/03/2026 09:10,Phone,Waste,Value,Request for service,Y,1001,A,1,Pat",  # line 3
        "again,03/03/2026 10:00,C1,03/03/2026 10:05,Phone,Waste,Value,Request for service,Y,1001,A,1,Pat",  # 4
        "future,04/03/2099 10:00,M3,,Phone,Waste,Value,Request for service,Y,1001,A,1,Pat",                # 5
        '"£ ok",05/03/2026 10:00,M4,,Phone,Waste,Value,"=HYPERLINK(""http://x.example"",""Click"")",Y,1001,A,1,Pat',
        "reversed,06/03/2026 10:00,M5,01/03/2026 10:00,Phone,Waste,Value,Request for service,Y,1001,A,1,Pat",  # 7
        "late,06/04/2026 10:00,M6,,Phone,Waste,Value,Request for service,Y,1001,A,1,Pat",                    # 8
    ]
    _csv(landing / "crm_contacts" / "crm_contacts_2026-03.csv", [",".join(header), *rows])
    _csv(landing / "crm_contacts" / "crm_contacts_2026-04.csv", [",".join(CRM_HEADER)])  # header only


@pytest.fixture(scope="module")
def bad_night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, RunOutcome, list]]:
    # March delivered in April: only 2099 is in the future.
    resource = SettingsResource(data_dir=str(tmp_path_factory.mktemp("bad") / "data"), as_of="2026-04-10")
    settings = resource.get()
    copy_fixture(settings)
    first = run_nightly(build_definitions(resource), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    assert first.success, first.checks_failed
    contacts = query(settings.analyst_path, "SELECT * FROM core.fact_contacts ORDER BY ALL")
    landing = settings.landing_dir
    _march_contacts(landing)
    # A late February batch of 20 contacts, 2 from a channel the contract does not know: 10% of the file
    # fails, more than the 5% allowed, so staging.crm_contacts' `accurate` check is an ERROR.
    batch = [f"F{n:02d},10/02/2026 09:00,,{'Fax' if n in (3, 7) else 'Phone'},Waste,Value,Apply,Y,1001,A,1,"
             for n in range(1, 21)]
    _csv(landing / "crm_contacts" / "crm_contacts_2026-02-late.csv", [",".join(CRM_HEADER), *batch])
    _csv(landing / "waste_reports" / "street_scene_reports_2026-01.csv",
         ["Report Ref,Report Type,Reported At,Completed At,UPRN,Reporter Name,Reporter Phone,Description",
          "W1,Fly-tipping,10/01/2026 08:00,11/01/2026 09:00,1001,A,1,Sofa"], encoding="utf-8", bom=True)
    (landing / "lettings").mkdir()
    (landing / "lettings" / "lettings_return_2026-01.csv").write_bytes(b"")
    _csv(landing / "hr_absence" / "sickness_absence_2026-01.csv",
         ["Employee Number,Employee Name,Team,FTE,Month,Working Days Lost,Absence Reason",
          "E1,A,Customer Services,1,2026-01,2,Cold", "E2,B,Customer Services,1,2026-"])  # truncated
    _csv(landing / "benefits_claims" / "hb_ctr_decisions_2026-01.csv",
         ["Claim Ref,Claim Type,Date Received,Decision Date", "B1,HB,01/01/2026,05/01/2026"])
    write_xlsx(landing / "leisure_visits" / "leisure_return_2026-01.xlsx", "Leisure visits return",
               ["Month", "Site", "Site Ward Code", "Activity", "Visits", "Concession Visits"],
               [(dt.date(2026, 1, 1), "Alpha Pool", "E05015400", "Swimming", 120, 30),
                (dt.date(2026, 1, 1), "Alpha Pool", "E05015400", "Gym", -5, 0),
                (dt.date(2026, 1, 1), "Elsewhere Gym", "E05099999", "Gym", 10, 0)],
               sheet="Report 1")  # the contract expects sheet "Visits"
    census = landing / "census_ts001" / "census2021-ts001-ward.csv"
    census.write_bytes(census.read_bytes().replace(b"2021,Gamma,E05015402,3000", b"2021,Gamma,E05015402,-3000"))
    outcome = run_nightly(build_definitions(resource), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    yield settings, outcome, contacts


def _readable_errors(outcome: RunOutcome, source: str) -> str:
    evaluation = next(e for e in outcome.result.get_asset_check_evaluations()
                      if e.check_name == "files_readable" and e.asset_key.path == ["raw", source])
    assert not evaluation.passed
    return evaluation.metadata["errors"].value


def _quarantined(settings: Settings, source: str) -> dict[int, tuple[str, str]]:
    """March's failed rows: in audit.quarantine, or (the source being held back) in audit.held_rows."""
    return {row: (reason, checks) for row, reason, checks in query(
        settings.warehouse_path, """SELECT row_number, reason, failed_checks FROM (
                                        SELECT * FROM audit.quarantine UNION ALL BY NAME SELECT * FROM audit.held_rows)
                                    WHERE source = ? AND source_file LIKE '%2026-03%'""", [source])}


def _held(settings: Settings) -> set[str]:
    return {s for (s,) in query(settings.published_path, "SELECT subject FROM audit.holds WHERE released_at IS NULL")}


def test_unreadable_files_are_named_and_hold_back_their_sources_while_the_rest_is_published(bad_night):
    settings, outcome, _ = bad_night
    assert outcome.success  # a bad delivery is not a failed night
    assert "lettings_return_2026-01.csv: the file is empty (0 bytes)" in _readable_errors(outcome, "lettings")
    truncated = _readable_errors(outcome, "hr_absence")
    assert "sickness_absence_2026-01.csv" in truncated and "cannot be read as CSV" in truncated
    missing = _readable_errors(outcome, "benefits_claims")
    assert "hb_ctr_decisions_2026-01.csv" in missing and "missing required column" in missing
    assert "Event Type" in missing
    assert {"lettings", "hr_absence", "benefits_claims"} <= _held(settings)
    # The night was published, with the good deliveries in it: January's fly-tip report.
    assert query(settings.published_path, "SELECT max(run_id) FROM marts.publish_info") == [(outcome.run_id,)]
    assert query(settings.analyst_path, "SELECT count(*) FROM core.fact_cases WHERE service = 'street_scene'"
                 ) == [(1,)]


def test_a_file_with_too_many_bad_rows_fails_accurate_and_holds_its_source_back(bad_night):
    settings, outcome, contacts_before = bad_night
    evaluation = next(e for e in outcome.result.get_asset_check_evaluations()
                      if e.asset_key.path == ["staging", "crm_contacts"] and e.check_name == "accurate")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "crm_contacts_2026-02-late.csv: 2 of 20 rows failed (10%, more than 5%)" in evaluation.description
    assert evaluation.metadata["owner"].value == "customer.services@bromsgrove.example"
    assert "crm_contacts" in _held(settings)
    # Nothing of the night's contacts was staged or published: readers have the contacts of the night before.
    assert query(settings.analyst_path, "SELECT * FROM core.fact_contacts ORDER BY ALL") == contacts_before
    assert query(settings.warehouse_path, "SELECT count(*) FROM staging.crm_contacts WHERE _source_file LIKE "
                                          "'%2026-03%' OR _source_file LIKE '%late%'") == [(0,)]
    assert query(settings.published_path, "SELECT held_back FROM marts.data_holds WHERE measure_id = "
                                          "'contacts_received'") == [(True,)]


def test_reordered_renamed_case_and_extra_columns_still_load(bad_night):
    settings, outcome, _ = bad_night
    notes = query(settings.warehouse_path, "SELECT notes FROM audit.loaded_files WHERE file_name = ?",
                  ["crm_contacts_2026-03.csv"])
    assert notes == [("unexpected column(s) not loaded: ['Case Officer']",)]
    evaluation = next(e for e in outcome.result.get_asset_check_evaluations()
                      if e.asset_key.path == ["staging", "crm_contacts"] and e.check_name == "well_defined")
    assert evaluation.severity == dg.AssetCheckSeverity.WARN and "Case Officer" in evaluation.description
    delivered = query(settings.warehouse_path, """SELECT "Channel", "Demand Type" FROM raw.crm_contacts
                      WHERE _source_file LIKE '%2026-03%' AND _row_number = 2""")
    assert delivered == [("Phone", "Value")]  # matched by name, whatever the order or case


def test_header_only_file_loads_nothing_and_says_so(bad_night):
    settings, _, _ = bad_night
    assert query(settings.warehouse_path, "SELECT rows_loaded, notes FROM audit.loaded_files WHERE file_name = ?",
                 ["crm_contacts_2026-04.csv"]) == [(0, "the file has a header but no data rows")]


def test_a_one_megabyte_free_text_field_loads_and_is_not_staged(bad_night):
    settings, _, _ = bad_night
    assert query(settings.warehouse_path, """SELECT length("Notes") FROM raw.crm_contacts
                 WHERE _source_file LIKE '%2026-03%' AND _row_number = 2""") == [(1_000_000,)]
    columns = [r[0] for r in query(settings.warehouse_path, "DESCRIBE staging.crm_contacts")]
    assert "Notes" not in columns and "notes" not in columns


def test_bad_rows_are_quarantined_with_the_failed_check_file_and_row(bad_night):
    settings, _, _ = bad_night
    rows = _quarantined(settings, "crm_contacts")
    assert rows[3][1] == "unique_key" and "first delivered in crm_contacts_2026-03.csv row 2" in rows[3][0]
    assert rows[4][1] == "unique_key" and "crm_contacts_2026-01.csv row 2" in rows[4][0]  # C1 again
    assert "received_at_not_in_future" in rows[5][1] and "2099-03-04 10:00:00 is in the future" in rows[5][0]
    assert rows[6] == ("Demand category looks like a spreadsheet formula (it starts with =, +, - or @; the value is "
                       "not repeated here: see the file's row)", "demand_category_not_a_formula")
    assert rows[7] == ("Closed at 2026-03-01 10:00:00 is before Received at 2026-03-06 10:00:00",
                       "closed_at_not_before_received_at")
    assert rows[8] == ("Received at 2026-04-06 10:00:00 is outside the delivery's month 2026-03",
                       "in_delivery_period")
    assert set(rows) == {3, 4, 5, 6, 7, 8}  # row 2 (the long note) is good and staged
    # Raw still holds every quarantined row as delivered.
    assert query(settings.warehouse_path, """SELECT count(*) FROM raw.crm_contacts
                 WHERE _source_file LIKE '%2026-03%'""") == [(7,)]


def test_bom_negative_counts_foreign_codes_and_renamed_sheet(bad_night):
    settings, _, _ = bad_night
    assert query(settings.warehouse_path, "SELECT report_key IS NOT NULL, report_type FROM staging.waste_reports"
                 ) == [(True, "Fly-tipping")]  # the BOM did not spoil the first column's name
    leisure = dict(query(settings.warehouse_path, """SELECT row_number, reason FROM audit.quarantine
                                                     WHERE source = 'leisure_visits'"""))
    assert set(leisure) == {6, 7}  # the header is on row 4, below the report's title rows
    assert leisure[6].startswith("Visits is missing or negative")
    assert leisure[7] == "Site Ward Code E05099999 is not a Bromsgrove ward"
    notes = query(settings.warehouse_path, "SELECT notes FROM audit.loaded_files WHERE source = 'leisure_visits'")
    assert notes == [("sheet 'Visits' not found; read the only sheet, 'Report 1'",)]
    census = query(settings.warehouse_path, """SELECT reason FROM audit.held_rows WHERE source = 'census_ts001'
                                               AND source_file LIKE '%ward%'""")
    # The edited ward file is a second delivery of the same keys: every row repeats a key (re-deliveries that
    # replace a period are issue 4), and the Gamma row is also a negative count. The Census covers the district
    # ward by ward, so one bad row holds it back (its last good delivery keeps the totals reconciling).
    assert any("negative count" in reason for (reason,) in census)
    assert "census_ts001" in _held(settings)
