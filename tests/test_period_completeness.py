"""A period is complete only when every source behind the measure has delivered it; one still in progress never
headlines (quality/completeness.py; the site side is in test_outputs). Dates are worked out by hand from the
contracts: police street-level crime is due on the 28th of the following month with 14 days' grace; CRM contacts
on the 5th, with 14 days' grace."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from assets.common import PUBLISHED, table_key
from pipelines import selection
from pipelines.changes import COMPLETENESS
from quality import completeness, source_checks
from quality.completeness import IN_PROGRESS, PROVISIONAL, build_period_completeness, judge_period
from sources import CONTRACTS
from sources.reader import load_source
from tests.conftest import FIXTURE_LANDING, with_profile
from warehouse import clock
from warehouse.catalogue import catalogue
from warehouse.db import ensure_schemas, prepare
from warehouse.reporting_periods import add_months
from warehouse.settings import load_settings
from warehouse.spc_marts import END_TO_END_MEASURES, build_end_to_end_spc

ROOT = Path(__file__).resolve().parent.parent
OCTOBER_END = dt.date(2026, 10, 31)
POLICE = ("police_street",)
BOTH = ("crm_contacts", "police_street")


def test_a_period_is_complete_once_every_source_has_delivered_its_last_month():
    through = {"police_street": dt.date(2026, 10, 1), "crm_contacts": dt.date(2026, 10, 1)}
    assert judge_period(OCTOBER_END, BOTH, through, dt.date(2026, 11, 2)).status == "complete"
    # Contacts have delivered October, the police only September: in progress, awaiting the police alone.
    judged = judge_period(OCTOBER_END, BOTH, through | {"police_street": dt.date(2026, 9, 1)},
                          dt.date(2026, 11, 2))
    assert judged.status == IN_PROGRESS
    assert judged.awaiting == ("Street-level crime and anti-social behaviour (police.uk) for October 2026 "
                               "(due 28 November 2026)")


def test_a_missing_source_turns_the_period_provisional_the_day_after_its_grace_ends():
    # October's police file is due on 28 November; 14 days' grace ends on 12 December.
    through = {"police_street": dt.date(2026, 9, 1)}
    on_last_day = judge_period(OCTOBER_END, POLICE, through, dt.date(2026, 12, 12))
    assert (on_last_day.status, on_last_day.turns_provisional_on) == (IN_PROGRESS, dt.date(2026, 12, 13))
    after = judge_period(OCTOBER_END, POLICE, through, dt.date(2026, 12, 13))
    assert (after.status, after.turns_provisional_on) == (PROVISIONAL, None)
    assert after.awaiting.startswith("Street-level crime and anti-social behaviour (police.uk) for October 2026")
    # Two sources missing: provisional only once both graces are over (CRM's ends on 19 November, the police's
    # on 12 December), so the later one decides.
    both = judge_period(OCTOBER_END, BOTH, {}, dt.date(2026, 11, 20))
    assert (both.status, both.turns_provisional_on) == (IN_PROGRESS, dt.date(2026, 12, 13))
    assert both.awaiting == ("Customer contact demand log (CRM) for October 2026 (due 5 November 2026); "
                             "Street-level crime and anti-social behaviour (police.uk) for October 2026 "
                             "(due 28 November 2026)")


def test_only_monthly_service_and_partner_extracts_deliver_periods():
    # The gazetteer arrives monthly but is reference data (addresses, not a month's activity); the census ad hoc.
    assert [completeness.period_sources(CONTRACTS[name]) for name in
            ("crm_contacts", "police_street", "llpg", "census_ts001")] == [True, True, False, False]
    contacts = CONTRACTS["crm_contacts"]
    quarterly = dataclasses.replace(contacts, cadence=dataclasses.replace(contacts.cadence, frequency="quarterly"))
    assert not completeness.period_sources(quarterly)


def test_a_quarter_waits_for_its_last_month():
    quarter_end = dt.date(2026, 9, 30)  # July to September
    assert judge_period(quarter_end, POLICE, {"police_street": dt.date(2026, 8, 1)},
                        dt.date(2026, 10, 2)).status == IN_PROGRESS
    assert judge_period(quarter_end, POLICE, {"police_street": dt.date(2026, 9, 1)},
                        dt.date(2026, 10, 2)).status == "complete"


@pytest.fixture
def warehouse(tmp_path) -> duckdb.DuckDBPyConnection:
    """Deliveries by hand: the police's October file loaded on 29 November, a November file loaded on
    3 December (November had ended: it counts) and a December file loaded on 3 December (a month in progress:
    it covers November at most); CRM's November file loaded on 3 December but held back (never staged)."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA audit; CREATE SCHEMA marts")
    con.execute("""CREATE TABLE audit.loaded_files (source VARCHAR, file_name VARCHAR, file_sha256 VARCHAR,
                   loaded_at TIMESTAMP, loaded_as_of DATE, rows_loaded BIGINT DEFAULT 1)""")
    con.execute("""CREATE TABLE audit.duplicate_deliveries (source VARCHAR, file_path VARCHAR, file_sha256 VARCHAR,
                   seen_at TIMESTAMP, seen_as_of DATE)""")
    con.execute("CREATE TABLE audit.row_conservation (source VARCHAR, file_sha256 VARCHAR)")
    con.execute("""INSERT INTO audit.loaded_files (source, file_name, file_sha256, loaded_at, loaded_as_of) VALUES
        ('police_street', '2026-10-west-mercia-street.csv', 'p10', '2026-11-29 02:00', '2026-11-29'),
        ('crm_contacts', 'crm_contacts_2026-10.csv', 'c10', '2026-11-04 02:00', '2026-11-04'),
        ('crm_contacts', 'crm_contacts_2026-11.csv', 'c11', '2026-12-03 02:00', '2026-12-03')""")
    con.execute("INSERT INTO audit.row_conservation VALUES ('police_street', 'p10'), ('crm_contacts', 'c10')")
    yield con
    con.close()


