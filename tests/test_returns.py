"""Performance returns round trip: the project writes a team's template, an officer fills it in (here with
openpyxl, as Excel would), it is dropped in the landing folder, and the commentary, sign-off and manual value
reach the warehouse. Bad rows are quarantined with a reason; a malformed return is rejected by name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.cli import main as cli
from pipelines.nightly import summary
from sources.performance_returns.template import TITLE_ROWS
from tests.conftest import copy_fixture, query

pytestmark = pytest.mark.night  # each test runs nights

ROOT = Path(__file__).resolve().parent.parent
HEADER_ROW = TITLE_ROWS + 1  # 1-based row of the header in the sheet
COLUMNS = {"manual_value": 5, "commentary": 6, "by": 7, "on": 8, "signed_by": 9, "signed_on": 10}


def fill(path, entries: dict[str, dict[str, object]], save_to):
    """Fill in a template's yellow cells for the given measure ids, and save it under the same name."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Return"]
    assert [c.value for c in sheet[HEADER_ROW]][:3] == ["Measure ID", "Measure", "Period"]
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1):
        for field, value in entries.get(row[0].value, {}).items():
            row[COLUMNS[field] - 1].value = value
    workbook.save(save_to / path.name)


def test_template_round_trip_commentary_sign_off_and_manual_value(warehouse_env, run_pipeline, capsys):
    copy_fixture(warehouse_env)
    assert run_pipeline().success
    out = warehouse_env.data_dir / "templates"
    args = ["--data-dir", str(warehouse_env.data_dir), "returns", "--team", "customer_services",
            "--team", "economic_development", "--out", str(out)]
    assert cli(args) == 0
    customer = out / "performance_return_customer_services_2026-02.xlsx"
    business = out / "performance_return_economic_development_2026-02.xlsx"
    assert customer.exists() and business.exists()
    # Run again, the templates already there are kept (someone may be filling them in); --force replaces them.
    capsys.readouterr()
    assert cli(args) == 0 and "0 return template(s)" in capsys.readouterr().out
    assert cli([*args, "--force"]) == 0 and "2 return template(s)" in capsys.readouterr().out

    # The template lists the team's measures for the latest month, with the warehouse's value so far.
    sheet = openpyxl.load_workbook(customer)["Return"]
    lines = {r[0].value: (r[2].value, r[3].value) for r in sheet.iter_rows(min_row=HEADER_ROW + 1)}
    assert lines == {"contacts_received": ("2026-02", 2), "failure_demand_pct": ("2026-02", 50),
                     "online_contact_pct": ("2026-02", 0), "resolved_first_contact_pct": ("2026-02", 50)}
    assert sheet.protection.sheet  # only the yellow cells can be typed in

    landing = warehouse_env.landing_dir / "performance_returns"
    landing.mkdir()
    written, signed = dt.datetime(2026, 3, 6), dt.datetime(2026, 3, 9)
    # An officer working from a template printed before failure_demand_share was renamed failure_demand_pct:
    # the commentary still reaches the measure (core.measure_renames), as the status below shows.
    workbook = openpyxl.load_workbook(customer)
    [line] = [r for r in workbook["Return"].iter_rows(min_row=HEADER_ROW + 1) if r[0].value == "failure_demand_pct"]
    line[0].value = "failure_demand_share"
    workbook.save(customer)
    fill(customer, {
        "contacts_received": {"commentary": "Two contacts: both about waste.", "by": "A Officer", "on": written,
                              "signed_by": "B Manager", "signed_on": signed},
        "failure_demand_share": {"commentary": "One missed bin chased.", "by": "A Officer", "on": written},
        "online_contact_pct": {"manual_value": 40},  # a system measure: not the officer's to enter
    }, landing)
    fill(business, {"business_start_ups": {"manual_value": 6, "commentary": "Six start-ups, two with grants.",
                                           "by": "C Officer", "on": written}}, landing)
    outcome = run_pipeline()
    assert outcome.success, outcome.checks_failed

    published = warehouse_env.published_path
    assert query(published, """SELECT commentary, commentary_by, commentary_date, signed_off_by, signed_off_date,
                                      sign_off_covers_commentary
                               FROM core.measure_commentary WHERE measure_id = 'contacts_received'""") == [
        ("Two contacts: both about waste.", "A Officer", dt.date(2026, 3, 6), "B Manager", dt.date(2026, 3, 9), True)]
    status = dict(query(published, "SELECT measure_id, flag FROM marts.commentary_status WHERE team_id IN "
                                   "('customer_services', 'economic_development')"))
    assert status == {"contacts_received": None, "failure_demand_pct": "not signed off for February 2026",
                      "online_contact_pct": "no commentary and no sign-off for February 2026",
                      "resolved_first_contact_pct": "no commentary and no sign-off for February 2026",
                      "business_start_ups": "not signed off for February 2026"}
    # The manual value went through staging, the measure's checks and into the tidy table like system data.
    assert query(published, """SELECT value FROM marts.measure_values WHERE measure_id = 'business_start_ups'
                               AND area_type = 'district' AND period_start = '2026-02-01'""") == [(6.0,)]
    assert query(published, "SELECT reason FROM audit.quarantine WHERE source = 'performance_returns'") == [
        ("Manual Value given for online_contact_pct, which comes from a system: leave it blank",)]
    # The scorecard carries the ownership checks next to the six criteria.
    assert query(published, """SELECT status FROM marts.quality_scorecard WHERE is_latest
                               AND measure_id = 'failure_demand_pct' AND criterion IN ('commentary', 'sign_off')
                               ORDER BY criterion""") == [("pass",), ("warn",)]
    warned = set(outcome.checks_failed) - set(outcome.checks_errored)  # a doubt, never a reason to hold data back
    assert "marts/commentary_status:sign_off" in warned
    # The next template carries the commentary forward, never the sign-off: edited text needs a new one.
    assert cli([*args, "--force"]) == 0
    again = {r[0].value: r for r in openpyxl.load_workbook(customer)["Return"].iter_rows(min_row=HEADER_ROW + 1)}
    line = again["contacts_received"]
    assert line[COLUMNS["commentary"] - 1].value == "Two contacts: both about waste."
    assert (line[COLUMNS["signed_by"] - 1].value, line[COLUMNS["signed_on"] - 1].value) == (None, None)


