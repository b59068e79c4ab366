"""Housing, HR and leisure measure values worked out by hand from tests/fixtures/worked (not from the code).

The landing files (one folder per source) sit on top of the hand-made fixture (tests/fixtures/landing) and the
systems fixture (tests/fixtures/systems), which hold none of these sources. Gazetteer: UPRN 1001 is in ward Alpha
(E05015400, 1,000 residents), 1002 in Beta (E05015401, 2,000), 1003 in Gamma (E05015402, 3,000); locality north =
Alpha + Beta, south = Gamma; the district (E07000234) has 6,000 residents. The XLSX records are written out, one
comment each, in tests/fixtures/worked/make_xlsx.py; the CSV records are repeated below.

housing_options (closed cases; days are outcome date - approach date, counted on the calendar):
  January: H1 Alpha Prevented 15 d; H2 Alpha Relieved 30 d (approached in December); H3 Beta Main duty accepted
  69 d; H4 Gamma Withdrawn 2 d; H5 no UPRN No duty owed 28 d (district only); H6 Gamma Prevented 10 d (approached
  in December); H7 Beta Prevented 1 d. February: H8 Beta Relieved 9 d (approached in January).
dfg_cases (completions; days are completion date - REFERRAL date, not approval date):
  January: D1 Alpha 130 d (56 from approval); D2 Beta 46 d (25); D3 Gamma 92 d (50); D4 Alpha 10 d (8; referred in
  December); D5 Gamma approved 12 Jan but not completed: quarantined, counted nowhere. February: D6 Beta 13 d.
lettings (lettings_return_2026-0{1,2}.csv; void days = tenancy start - void start):
  January: L1 Alpha 2 -> 12 Jan, 10 d; L2 Beta 15 Dec -> 5 Jan, 16 + 5 = 21 d; L3 Gamma 1 -> 31 Jan, 30 d;
  L4 Alpha 20 -> 23 Jan, 3 d; L5 Gamma let 19 Jan with no Void Start Date (a first let: no previous tenancy).
  February: L6 Beta 28 Jan -> 2 Feb, 3 + 2 = 5 d (its void began in January; it is February's letting).
hr_absence (sickness_absence_2026-01.csv, Windows-1252; team -> catalogue team by the HR name, any case):
  Planning: E101 FTE 1.0 3 days, E102 FTE 0.5 (part time) 2 days, E103 FTE 0.8 0 days;
  Housing Options: E104 FTE 1.0 4.5 days, E105 FTE 0.6 0 days; "finance" (lower case): E106 FTE 1.0 1 day;
  "Chief Executive's Office" (no catalogue team): E107 FTE 1.0 2 days, council-wide only.
leisure_visits (Visits; Concession Visits are part of them, never added):
  January: Bromsgrove Sports Centre (Alpha) Swimming 1,200, Gym 2,500; Hagley Pool (Gamma, code in lower case)
  Swimming 810, Classes 490; Abbey Stadium (a Redditch ward) Gym 999: quarantined, not a district centre.
  February: Sports Centre Swimming 1,500; Hagley Pool Swimming 900.
"""

from __future__ import annotations

DISTRICT = "E07000234"
ALPHA, BETA, GAMMA = "E05015400", "E05015401", "E05015402"
JAN, FEB = "2026-01-01", "2026-02-01"