def test_delivered_through_counts_staged_files_whole_months_only(warehouse):
    assert completeness.delivered_through(warehouse) == {"police_street": dt.date(2026, 10, 1),
                                                          "crm_contacts": dt.date(2026, 10, 1)}
    # A December file loaded on 3 December covers November only (December had not ended).
    warehouse.execute("""INSERT INTO audit.loaded_files (source, file_name, file_sha256, loaded_at, loaded_as_of) VALUES
        ('police_street', '2026-12-west-mercia-street.csv', 'p12', '2026-12-03 02:00', '2026-12-03')""")
    warehouse.execute("INSERT INTO audit.row_conservation VALUES ('police_street', 'p12')")
    assert completeness.delivered_through(warehouse)["police_street"] == dt.date(2026, 11, 1)
    # CRM's November file is loaded but held back: it is not a delivery until it is staged.
    warehouse.execute("INSERT INTO audit.row_conservation VALUES ('crm_contacts', 'c11')")
    assert completeness.delivered_through(warehouse)["crm_contacts"] == dt.date(2026, 11, 1)


def test_the_table_marks_each_period_and_says_when_it_changes_by_date_alone(warehouse):
    warehouse.execute("""CREATE TABLE marts.measure_values AS SELECT * FROM (VALUES
        ('crimes_per_1000', DATE '2026-10-01', DATE '2026-10-31', 'district', 1.2),
        ('crimes_per_1000', DATE '2026-11-01', DATE '2026-11-30', 'district', 0.4),
        ('crimes_per_1000', DATE '2026-11-01', DATE '2026-11-30', 'ward', 0.1),
        ('contacts_received', DATE '2026-11-01', DATE '2026-11-30', 'district', 900))
        AS t(measure_id, period_start, period_end, area_type, value)""")
    build_period_completeness(warehouse, dt.date(2026, 12, 3))
    rows = warehouse.execute("""SELECT measure_id, period_start, period_end, period_status, period_complete,
                                       provisional, turns_provisional_on
                                FROM marts.period_completeness ORDER BY ALL""").fetchall()
    # November: the police's file is due 28 December (grace to 11 January), CRM's 5 December (grace to 19th).
    assert rows == [
        ("contacts_received", dt.date(2026, 11, 1), dt.date(2026, 11, 30), IN_PROGRESS, False, True,
         dt.date(2026, 12, 20)),
        ("crimes_per_1000", dt.date(2026, 10, 1), dt.date(2026, 10, 31), "complete", True, False, None),
        ("crimes_per_1000", dt.date(2026, 11, 1), dt.date(2026, 11, 30), IN_PROGRESS, False, True,
         dt.date(2027, 1, 12))]
    assert not completeness.due_to_change(warehouse, dt.date(2026, 12, 19))
    assert completeness.due_to_change(warehouse, dt.date(2026, 12, 20))
    build_period_completeness(warehouse, dt.date(2026, 12, 20))
    assert warehouse.execute("""SELECT period_status, period_complete FROM marts.period_completeness
                                WHERE measure_id = 'contacts_received'""").fetchall() == [(PROVISIONAL, True)]