def test_a_malformed_return_is_rejected_by_name(warehouse_env, run_pipeline):
    copy_fixture(warehouse_env, "localities", "ons_lookup")
    landing = warehouse_env.landing_dir / "performance_returns"
    landing.mkdir()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Return"
    sheet.append(["Measure ID", "Commentary", "Commentary By"])  # an old layout: no Period column
    sheet.append(["contacts_received", "Fine", "A Officer"])
    workbook.save(landing / "performance_return_customer_services_2026-02.xlsx")
    outcome = run_pipeline()
    # The returns are held back (ERROR, named); the rest of the night is still published.
    assert outcome.success and "raw/performance_returns:files_readable" in outcome.checks_errored
    evaluation = next(e for e in outcome.result.get_asset_check_evaluations()
                      if e.asset_key.path == ["raw", "performance_returns"] and e.check_name == "files_readable")
    errors = evaluation.metadata["errors"].value
    assert "performance_return_customer_services_2026-02.xlsx" in errors and "Period" in errors
    published = warehouse_env.published_path
    held = query(published, "SELECT subject, reason FROM audit.holds WHERE released_at IS NULL")
    assert [subject for subject, _ in held] == ["performance_returns"]
    assert "performance_return_customer_services_2026-02.xlsx" in held[0][1]
    said = summary(outcome, warehouse_env)  # what the person running it reads
    assert "Held back at their last good data (1;" in said and "source performance_returns, since" in said
    # Each failing check's line says why, in the words of its result (the first line of its description).
    reason = evaluation.description.strip().splitlines()[0]
    assert reason and f"  ERROR: raw/performance_returns:files_readable: {reason[:240]}" in said.splitlines()


def test_a_sign_off_covers_only_the_commentary_it_was_given_for():
    """core.measure_commentary's rule, on hand-made return lines (file, line, text, dates)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA audit")
    con.execute("""CREATE TABLE staging.performance_returns (measure_id VARCHAR, period_start DATE,
        commentary VARCHAR, commentary_by VARCHAR, commentary_date DATE, signed_off_by VARCHAR,
        signed_off_date DATE, _source_file VARCHAR, _file_sha256 VARCHAR, _row_number BIGINT)""")
    con.execute("CREATE TABLE audit.loaded_files (source VARCHAR, file_sha256 VARCHAR, load_seq BIGINT, "
                "loaded_as_of DATE)")
    con.execute("INSERT INTO audit.loaded_files VALUES ('performance_returns', 'a', 1, '2026-11-09'), "
                "('performance_returns', 'b', 2, '2026-11-10'), ('performance_returns', 'c', 3, '2026-11-12')")
    october = dt.date(2026, 10, 1)
    lines = [  # measure, text, written on, signed by, signed on, file, line
        ("same_line_undated", "Text", None, "Head", dt.date(2026, 11, 9), "a", 3),
        ("undated_signed_elsewhere", "Text", None, None, None, "a", 4),
        ("undated_signed_elsewhere", None, None, "Head", dt.date(2026, 11, 9), "b", 4),
        ("signed_after", "Text", dt.date(2026, 11, 6), None, None, "a", 5),
        ("signed_after", None, None, "Head", dt.date(2026, 11, 9), "b", 5),
        ("signed_before", None, None, "Head", dt.date(2026, 11, 9), "a", 6),
        ("signed_before", "Edited", dt.date(2026, 11, 10), None, None, "b", 6),
        # Edited and sent again two nights after the sign-off, keeping the template's date (6 November).
        ("edited_after_sign_off", None, None, "Head", dt.date(2026, 11, 9), "a", 7),
        ("edited_after_sign_off", "Edited text", dt.date(2026, 11, 6), None, None, "c", 7),
        # An old template carrying the sign-off forward, edited on a later night: the sign-off is beside the new
        # text, but it was first given beside the old one.
        ("carried_forward", "First text", dt.date(2026, 11, 6), "Head", dt.date(2026, 11, 8), "a", 8),
        ("carried_forward", "New text", dt.date(2026, 11, 6), "Head", dt.date(2026, 11, 8), "c", 8),
        # Signed off in a separate file; the officer then sends the same text again (fixing another line).
        ("same_text_again", "Same text", dt.date(2026, 11, 6), None, None, "a", 9),
        ("same_text_again", None, None, "Head", dt.date(2026, 11, 9), "b", 9),
        ("same_text_again", "Same text", dt.date(2026, 11, 6), None, None, "c", 9),
    ]
    for measure, text, written, by, on, file, line in lines:
        con.execute("INSERT INTO staging.performance_returns VALUES (?, ?, ?, 'Officer', ?, ?, ?, ?, ?, ?)",
                    [measure, october, text, written, by, on, f"/landing/{file}.xlsx", file, line])
    covered = dict(con.execute((ROOT / "warehouse" / "sql" / "core" / "measure_commentary.sql").read_text()
                               .join(["SELECT measure_id, sign_off_covers_commentary FROM (", ")"])).fetchall())
    assert covered == {"same_line_undated": True, "undated_signed_elsewhere": False, "signed_after": True,
                       "signed_before": False, "edited_after_sign_off": False, "carried_forward": False,
                       "same_text_again": True}
