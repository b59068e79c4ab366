"""Worked values: every catalogue measure's value, at every level it is broken down to, compared with a figure
worked out by hand from the hand-made files (the arithmetic is in the comments), never computed by the code
under test. One night loads the fixture (tests/fixtures/landing), the systems fixture (tests/fixtures/systems)
and the worked-values files (tests/fixtures/worked). A measure added to the catalogue without worked rows here
fails `test_every_catalogue_measure_has_a_worked_value_at_every_level`."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import build_definitions
from pipelines.nightly import run_nightly
from sources import CONTRACTS
from tests.conftest import copy_fixture, query
from tests.worked_values_housing import ABSENT as HOUSING_AND_PEOPLE_ABSENT
from tests.worked_values_housing import QUARANTINED
from tests.worked_values_housing import ROWS as HOUSING_AND_PEOPLE
from warehouse.catalogue import catalogue
from warehouse.settings import Settings, SettingsResource

FIXTURES = Path(__file__).parent / "fixtures"
ALPHA, BETA, GAMMA = "E05015400", "E05015401", "E05015402"
DISTRICT = "E07000234"
JAN, FEB = "2026-01-01", "2026-02-01"
ABSENT = None  # the measure has no value there (a ratio or median with nothing to divide or rank)

# Residents (census fixture): Alpha 1,000, Beta 2,000, Gamma 3,000; district 6,000. Localities: North = Alpha +
# Beta, South = Gamma. Gazetteer: UPRN 1001 is in Alpha, 1002 in Beta, 1003 in Gamma.

# Contacts (tests/fixtures/landing/crm_contacts). January: C1 Alpha phone failure not resolved, C2 Alpha web form
# value resolved, C3 Beta email failure resolved, C4 (no UPRN: district only) phone value resolved; C5 is
# quarantined (UPRN 9999 is not in the gazetteer). February: C6 Gamma face to face value resolved, C7 Gamma phone
# failure not resolved.
# Police, January (tests/fixtures/landing/police_street): Alpha burglary + violence, Beta anti-social behaviour,
# Gamma shoplifting; a Redditch row and a "No location" row are out of scope.
CONTACTS_AND_CRIME = [
    ("failure_demand_pct", JAN, "district", DISTRICT, 50.0),          # C1, C3 of C1..C4
    ("failure_demand_pct", JAN, "ward", ALPHA, 50.0),                 # C1 of C1, C2
    ("failure_demand_pct", JAN, "ward", BETA, 100.0),                 # C3 of C3
    ("failure_demand_pct", JAN, "locality", "north", 200 / 3),        # C1, C3 of C1..C3
    ("failure_demand_pct", JAN, "locality", "south", ABSENT),         # nobody in South contacted us
    ("failure_demand_pct", FEB, "district", DISTRICT, 50.0),          # C7 of C6, C7
    ("failure_demand_pct", FEB, "locality", "south", 50.0),
    ("resolved_first_contact_pct", JAN, "district", DISTRICT, 75.0),  # C2, C3, C4 of four
    ("resolved_first_contact_pct", JAN, "ward", ALPHA, 50.0),         # C2 of C1, C2
    ("resolved_first_contact_pct", JAN, "locality", "north", 200 / 3),  # C2, C3 of C1..C3
    ("resolved_first_contact_pct", FEB, "locality", "south", 50.0),   # C6 of C6, C7
    ("contacts_received", JAN, "district", DISTRICT, 4.0),            # C1..C4 (C5 quarantined)
    ("contacts_received", JAN, "locality", "north", 3.0),             # C1..C3
    ("contacts_received", JAN, "ward", ALPHA, 2.0),                   # C1, C2
    ("contacts_received", JAN, "ward", GAMMA, 0.0),                   # counts are zero-filled
    ("contacts_received", FEB, "ward", GAMMA, 2.0),                   # C6, C7
    ("online_contact_pct", JAN, "district", DISTRICT, 50.0),          # C2 web form, C3 email of four
    ("online_contact_pct", JAN, "ward", ALPHA, 50.0),                 # C2 of C1, C2
    ("online_contact_pct", JAN, "ward", BETA, 100.0),                 # C3 of C3
    ("online_contact_pct", JAN, "locality", "north", 200 / 3),        # C2, C3 of C1..C3
    ("online_contact_pct", FEB, "district", DISTRICT, 0.0),           # face to face and phone
    ("crimes_per_1000", JAN, "district", DISTRICT, 0.5),              # 3 crimes / 6,000 x 1,000
    ("crimes_per_1000", JAN, "ward", ALPHA, 2.0),                     # 2 / 1,000 x 1,000
    ("crimes_per_1000", JAN, "ward", BETA, 0.0),                      # ASB is not a crime here
    ("crimes_per_1000", JAN, "ward", GAMMA, 1000 / 3000),             # 1 / 3,000 x 1,000
    ("crimes_per_1000", JAN, "locality", "north", 2000 / 3000),       # 2 / 3,000 x 1,000
    ("crimes_per_1000", JAN, "locality", "south", 1000 / 3000),
    ("asb_incidents", JAN, "district", DISTRICT, 1.0),
    ("asb_incidents", JAN, "ward", BETA, 1.0),
    ("asb_incidents", JAN, "ward", ALPHA, 0.0),
    ("asb_incidents", JAN, "locality", "north", 1.0),
    ("asb_incidents", JAN, "locality", "south", 0.0),
]

# Planning (tests/fixtures/systems: January; tests/fixtures/worked: February). In time is within 56 days of being
# valid (91 for a major), or within an agreed extension.
# January, all decided 20 Jan: Minor valid 12 Jan (8 days) Alpha, Minor valid 2 Jan (18) Alpha, Other valid
# 23 Dec (28) Beta, Other valid 13 Dec (38) Beta: all in time; Major valid 14 Oct (17 + 30 + 31 + 20 = 98 days,
# no extension) Gamma: late.
# February: 26/0100 Minor valid 1 Dec, decided 10 Feb (71 days) with an extension, Alpha: in time; 26/0101 the
# same without one, Gamma: late; 26/0102 Other valid 15 Dec, decided 9 Feb (16 + 31 + 9 = 56 days, the last
# day), Beta: in time; 25/0900 Major valid 10 Nov, decided 9 Feb (20 + 31 + 31 + 9 = 91 days, the last day),
# Gamma: in time; 25/0901 Major valid 9 Nov (92 days) with an extension, Alpha: in time; 25/0902 the same
# without one, Beta: late.
PLANNING = [
    ("planning_decisions", JAN, "district", DISTRICT, 5.0),
    ("planning_decisions", JAN, "ward", ALPHA, 2.0),
    ("planning_decisions", JAN, "ward", GAMMA, 1.0),
    ("planning_decisions", JAN, "locality", "north", 4.0),           # two in Alpha, two in Beta
    ("planning_decisions", FEB, "district", DISTRICT, 6.0),
    ("planning_decisions", FEB, "ward", BETA, 2.0),                  # 26/0102, 25/0902
    ("planning_decisions", FEB, "locality", "south", 2.0),           # 26/0101, 25/0900
    ("planning_major_in_time_pct", JAN, "district", DISTRICT, 0.0),  # 98 days, no extension
    ("planning_major_in_time_pct", FEB, "district", DISTRICT, 200 / 3),  # 25/0900, 25/0901 of three
    ("planning_minor_other_in_time_pct", JAN, "district", DISTRICT, 100.0),  # four of four
    ("planning_minor_other_in_time_pct", JAN, "locality", "north", 100.0),
    ("planning_minor_other_in_time_pct", JAN, "locality", "south", ABSENT),  # only the major was in Gamma
    ("planning_minor_other_in_time_pct", FEB, "district", DISTRICT, 200 / 3),  # 26/0100, 26/0102 of three
    ("planning_minor_other_in_time_pct", FEB, "locality", "north", 100.0),  # 26/0100 (Alpha), 26/0102 (Beta)
    ("planning_minor_other_in_time_pct", FEB, "locality", "south", 0.0),    # 26/0101 (Gamma)
]

# Benefits. January (systems): B1 HB new claim received 11 Jan, all evidence 13 Jan, decided 15 Jan, Alpha
# (4 days; 2 from evidence); B2 CTR new claim received 7 Jan, evidence 12 Jan, decided 15 Jan, Beta (8 days; 3);
# B3 change of circumstances received 14 Jan, decided 15 Jan, Beta (1 day).
# February (worked): B10 HB new claim received 26 Jan, evidence 2 Feb, decided 3 Feb, Gamma (6 + 2 = 8 days
# across the month end; 1 from evidence); B11 change received 30 Jan, decided 6 Feb, Alpha (7 days).
BENEFITS = [
    ("benefits_new_claims_days", JAN, "district", DISTRICT, (4 + 8) / 2),
    ("benefits_new_claims_days", JAN, "ward", ALPHA, 4.0),
    ("benefits_new_claims_days", JAN, "ward", BETA, 8.0),
    ("benefits_new_claims_days", JAN, "ward", GAMMA, ABSENT),
    ("benefits_new_claims_days", JAN, "locality", "north", (4 + 8) / 2),
    ("benefits_new_claims_days", FEB, "district", DISTRICT, 8.0),     # B10, counted in the month it was decided
    ("benefits_new_claims_days", FEB, "locality", "south", 8.0),
    ("benefits_new_claims_evidence_days", JAN, "district", DISTRICT, (2 + 3) / 2),
    ("benefits_new_claims_evidence_days", FEB, "district", DISTRICT, 1.0),
    ("benefits_changes_days", JAN, "district", DISTRICT, 1.0),        # B3 (not a new claim)
    ("benefits_changes_days", JAN, "locality", "north", 1.0),
    ("benefits_changes_days", FEB, "district", DISTRICT, 7.0),        # B11
    ("benefits_changes_days", FEB, "locality", "south", ABSENT),
]

# Street scene. January (systems): W1 fly-tip reported 5 Jan 09:00, cleared 7 Jan, Alpha (2 days); W2 fly-tip
# reported and cleared 10 Jan, Beta (0 days); W3 missed residual bin 12 Jan, Gamma.
# February (worked): W10 fly-tip 2 Feb, cleared 5 Feb, Gamma (3 days); W11 fly-tip 3 Feb 10:00, cleared 4 Feb
# 09:00, Alpha (1 day by the calendar, though under 24 hours); W12 fly-tip 20 Feb, not cleared, Beta; missed
# bins W13 recycling Alpha, W14 garden Beta, W15 residual with no UPRN (district only).
STREET_SCENE = [
    ("fly_tipping_reports", JAN, "district", DISTRICT, 2.0),           # W1, W2
    ("fly_tipping_reports", JAN, "ward", GAMMA, 0.0),
    ("fly_tipping_reports", JAN, "locality", "north", 2.0),
    ("fly_tipping_reports", FEB, "district", DISTRICT, 3.0),           # W10, W11 and W12 (reported, not cleared)
    ("fly_tipping_reports", FEB, "ward", BETA, 1.0),                   # W12
    ("fly_tipping_clearance_days", JAN, "district", DISTRICT, (0 + 2) / 2),  # median of 0 and 2
    ("fly_tipping_clearance_days", JAN, "locality", "north", 1.0),
    ("fly_tipping_clearance_days", FEB, "district", DISTRICT, (1 + 3) / 2),  # W12 is not cleared
    ("fly_tipping_clearance_days", FEB, "locality", "north", 1.0),          # W11
    ("fly_tipping_clearance_days", FEB, "locality", "south", 3.0),          # W10
    ("missed_bins", JAN, "district", DISTRICT, 1.0),                   # W3
    ("missed_bins", JAN, "ward", GAMMA, 1.0),
    ("missed_bins", JAN, "locality", "north", 0.0),
    ("missed_bins", FEB, "district", DISTRICT, 3.0),                   # recycling, garden and residual
    ("missed_bins", FEB, "ward", ALPHA, 1.0),                          # W13
    ("missed_bins", FEB, "locality", "north", 2.0),                    # W13, W14
    ("missed_bins", FEB, "locality", "south", 0.0),
]

WORKED = (CONTACTS_AND_CRIME + PLANNING + BENEFITS + STREET_SCENE + HOUSING_AND_PEOPLE
          + [(*row, ABSENT) for row in HOUSING_AND_PEOPLE_ABSENT])
# Measures whose worked value is asserted by another module's night (the performance-returns template).
WORKED_ELSEWHERE = {"business_start_ups": "tests/test_returns.py"}


@pytest.fixture(scope="module")
def worked_night(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The fixture, the systems fixture and the worked-values files loaded and published once for this module."""
    resource = SettingsResource(data_dir=str(tmp_path_factory.mktemp("worked") / "data"))
    settings = resource.get()
    settings.landing_dir.mkdir(parents=True)
    copy_fixture(settings)
    for folder in ("systems", "worked"):
        shutil.copytree(FIXTURES / folder, settings.landing_dir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.py"))
    outcome = run_nightly(build_definitions(resource), instance=dg.DagsterInstance.ephemeral(), log_level="WARNING")
    assert outcome.success, outcome.checks_failed
    return settings


def test_every_catalogue_measure_has_a_worked_value_at_every_level():
    levels: dict[str, set[str]] = {}
    for measure, _, area_type, _, value in WORKED:
        if value is not ABSENT:
            levels.setdefault(measure, set()).add(area_type)
    missing = {m.id: sorted(set(m.breakdowns) - levels.get(m.id, set())) for m in catalogue().measures.values()
               if m.id not in WORKED_ELSEWHERE and set(m.breakdowns) - levels.get(m.id, set())}
    assert not missing, f"measures without a hand-worked value at these levels: {missing}"
    for measure, module in WORKED_ELSEWHERE.items():
        assert measure in catalogue().measures
        assert f'"{measure}"' in (Path(__file__).parents[1] / module).read_text(encoding="utf-8")
    assert not {m for m, *_ in WORKED} - set(catalogue().measures), "a worked value names no catalogue measure"


def _copy_holding(settings: Settings, measure: str, area_type: str) -> Path:
    """The published copy holding the row: a special-category measure's rows below the district reach only the
    analyst copy (README: Data protection)."""
    special = catalogue().measures[measure].data_class == "special_category"
    return settings.analyst_path if special and area_type != "district" else settings.published_path


@pytest.mark.parametrize("measure", sorted({m for m, *_ in WORKED}))
def test_worked_values(worked_night: Settings, measure: str):
    wrong = []
    for _, month, area_type, area_code, expected in (row for row in WORKED if row[0] == measure):
        found = [v for (v,) in query(_copy_holding(worked_night, measure, area_type), """SELECT value
                 FROM marts.measure_values WHERE measure_id = ? AND period_start = ?::DATE AND area_type = ?
                 AND area_code = ?""",
                 [measure, month, area_type, area_code])]
        ok = (not found or found == [None]) if expected is ABSENT else (
            len(found) == 1 and found[0] == pytest.approx(expected, rel=1e-12))
        if not ok:
            wrong.append(f"{month} {area_type} {area_code}: expected {expected}, got {found}")
    assert not wrong, "\n".join(wrong)


def test_only_the_rows_meant_to_be_are_quarantined(worked_night: Settings):
    # Every other row is staged: 7 + 1 housing cases, 4 + 1 grants, 5 + 1 lettings, 7 employees, 4 + 2 visits;
    # planning 5 + 6, benefits 3 + 2, street scene 3 + 6.
    staged = {"housing_options": 8, "dfg_cases": 5, "lettings": 6, "hr_absence": 7, "leisure_visits": 6,
              "planning_applications": 11, "benefits_claims": 5, "waste_reports": 9}
    rows = query(worked_night.published_path, f"""SELECT source, source_file, row_number, reason FROM audit.quarantine
                 WHERE source IN {tuple(staged)} ORDER BY ALL""")
    assert [(s, Path(f).name, n, r) for s, f, n, r in rows] == sorted(QUARANTINED)
    assert dict(query(worked_night.published_path, f"""SELECT source, sum(staged_rows)::INTEGER
                      FROM audit.row_conservation WHERE source IN {tuple(staged)} GROUP BY source""")) == staged


# The key column each case reference becomes in staging (the macro `pseudonymise`).
PSEUDONYMISED = {"crm_contacts": ("Contact Ref", "contact_key"), "benefits_claims": ("Claim Ref", "claim_key"),
                 "waste_reports": ("Report Ref", "report_key"), "housing_options": ("Case Ref", "case_key"),
                 "dfg_cases": ("Case Ref", "case_key"), "lettings": ("Letting Ref", "letting_key"),
                 "hr_absence": ("Employee Number", "employee_key")}


def test_case_references_become_keyed_pseudonyms(worked_night: Settings):
    # By hand, as README "Data protection" defines it: the first 24 hex digits of SHA-256 of "<key>:<reference>".
    key = worked_night.pseudonym_key
    with duckdb.connect(str(worked_night.warehouse_path), read_only=True) as con:
        for source, (reference, column) in PSEUDONYMISED.items():
            delivered = [r for (r,) in con.execute(f'SELECT trim("{reference}") FROM raw.{source}').fetchall()]
            keyed = {hashlib.sha256(f"{key}:{r}".encode()).hexdigest()[:24] for r in delivered}
            staged = {k for (k,) in con.execute(f"SELECT {column} FROM staging.{source}").fetchall()}
            assert staged and staged <= keyed, source
            assert not staged & set(delivered), source


def test_no_personal_value_leaves_raw(worked_night: Settings):
    # Every value of every personal column delivered (references, names, phones, NI numbers, notes), looked for
    # as a whole cell in every text column outside raw, in the working warehouse and both published copies.
    with duckdb.connect(str(worked_night.warehouse_path), read_only=True) as con:
        personal = set()
        for contract in (c for c in CONTRACTS.values() if c.personal_columns):
            if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND "
                           "table_name = ?", [contract.name]).fetchone()[0]:
                for column in contract.personal_columns:
                    personal |= {v for (v,) in con.execute(f'SELECT DISTINCT trim("{column}"::VARCHAR) FROM '
                                                           f"raw.{contract.name}").fetchall() if v}
    assert {"C1", "B10", "QQ123456C", "07700 900030", "E101"} <= personal  # the scan looks for what it should
    for path in (worked_night.warehouse_path, worked_night.published_path, worked_night.analyst_path):
        with duckdb.connect(str(path), read_only=True) as con:
            columns = con.execute("""SELECT table_schema, table_name, column_name FROM information_schema.columns
                                     WHERE data_type = 'VARCHAR' AND table_schema <> 'raw'""").fetchall()
            for schema, table, column in columns:
                found = con.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}" IN '
                                    "(SELECT unnest(?::VARCHAR[]))", [sorted(personal)]).fetchone()[0]
                assert found == 0, (path.name, schema, table, column)