def test_no_table_yet_means_nothing_is_due(tmp_path):
    with duckdb.connect(str(tmp_path / "new.duckdb")) as con:
        assert not completeness.due_to_change(con, dt.date(2026, 12, 3))


def test_a_period_turning_provisional_rebuilds_what_reads_its_status(monkeypatch, tmp_path):
    from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, OUTPUTS

    monkeypatch.setattr(selection, "_stale", lambda *args: {})  # every asset built, with tonight's code
    monkeypatch.setattr(selection, "built_in_month", lambda instance, key: "2026-12")
    settings = load_settings(data_dir=tmp_path / "data", as_of=dt.date(2026, 12, 20))
    plan = selection.plan_night(dg.DagsterInstance.ephemeral(), ALL_ASSETS, ALL_CHECKS, settings, excluded=OUTPUTS,
                                looked=({}, {COMPLETENESS}))
    assert plan.reasons == {"marts.period_completeness":
                            "a period in progress turns provisional tonight (its grace is over)"}
    for table in ("marts.period_completeness", "marts.measure_spc", "marts.dashboard_strategic",
                  "marts.dashboard_operational", "marts.disclosed_values"):
        assert table_key(table) in plan.assets, table
    assert PUBLISHED in plan.assets
    assert table_key("staging.police_street") not in plan.assets and table_key("marts.measure_values") not in \
        plan.assets


@pytest.fixture
def contacts(warehouse) -> duckdb.DuckDBPyConnection:
    """Contacts received: 100 a month from October 2025 to October 2026, then November 2026 with 3 so far
    (CRM's November file is loaded but held back: November is not delivered)."""
    warehouse.execute("CREATE SCHEMA measures")
    warehouse.execute("""CREATE TABLE audit.measure_definitions (measure_id VARCHAR, definition VARCHAR,
                         first_seen_at TIMESTAMP, run_id VARCHAR, rebase_reason VARCHAR)""")
    months = [dt.date(2025, 10 + i, 1) if i < 3 else dt.date(2026, i - 2, 1) for i in range(14)]
    rows = [(m, add_months(m, 1) - dt.timedelta(days=1), 100 if m < dt.date(2026, 11, 1) else 3) for m in months]
    warehouse.execute("""CREATE TABLE measures.contacts_received (period_start DATE, period_end DATE,
                         area_type VARCHAR, area_code VARCHAR, value DOUBLE, numerator DOUBLE, observations BIGINT)""")
    warehouse.executemany("INSERT INTO measures.contacts_received VALUES (?, ?, 'district', 'E07000234', ?, ?, ?)",
                          [(s, e, n, n, n) for s, e, n in rows])
    warehouse.execute("""CREATE TABLE marts.measure_values AS SELECT 'contacts_received' AS measure_id, *
                         FROM measures.contacts_received""")
    return warehouse


def test_a_month_still_being_delivered_is_not_judged_by_its_few_records(contacts):
    from quality.gx_marts import _measure_frames
    from quality.measure_checks import reliable

    measure = catalogue().measures["contacts_received"]
    outcome = reliable(contacts, measure, "run-1")
    assert (outcome.status, outcome.period) == ("pass", dt.date(2026, 10, 1))
    _, series = _measure_frames(contacts, measure)
    assert series["volume_ratio"].iloc[-2] == 1.0 and pd.isna(series["volume_ratio"].iloc[-1])
    # Once CRM's November file is staged, November is delivered: 3 records against the usual 100 is a warning.
    contacts.execute("INSERT INTO audit.row_conservation VALUES ('crm_contacts', 'c11')")
    outcome = reliable(contacts, measure, "run-2")
    assert outcome.status == "warn" and "November 2026 rests on 3 records; usually about 100" in outcome.summary
    _, series = _measure_frames(contacts, measure)
    assert series["volume_ratio"].iloc[-1] == pytest.approx(0.03)