ROWS: list[tuple[str, str, str, str, float]] = [
    # --- dfg_completions: completions by completion month (sum, zero-filled); breakdowns district, locality.
    ("dfg_completions", JAN, "district", DISTRICT, 4.0),  # D1, D2, D3, D4; D5 not completed
    ("dfg_completions", JAN, "locality", "north", 1 + 1 + 1),  # D1 Alpha, D4 Alpha, D2 Beta
    ("dfg_completions", JAN, "locality", "south", 1.0),  # D3 Gamma (D5, Gamma, not completed)
    ("dfg_completions", FEB, "district", DISTRICT, 1.0),  # D6 (referred in January, completed 2 Feb)
    ("dfg_completions", FEB, "locality", "north", 1.0),  # D6 Beta
    ("dfg_completions", FEB, "locality", "south", 0.0),  # none: a count is zero-filled
    # --- dfg_end_to_end_days: median of (completion - referral) over completions; breakdown district.
    ("dfg_end_to_end_days", JAN, "district", DISTRICT, (46 + 92) / 2),  # sorted 10, 46, 92, 130: mid pair
    ("dfg_end_to_end_days", FEB, "district", DISTRICT, 13.0),  # D6: 20 Jan -> 2 Feb
    # --- homelessness_prevented_relieved_pct: 100 x (Prevented + Relieved) / closed; district, locality, ward.
    ("homelessness_prevented_relieved_pct", JAN, "district", DISTRICT, 100 * 4 / 7),  # H1 H2 H6 H7 of H1..H7
    ("homelessness_prevented_relieved_pct", JAN, "locality", "north", 100 * 3 / 4),  # H1 H2 H7 of H1 H2 H3 H7
    ("homelessness_prevented_relieved_pct", JAN, "locality", "south", 100 * 1 / 2),  # H6 of H4, H6
    ("homelessness_prevented_relieved_pct", JAN, "ward", ALPHA, 100 * 2 / 2),  # H1 Prevented, H2 Relieved
    ("homelessness_prevented_relieved_pct", JAN, "ward", BETA, 100 * 1 / 2),  # H7 Prevented; H3 Main duty
    ("homelessness_prevented_relieved_pct", JAN, "ward", GAMMA, 100 * 1 / 2),  # H6 Prevented; H4 Withdrawn
    ("homelessness_prevented_relieved_pct", FEB, "district", DISTRICT, 100 * 1 / 1),  # H8 Relieved
    ("homelessness_prevented_relieved_pct", FEB, "ward", BETA, 100 * 1 / 1),  # H8
    # --- housing_options_end_to_end_days: median of (outcome - approach) over closed cases; district, locality.
    ("housing_options_end_to_end_days", JAN, "district", DISTRICT, 15.0),  # 1 2 10 [15] 28 30 69 (H1..H7)
    ("housing_options_end_to_end_days", JAN, "locality", "north", (15 + 30) / 2),  # 1 15 30 69: H7 H1 H2 H3
    ("housing_options_end_to_end_days", JAN, "locality", "south", (2 + 10) / 2),  # H4 2, H6 10
    ("housing_options_end_to_end_days", FEB, "district", DISTRICT, 9.0),  # H8: 26 Jan -> 4 Feb
    ("housing_options_end_to_end_days", FEB, "locality", "north", 9.0),  # H8 Beta
    # --- lettings_count: lettings by tenancy start month (sum, zero-filled); district, locality, ward.
    ("lettings_count", JAN, "district", DISTRICT, 5.0),  # L1..L5 (L5 a first let: still a home let)
    ("lettings_count", JAN, "locality", "north", 2 + 1),  # L1 L4 Alpha, L2 Beta
    ("lettings_count", JAN, "locality", "south", 2.0),  # L3, L5 Gamma
    ("lettings_count", JAN, "ward", ALPHA, 2.0),  # L1, L4
    ("lettings_count", JAN, "ward", BETA, 1.0),  # L2 (void began in December)
    ("lettings_count", JAN, "ward", GAMMA, 2.0),  # L3, L5
    ("lettings_count", FEB, "district", DISTRICT, 1.0),  # L6 (void began in January)
    ("lettings_count", FEB, "locality", "south", 0.0),  # zero-filled
    ("lettings_count", FEB, "ward", ALPHA, 0.0),  # zero-filled
    ("lettings_count", FEB, "ward", BETA, 1.0),  # L6
    # --- relet_mean_days: days empty between tenancies / homes re-let; district, locality. L5, a first let with no
    # void start date, did not stand empty between tenancies: it is not counted (nor averaged in as 0 days).
    ("relet_mean_days", JAN, "district", DISTRICT, (10 + 21 + 30 + 3) / 4),  # L1, L2, L3, L4
    ("relet_mean_days", JAN, "locality", "north", (10 + 21 + 3) / 3),  # L1, L2, L4
    ("relet_mean_days", JAN, "locality", "south", 30 / 1),  # L3 (L5 is a first let)
    ("relet_mean_days", FEB, "district", DISTRICT, 5.0),  # L6: 28 Jan -> 2 Feb
    ("relet_mean_days", FEB, "locality", "north", 5.0),  # L6 Beta
    # --- sickness_days_per_fte: days lost / FTE employed, January; district (council-wide) and team.
    ("sickness_days_per_fte", JAN, "district", DISTRICT,
     (3 + 2 + 0 + 4.5 + 0 + 1 + 2) / (1.0 + 0.5 + 0.8 + 1.0 + 0.6 + 1.0 + 1.0)),  # everyone: 12.5 / 5.9
    ("sickness_days_per_fte", JAN, "team", "planning", (3 + 2 + 0) / (1.0 + 0.5 + 0.8)),  # E101-3: 5 / 2.3
    ("sickness_days_per_fte", JAN, "team", "housing_options", (4.5 + 0) / (1.0 + 0.6)),  # E104-5: 2.8125
    ("sickness_days_per_fte", JAN, "team", "finance", 1 / 1.0),  # E106, team written "finance"
    # --- leisure_visits: visits (not + concessions) at district sites; district only.
    ("leisure_visits", JAN, "district", DISTRICT, 1200 + 2500 + 810 + 490),  # Abbey Stadium (Redditch) out
    ("leisure_visits", FEB, "district", DISTRICT, 1500 + 900),
    # --- leisure_visits_per_1000: 1,000 x visits / 6,000 residents; district only.
    ("leisure_visits_per_1000", JAN, "district", DISTRICT, 1000 * (1200 + 2500 + 810 + 490) / 6000),  # 833.33
    ("leisure_visits_per_1000", FEB, "district", DISTRICT, 1000 * (1500 + 900) / 6000),  # 400
]

# Rows that must not exist: a ratio or median with nothing to divide or rank is absent, not zero.
ABSENT: list[tuple[str, str, str, str]] = [
    ("relet_mean_days", FEB, "locality", "south"),  # no home let in Gamma in February
    ("homelessness_prevented_relieved_pct", FEB, "ward", ALPHA),  # no Alpha case closed in February
    ("housing_options_end_to_end_days", FEB, "locality", "south"),
    ("sickness_days_per_fte", JAN, "team", "policy"),  # no Policy staff in the file
]

# The rows of these files that must be quarantined (source, file, file row, reason): XLSX data start on row 5.
QUARANTINED: list[tuple[str, str, int, str]] = [
    ("dfg_cases", "dfg_completions_2026-01.xlsx", 9, "Completion Date is not a date"),  # D5, approved only
    ("leisure_visits", "leisure_return_2026-01.xlsx", 9,
     "Site Ward Code E05016000 is not a Bromsgrove ward"),  # Abbey Stadium, Redditch
]