def test_the_nightly_look_reports_a_period_due_to_turn_provisional(tmp_path, monkeypatch):
    from pipelines import changes

    settings = load_settings(data_dir=tmp_path / "data", as_of=dt.date(2026, 12, 13))
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("""CREATE TABLE marts.period_completeness AS SELECT 'asb_incidents' AS measure_id,
                       DATE '2026-12-13' AS turns_provisional_on""")
    monkeypatch.setattr(changes, "changed_landing", lambda con, settings: {})
    monkeypatch.setattr(changes, "timeliness_changes", lambda con, as_of, prefix=(): set())
    assert changes.look(settings) == ({}, {COMPLETENESS})
    assert changes.look(dataclasses.replace(settings, as_of=dt.date(2026, 12, 12))) == ({}, set())


def test_a_period_turning_provisional_alone_rebuilds_the_site_and_reports(tmp_path):
    # On the night a period turns provisional by date, marts.measure_values does not change: the outputs must
    # still be rebuilt (their digest reads the period's status and the disclosure), or the month stays hidden.
    from outputs.unchanged import inputs_digest
    from tests.conftest import build_outputs_fixture

    published = build_outputs_fixture(tmp_path / "published.duckdb")
    until = dt.date(2026, 12, 20)
    with duckdb.connect(str(published)) as con:
        before = {o: inputs_digest(con, o, until) for o in ("outputs.public_site", "outputs.reports")}
        con.execute("""UPDATE marts.period_completeness SET period_status = 'provisional', period_complete = true
                       WHERE period_status = 'in progress'""")
        after = {o: inputs_digest(con, o, until) for o in ("outputs.public_site", "outputs.reports")}
    assert all(before[o] != after[o] for o in before)


def test_a_trial_is_judged_on_complete_periods_only(tmp_path):
    # As the chart: a month still in progress (a partial count) does not move a trial's verdict.
    from warehouse.trials import judged_trials

    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA core")
    con.execute("""CREATE TABLE marts.measure_values (measure_id VARCHAR, period_start DATE, period_end DATE,
                   area_type VARCHAR, area_code VARCHAR, value DOUBLE)""")
    months = [add_months(dt.date(2024, 1, 1), i) for i in range(25)]
    values = [66, 70] * 6 + [76, 80] * 6 + [5]  # the 25th month (January 2026) is partial: 5
    con.executemany("INSERT INTO marts.measure_values VALUES ('resolved_first_contact_pct', ?, ?, 'district', "
                    "'E07000234', ?)", [(m, add_months(m, 1) - dt.timedelta(days=1), v)
                                         for m, v in zip(months, values, strict=True)])
    con.execute("""CREATE TABLE marts.period_completeness AS SELECT DISTINCT measure_id, period_start,
                   period_start < DATE '2026-01-01' AS period_complete FROM marts.measure_values""")
    con.execute("""CREATE TABLE core.trials AS SELECT 'CPD-9' AS trial_id, 'Customer Services' AS service,
                   DATE '2025-01-15' AS start_date, 'Advisers own the whole query' AS description,
                   'resolved_first_contact_pct' AS measure_id, 'Head of Customer Services' AS lead_officer""")
    ((_, outcome),) = judged_trials(con, catalogue(), "resolved_first_contact_pct", None)
    # 12 months since the start, every one above the old upper limit (68 + 10.64): improvement, not "mixed".
    assert outcome.verdict == "improvement" and "12 of 12" in outcome.summary


def test_a_source_that_never_delivered_does_not_hold_back_measures_it_gave_nothing(warehouse):
    # core.fact_cases mixes five services: lineage links planning decisions to DFG cases, benefits, housing and
    # street scene too. With only the planning extract staged, only it decides planning's periods (a service not
    # yet onboarded, or whose first delivery is held back, must not hide every case measure).
    from quality.completeness import measure_period_sources

    assert set(completeness.linked_sources()["planning_decisions"]) >= {"planning_applications", "dfg_cases"}
    warehouse.execute("""INSERT INTO audit.loaded_files (source, file_name, file_sha256, loaded_at, loaded_as_of)
        VALUES ('planning_applications', 'planning_decisions_2026-10.csv', 'pl10', '2026-11-06 02:00', '2026-11-06')""")
    warehouse.execute("INSERT INTO audit.row_conservation VALUES ('planning_applications', 'pl10')")
    assert measure_period_sources(warehouse, only="planning_decisions") == \
        {"planning_decisions": ("planning_applications",)}


def test_a_provisional_period_is_not_released_below_the_district(tmp_path):
    # A provisional month lacks a source by definition: its figures below the district would become the frozen
    # first release (audit.disclosure_releases), so it is released only once complete.
    from tests.conftest import build_outputs_fixture
    from warehouse.disclosure import build_disclosed_values

    published = build_outputs_fixture(tmp_path / "published.duckdb")
    with duckdb.connect(str(published)) as con:
        released = "SELECT count(*) FROM marts.disclosed_values WHERE measure_id = 'asb_incidents'"
        assert con.execute(released).fetchone()[0] > 0  # September 2026, complete
        con.execute("""UPDATE marts.period_completeness SET period_status = 'provisional', provisional = true
                       WHERE measure_id = 'asb_incidents'""")
        build_disclosed_values(con, [5], dt.date(2026, 11, 26))
        assert con.execute(released).fetchone()[0] == 0


def test_the_due_day_is_written_as_people_write_dates():
    # CRM's November file is due on 5 December: "5 December 2026", not "05 December 2026".
    judged = judge_period(dt.date(2026, 11, 30), ("crm_contacts",), {}, dt.date(2026, 12, 1))
    assert judged.awaiting.endswith("for November 2026 (due 5 December 2026)")


def test_an_empty_month_with_the_same_bytes_as_an_earlier_one_is_still_delivered(tmp_path):
    # A service with nothing to report for February and March sends a header only both months: the same bytes.
    # March's file is not loaded again (nothing in it could count twice), but it is March's delivery: March is
    # due on 5 April, so on 4 April CRM is on time with no month missing, and contacts have delivered March.
    landing = tmp_path / "crm_contacts"
    landing.mkdir()
    january = (FIXTURE_LANDING / "crm_contacts" / "crm_contacts_2026-01.csv").read_bytes()
    header = january.splitlines(keepends=True)[0]
    (landing / "crm_contacts_2026-01.csv").write_bytes(january)
    (landing / "crm_contacts_2026-02.csv").write_bytes(header)
    crm = CONTRACTS["crm_contacts"]
    with duckdb.connect() as con:
        prepare(con, "tests-only-pseudonym-key-not-secret-0123456789")
        ensure_schemas(con)
        with clock.night_of(dt.date(2026, 3, 2)):
            load_source(con, crm, landing, "night-1")
        _staged_whole(con)
        (landing / "crm_contacts_2026-03.csv").write_bytes(header)
        with clock.night_of(dt.date(2026, 4, 2)):
            report = load_source(con, crm, landing, "night-2")
        _staged_whole(con)
        assert report.files_skipped == ["crm_contacts_2026-01.csv", "crm_contacts_2026-02.csv",
                                        "crm_contacts_2026-03.csv"]  # March: the same bytes as February
        assert completeness.delivered_through(con)["crm_contacts"] == dt.date(2026, 3, 1)
        timely = source_checks.timely(con, crm, dt.date(2026, 4, 4))
        assert (timely.status, timely.summary) == ("pass", "Latest file is for March 2026; the next is due "
                                                           "05 May 2026.")
        # January's rows sent again under April's name are not April's delivery (nor loaded twice).
        (landing / "crm_contacts_2026-04.csv").write_bytes(january)
        with clock.night_of(dt.date(2026, 5, 2)):
            load_source(con, crm, landing, "night-3")
        assert completeness.delivered_through(con)["crm_contacts"] == dt.date(2026, 3, 1)


def _staged_whole(con: duckdb.DuckDBPyConnection) -> None:
    """Record every loaded file as staged in full (what staging records; CRM's staging needs core tables)."""
    con.execute("""INSERT INTO audit.row_conservation SELECT source, file_path, file_sha256, rows_loaded,
                   rows_loaded, 0, 0, true, TIMESTAMP '2026-04-02 01:00', 'test' FROM audit.loaded_files
                   WHERE file_sha256 NOT IN (SELECT file_sha256 FROM audit.row_conservation)""")


def test_an_owner_is_not_asked_to_explain_a_month_still_in_progress():
    # On 3 December ASB's November is in progress (the police file is due on 28 December): the commentary and
    # sign-off asked for are October's, which has commentary but no sign-off. Planning's November is complete.
    from assets.marts import COMMENTARY_SQL

    con = duckdb.connect()
    con.execute("""
        CREATE SCHEMA core; CREATE SCHEMA marts; SET VARIABLE as_of = DATE '2026-12-03';
        CREATE TABLE core.dim_measure AS SELECT * FROM (VALUES
            ('asb_incidents', 'ASB', 'community_safety', 'Head of Community Safety', 'cs@x', false),
            ('planning_decisions', 'Planning', 'planning', 'Head of Planning', 'pl@x', false))
            t(measure_id, title, team_id, owner_name, owner_email, is_manual);
        CREATE TABLE marts.measure_values AS SELECT * FROM (VALUES
            ('asb_incidents', 'district', DATE '2026-10-01', DATE '2026-10-31', 40.0),
            ('asb_incidents', 'district', DATE '2026-11-01', DATE '2026-11-30', 12.0),
            ('planning_decisions', 'district', DATE '2026-11-01', DATE '2026-11-30', 30.0))
            t(measure_id, area_type, period_start, period_end, value);
        CREATE TABLE marts.period_completeness AS SELECT * FROM (VALUES
            ('asb_incidents', DATE '2026-10-01', DATE '2026-10-31', true),
            ('asb_incidents', DATE '2026-11-01', DATE '2026-11-30', false),
            ('planning_decisions', DATE '2026-11-01', DATE '2026-11-30', true))
            t(measure_id, period_start, period_end, period_complete);
        CREATE TABLE core.measure_commentary AS SELECT * FROM (VALUES
            ('asb_incidents', DATE '2026-10-01', 'Up after the fair.', 'A Officer', DATE '2026-11-10',
             NULL, NULL, false))
            t(measure_id, period_start, commentary, commentary_by, commentary_date, signed_off_by, signed_off_date,
              sign_off_covers_commentary)""")
    flags = con.execute(f"SELECT measure_id, latest_period, flag FROM ({COMMENTARY_SQL.read_text()}) ORDER BY 1"
                        ).fetchall()
    assert flags == [("asb_incidents", dt.date(2026, 10, 1), "not signed off for October 2026"),
                     ("planning_decisions", dt.date(2026, 11, 1), "no commentary and no sign-off for November 2026")]


def test_the_end_to_end_chart_leaves_out_a_service_month_still_in_progress():
    # Fly-tipping's November is in progress (its measure's period status): the chart stops at October. Planning's
    # November is complete. A month with no status recorded is kept (nothing says it is in progress).
    con = duckdb.connect()
    con.execute("""
        CREATE SCHEMA marts;
        CREATE TABLE marts.end_to_end_times AS SELECT * FROM (VALUES
            ('Fly-tipping clearance', DATE '2026-10-01', DATE '2026-10-31', 2.0),
            ('Fly-tipping clearance', DATE '2026-11-01', DATE '2026-11-30', 4.5),
            ('Planning applications', DATE '2026-10-01', DATE '2026-10-31', 60.0),
            ('Planning applications', DATE '2026-11-01', DATE '2026-11-30', 58.0))
            t(service, month_start, month_end, median_days);
        CREATE TABLE marts.period_completeness AS SELECT * FROM (VALUES
            ('fly_tipping_clearance_days', DATE '2026-10-01', true),
            ('fly_tipping_clearance_days', DATE '2026-11-01', false),
            ('planning_decisions', DATE '2026-11-01', true)) t(measure_id, period_start, period_complete)""")
    build_end_to_end_spc(con)
    assert con.execute("SELECT service, period_start FROM marts.end_to_end_spc ORDER BY 1, 2").fetchall() == [
        ("Fly-tipping clearance", dt.date(2026, 10, 1)),
        ("Planning applications", dt.date(2026, 10, 1)), ("Planning applications", dt.date(2026, 11, 1))]
    # Every service the end-to-end SQL names has its measure, and each is a catalogue measure.
    sql = (ROOT / "warehouse" / "sql" / "marts" / "end_to_end_times.sql").read_text()
    assert set(re.findall(r"THEN '([^']+)'", sql)) == set(END_TO_END_MEASURES)
    assert set(END_TO_END_MEASURES.values()) <= set(catalogue().measures)


def test_a_council_s_own_grace_decides_when_its_period_turns_provisional(tmp_path, monkeypatch):
    # The council gives the police's file 3 days' grace: due 28 November, provisional from 2 December.
    with_profile(tmp_path / "councils", monkeypatch, thresholds={"sources": {"police_street": {"grace_days": 3}}})
    through = {"police_street": dt.date(2026, 9, 1)}
    assert judge_period(OCTOBER_END, POLICE, through, dt.date(2026, 12, 1)).turns_provisional_on == dt.date(2026, 12, 2)
    assert judge_period(OCTOBER_END, POLICE, through, dt.date(2026, 12, 2)).status == PROVISIONAL
