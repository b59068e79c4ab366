"""Every row-level rule a source declares is triggered by a hand-made bad row, and each bad row is quarantined
with its exact reason (issue 22, item 2).

The rules are enumerated from where each source declares them once (tests/declared_rules.py): every reason of
its staging SQL and every pandera row rule `sources/rules.py` generates from its contract. One night loads the
fixture (tests/fixtures/landing) and the bad-row files of tests/fixtures/rules (each bad row breaks one rule; a
few break two that cannot be broken apart), on 10 April 2026. A rule added without a row here fails
`test_every_declared_rule_is_triggered`; a reason dropped from a staging SQL or a contract fails
`test_each_bad_row_is_quarantined_with_its_exact_reason`, which compares every failed row of these files, with
its reason, to `EXPECTED`. Beside the bad rows are good ones on the edges of the rules (the first and last day
of the delivery's month, the delivery night itself, two dates that are equal, an FTE of 1, a grant of 0, a minus
before a digit): `test_the_good_rows_on_the_edges_of_the_rules_are_staged` counts them staged (`GOOD`).

Files of fewer than 20 rows only warn on the `accurate` criterion, so the service sources are not held back;
the reference sources that cover the district area by area (the Census, deprivation, the localities) are held
back by any bad row (sources/contract.py COMPLETE): their failed rows are in `audit.held_rows`, not
`audit.quarantine`. Both are read here, from the working warehouse.

To make the ward Delta (E05015403) and the LSOAs E01032113 and E01032114 part of the district, the ONS lookup
file adds them: the Census rows that break a rule need areas the fixture has not delivered yet.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import build_definitions
from pipelines.nightly import RunOutcome, run_nightly
from tests.conftest import copy_fixture, query
from tests.declared_rules import declared_rules
from warehouse.settings import Settings, SettingsResource

RULES = Path(__file__).parent / "fixtures" / "rules"
AS_OF = "2026-04-10"  # March's files are delivered after their month; April's on the 10th
HELD = {"census_ts001", "census_ts007a", "imd2019", "localities"}  # any bad row holds these back

FUTURE = " is in the future (after the file was delivered on 2026-04-10)"
MARCH = " is outside the delivery's month 2026-03"
FORMULA = (" looks like a spreadsheet formula (it starts with =, +, - or @; the value is not repeated here: "
           "see the file's row)")
NOT_A_MEASURE = "Measure id not_a_measure is not a measure in the catalogue (warehouse/catalogue/measures)"

# (source, file, file row, reason). CSV data start on line 2; XLSX on row 5 (tests/fixtures/rules/make_xlsx.py).
# A row breaking two rules has both reasons, joined by "; " (in any order).
EXPECTED = [
    # Customer contacts. Good: R1 received 1 Mar 00:00 and closed the same minute, R2 received 31 Mar 23:59,
    # R15 closed 10 Apr 23:59 (the delivery night), R18 "-2 bins missed" (a minus before a digit is no formula).
    ("crm_contacts", "crm_contacts_2026-03.csv", 4, "Contact Ref is blank"),
    ("crm_contacts", "crm_contacts_2026-03.csv", 5, "Received is not a date and time"),
    ("crm_contacts", "crm_contacts_2026-03.csv", 6, "Closed is not a date and time"),
    ("crm_contacts", "crm_contacts_2026-03.csv", 7, "Channel Fax is not a known channel"),
    ("crm_contacts", "crm_contacts_2026-03.csv", 8, "Demand Type must be Value or Failure"),
    ("crm_contacts", "crm_contacts_2026-03.csv", 9, "Resolved At First Contact must be Y or N"),
    ("crm_contacts", "crm_contacts_2026-03.csv", 10, "UPRN is not in the gazetteer"),
    ("crm_contacts", "crm_contacts_2026-03.csv", 11,
     "duplicate key (contact_key): first delivered in crm_contacts_2026-03.csv row 2"),
    ("crm_contacts", "crm_contacts_2026-03.csv", 12, "Received at 2026-04-01 00:00:00" + MARCH),
    ("crm_contacts", "crm_contacts_2026-03.csv", 13, "Received at 2026-02-28 23:59:00" + MARCH),
    ("crm_contacts", "crm_contacts_2026-03.csv", 14,
     "Closed at 2026-03-05 09:59:00 is before Received at 2026-03-05 10:00:00"),
    ("crm_contacts", "crm_contacts_2026-03.csv", 15, "Closed at 2026-04-11 00:00:00" + FUTURE),
    ("crm_contacts", "crm_contacts_2026-03.csv", 17, "Service" + FORMULA),
    ("crm_contacts", "crm_contacts_2026-03.csv", 18, "Demand category" + FORMULA),
    # Good: R20 received 10 Apr 23:59.
    ("crm_contacts", "crm_contacts_2026-04.csv", 3, "Received at 2026-04-11 00:00:00" + FUTURE),

    # Benefits. Good: BR1 received, all evidence and decided on 31 Mar; BR2 decided 1 Mar, evidence the day it was
    # received; BF1 all on 10 Apr. A future date of receipt or evidence is before the decision: both are future.
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 4, "Claim Ref is blank"),
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 5, "Claim Type must be HB or CTR"),
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 6, "Event Type must be New claim or Change of circumstances"),
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 7, "Date Received is not a date"),  # 31/02/2026
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 8, "Decision Date is not a date"),
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 9,
     "All Evidence Date is outside Date Received to Decision Date"),
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 10, "UPRN is not in the gazetteer"),
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 11,
     "duplicate key (claim_key, event_type, received_date): first delivered in hb_ctr_decisions_2026-03.csv row 2"),
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 12, "Decision date 2026-04-01" + MARCH),
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 13, "Decision date 2026-02-28" + MARCH),
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 14,
     "Decision date 2026-03-09 is before Received date 2026-03-10"),
    ("benefits_claims", "hb_ctr_decisions_2026-03.csv", 15, "Decision" + FORMULA),
    ("benefits_claims", "hb_ctr_decisions_2026-04.csv", 3,
     "All evidence date 2026-04-11" + FUTURE + "; Decision date 2026-04-11" + FUTURE),
    ("benefits_claims", "hb_ctr_decisions_2026-04.csv", 4, "Decision date 2026-04-11" + FUTURE),
    ("benefits_claims", "hb_ctr_decisions_2026-04.csv", 5,
     "Received date 2026-04-11" + FUTURE + "; Decision date 2026-04-11" + FUTURE),

    # Planning. Good: 26/0301 received, valid and decided on 31 Mar; 26/0302 decided 1 Mar; 26/0401 all on 10 Apr.
    ("planning_applications", "planning_decisions_2026-03.csv", 4, "Application Number is blank"),
    ("planning_applications", "planning_decisions_2026-03.csv", 5, "Application Type must be Major, Minor or Other"),
    ("planning_applications", "planning_decisions_2026-03.csv", 6, "Date Valid is not a date"),
    ("planning_applications", "planning_decisions_2026-03.csv", 7, "Decision Date is not a date"),
    ("planning_applications", "planning_decisions_2026-03.csv", 8, "UPRN is not in the gazetteer"),
    ("planning_applications", "planning_decisions_2026-03.csv", 9,
     "duplicate key (application_number): first delivered in planning_decisions_2026-03.csv row 2"),
    ("planning_applications", "planning_decisions_2026-03.csv", 10, "Decision date 2026-04-01" + MARCH),
    ("planning_applications", "planning_decisions_2026-03.csv", 11, "Decision date 2026-02-28" + MARCH),
    ("planning_applications", "planning_decisions_2026-03.csv", 12,
     "Valid date 2026-03-04 is before Received date 2026-03-05"),
    ("planning_applications", "planning_decisions_2026-03.csv", 13,
     "Decision date 2026-03-09 is before Valid date 2026-03-10"),
    ("planning_applications", "planning_decisions_2026-03.csv", 14, "Decision" + FORMULA),
    ("planning_applications", "planning_decisions_2026-04.csv", 3, "Decision date 2026-04-11" + FUTURE),
    ("planning_applications", "planning_decisions_2026-04.csv", 4,
     "Valid date 2026-04-11" + FUTURE + "; Decision date 2026-04-11" + FUTURE),
    ("planning_applications", "planning_decisions_2026-04.csv", 5,
     "Received date 2026-04-11" + FUTURE + "; Valid date 2026-04-11" + FUTURE + "; Decision date 2026-04-11" + FUTURE),

    # Street scene. Good: S1 reported and completed 1 Mar 00:00; S2 reported 31 Mar 23:59; S20 10 Apr 23:59. A
    # report type that looks like a formula is no known type either.
    ("waste_reports", "street_scene_reports_2026-03.csv", 4, "Report Ref is blank"),
    ("waste_reports", "street_scene_reports_2026-03.csv", 5, "Report Type Dog fouling is not known"),
    ("waste_reports", "street_scene_reports_2026-03.csv", 6, "Reported At is not a date and time"),
    ("waste_reports", "street_scene_reports_2026-03.csv", 7, "UPRN is not in the gazetteer"),
    ("waste_reports", "street_scene_reports_2026-03.csv", 8,
     "duplicate key (report_key): first delivered in street_scene_reports_2026-03.csv row 2"),
    ("waste_reports", "street_scene_reports_2026-03.csv", 9, "Reported at 2026-04-01 00:00:00" + MARCH),
    ("waste_reports", "street_scene_reports_2026-03.csv", 10, "Reported at 2026-02-28 23:59:00" + MARCH),
    ("waste_reports", "street_scene_reports_2026-03.csv", 11,
     "Completed at 2026-03-05 09:00:00 is before Reported at 2026-03-05 10:00:00"),
    ("waste_reports", "street_scene_reports_2026-03.csv", 12, "Completed at 2026-04-11 00:00:00" + FUTURE),
    ("waste_reports", "street_scene_reports_2026-03.csv", 13,
     "Report Type =Fly-tipping is not known; Report type" + FORMULA),
    ("waste_reports", "street_scene_reports_2026-03.csv", 14, "Completed At is not a date and time"),  # 25:00
    ("waste_reports", "street_scene_reports_2026-04.csv", 3, "Reported at 2026-04-11 00:00:00" + FUTURE),

    # Housing options. Good: HR1 approached and closed 31 Mar, HR2 closed 1 Mar, HF1 both on 10 Apr.
    ("housing_options", "housing_options_closed_2026-03.xlsx", 7, "Case Ref is blank"),
    ("housing_options", "housing_options_closed_2026-03.xlsx", 8, "Approach Date is not a date"),
    ("housing_options", "housing_options_closed_2026-03.xlsx", 9, "Outcome Date is not a date"),
    ("housing_options", "housing_options_closed_2026-03.xlsx", 10, "Outcome Closed is not a known outcome"),
    ("housing_options", "housing_options_closed_2026-03.xlsx", 11, "UPRN is not in the gazetteer"),
    ("housing_options", "housing_options_closed_2026-03.xlsx", 12,
     "duplicate key (case_key): first delivered in housing_options_closed_2026-03.xlsx row 5"),
    ("housing_options", "housing_options_closed_2026-03.xlsx", 13, "Outcome date 2026-04-01" + MARCH),
    ("housing_options", "housing_options_closed_2026-03.xlsx", 14, "Outcome date 2026-02-28" + MARCH),
    ("housing_options", "housing_options_closed_2026-03.xlsx", 15,
     "Outcome date 2026-03-09 is before Approach date 2026-03-10"),
    ("housing_options", "housing_options_closed_2026-03.xlsx", 16, "Approach reason" + FORMULA),
    ("housing_options", "housing_options_closed_2026-04.xlsx", 6, "Outcome date 2026-04-11" + FUTURE),
    ("housing_options", "housing_options_closed_2026-04.xlsx", 7,
     "Approach date 2026-04-11" + FUTURE + "; Outcome date 2026-04-11" + FUTURE),

    # Disabled facilities grants. Good: DR1 referred, approved and completed 31 Mar; DR2 completed 1 Mar with a
    # grant of 0; DF1 all on 10 Apr. A blank UPRN and an unknown one have the same reason.
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 7, "Case Ref is blank"),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 8, "Referral Date is not a date"),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 9, "Completion Date is not a date"),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 10, "Grant Amount is negative"),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 11, "UPRN is blank or not in the gazetteer"),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 12, "UPRN is blank or not in the gazetteer"),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 13,
     "duplicate key (case_key): first delivered in dfg_completions_2026-03.xlsx row 5"),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 14, "Completion date 2026-04-01" + MARCH),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 15, "Completion date 2026-02-28" + MARCH),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 16, "Approval date 2026-03-09 is before Referral date 2026-03-10"),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 17, "Completion date 2026-03-09 is before Referral date 2026-03-10"),
    ("dfg_cases", "dfg_completions_2026-03.xlsx", 18, "Adaptation" + FORMULA),
    ("dfg_cases", "dfg_completions_2026-04.xlsx", 6, "Completion date 2026-04-11" + FUTURE),
    ("dfg_cases", "dfg_completions_2026-04.xlsx", 7,
     "Approval date 2026-04-11" + FUTURE + "; Completion date 2026-04-11" + FUTURE),
    ("dfg_cases", "dfg_completions_2026-04.xlsx", 8,
     "Referral date 2026-04-11" + FUTURE + "; Completion date 2026-04-11" + FUTURE),

    # Leisure visits. Good: every visit a concession (1 Mar), none at all (31 Mar is March), "-5 a side" (a minus
    # before a digit is no formula); April delivered 10 April.
    ("leisure_visits", "leisure_return_2026-03.xlsx", 7, "Month is not a date"),  # Mar-26
    ("leisure_visits", "leisure_return_2026-03.xlsx", 8, "Site is blank"),
    ("leisure_visits", "leisure_return_2026-03.xlsx", 9, "Site Ward Code E05099999 is not a Bromsgrove ward"),
    ("leisure_visits", "leisure_return_2026-03.xlsx", 10, "Visits is missing or negative"),
    ("leisure_visits", "leisure_return_2026-03.xlsx", 11, "Concession Visits exceed Visits"),
    ("leisure_visits", "leisure_return_2026-03.xlsx", 12,
     "duplicate key (month_start, site, activity): first delivered in leisure_return_2026-03.xlsx row 5"),
    ("leisure_visits", "leisure_return_2026-03.xlsx", 13, "Month start 2026-04-01" + MARCH),
    ("leisure_visits", "leisure_return_2026-03.xlsx", 14, "Site" + FORMULA),
    ("leisure_visits", "leisure_return_2026-03.xlsx", 15, "Activity" + FORMULA),
    ("leisure_visits", "leisure_return_2026-03.xlsx", 17, "Month start 2026-02-01" + MARCH),
    ("leisure_visits", "leisure_return_2026-05.xlsx", 5, "Month start 2026-05-01" + FUTURE),

    # Sickness absence. Good: E201 FTE 1 with 0 days lost, E202 FTE 0.01; April's month delivered 10 April.
    ("hr_absence", "sickness_absence_2026-03.csv", 4, "Employee Number is blank"),
    ("hr_absence", "sickness_absence_2026-03.csv", 5, "Team is blank"),
    ("hr_absence", "sickness_absence_2026-03.csv", 6, "FTE must be above 0 and at most 1"),  # 0
    ("hr_absence", "sickness_absence_2026-03.csv", 7, "FTE must be above 0 and at most 1"),  # 1.01
    ("hr_absence", "sickness_absence_2026-03.csv", 8, "Month is not YYYY-MM"),
    ("hr_absence", "sickness_absence_2026-03.csv", 9, "Working Days Lost is missing or negative"),  # -1
    ("hr_absence", "sickness_absence_2026-03.csv", 10, "Working Days Lost is missing or negative"),  # blank
    ("hr_absence", "sickness_absence_2026-03.csv", 11,
     "duplicate key (employee_key, month_start): first delivered in sickness_absence_2026-03.csv row 2"),
    ("hr_absence", "sickness_absence_2026-03.csv", 12, "Month start 2026-02-01" + MARCH),
    ("hr_absence", "sickness_absence_2026-03.csv", 13, "Month start 2026-04-01" + MARCH),
    ("hr_absence", "sickness_absence_2026-03.csv", 14, "Team name" + FORMULA),
    ("hr_absence", "sickness_absence_2026-05.csv", 2, "Month start 2026-05-01" + FUTURE),

    # Ledger (March 2026 is period 12 of 2025/26). Good: two March lines; April (period 1 of 2026/27) delivered
    # 10 April. Periods 13 to 16 are out of scope, not bad: 0 and 17 are neither.
    ("finance_ledger", "gl_actuals_2026-03.csv", 4, "Cost Centre is blank"),
    ("finance_ledger", "gl_actuals_2026-03.csv", 5, "Account is blank"),
    ("finance_ledger", "gl_actuals_2026-03.csv", 6, "Financial Year 2025-26 is not like 2025/26"),
    ("finance_ledger", "gl_actuals_2026-03.csv", 7, "Period 0 is not a financial period (1 to 12)"),
    ("finance_ledger", "gl_actuals_2026-03.csv", 8, "Period 17 is not a financial period (1 to 12)"),
    ("finance_ledger", "gl_actuals_2026-03.csv", 9, "Actual about 900 is not an amount"),
    ("finance_ledger", "gl_actuals_2026-03.csv", 10,
     "duplicate key (cost_centre, account, month_start): first delivered in gl_actuals_2026-03.csv row 2"),
    ("finance_ledger", "gl_actuals_2026-03.csv", 11, "Month start 2026-02-01" + MARCH),
    ("finance_ledger", "gl_actuals_2026-03.csv", 12, "Cost centre name" + FORMULA),
    ("finance_ledger", "gl_actuals_2026-03.csv", 13, "Account name" + FORMULA),
    ("finance_ledger", "gl_actuals_2026-03.csv", 14, "Month start 2026-04-01" + MARCH),
    ("finance_ledger", "gl_actuals_2026-03.csv", 16, "Period P12 is not a financial period (1 to 12)"),  # not a number
    ("finance_ledger", "gl_actuals_2026-05.csv", 2, "Month start 2026-05-01" + FUTURE),

    # Lettings. Good: L1 void and let on 31 Mar, L2 a first let (no void) on 1 Mar, L20 both on 10 Apr.
    ("lettings", "lettings_return_2026-03.csv", 4, "Letting Ref is blank"),
    ("lettings", "lettings_return_2026-03.csv", 5, "Tenancy Start Date is not a date"),
    ("lettings", "lettings_return_2026-03.csv", 6, "UPRN is blank or not in the gazetteer"),
    ("lettings", "lettings_return_2026-03.csv", 7, "UPRN is blank or not in the gazetteer"),
    ("lettings", "lettings_return_2026-03.csv", 8,
     "duplicate key (letting_key): first delivered in lettings_return_2026-03.csv row 2"),
    ("lettings", "lettings_return_2026-03.csv", 9, "Tenancy start date 2026-04-01" + MARCH),
    ("lettings", "lettings_return_2026-03.csv", 10, "Tenancy start date 2026-02-28" + MARCH),
    ("lettings", "lettings_return_2026-03.csv", 11,
     "Tenancy start date 2026-03-09 is before Void start date 2026-03-10"),
    ("lettings", "lettings_return_2026-03.csv", 12, "Property type" + FORMULA),
    ("lettings", "lettings_return_2026-03.csv", 13, "Void Start Date is not a date"),  # 31 February
    ("lettings", "lettings_return_2026-04.csv", 3, "Tenancy start date 2026-04-11" + FUTURE),
    ("lettings", "lettings_return_2026-04.csv", 4,
     "Void start date 2026-04-11" + FUTURE + "; Tenancy start date 2026-04-11" + FUTURE),

    # Street crime. Good: a burglary, and anti-social behaviour without a Crime ID; April's file delivered 10 April.
    ("police_street", "2026-03-west-mercia-street.csv", 4, "Month is not YYYY-MM"),
    ("police_street", "2026-03-west-mercia-street.csv", 5, "Crime type is blank"),
    ("police_street", "2026-03-west-mercia-street.csv", 6,
     "Crime ID is blank on a crime that is not anti-social behaviour"),
    ("police_street", "2026-03-west-mercia-street.csv", 7,
     "duplicate key (crime_id, month_start): first delivered in 2026-03-west-mercia-street.csv row 2"),
    ("police_street", "2026-03-west-mercia-street.csv", 8, "Month start 2026-02-01" + MARCH),
    ("police_street", "2026-03-west-mercia-street.csv", 9, "Crime type" + FORMULA),
    ("police_street", "2026-03-west-mercia-street.csv", 10, "Last outcome" + FORMULA),
    ("police_street", "2026-03-west-mercia-street.csv", 11, "Month start 2026-04-01" + MARCH),
    ("police_street", "2026-05-west-mercia-street.csv", 2, "Month start 2026-05-01" + FUTURE),

    # Trials. Good: RT1 names missed_bins and failure_demand_share (failure_demand_pct's former id).
    ("trials_register", "trials_rules.csv", 3, "Trial ID is blank"),
    ("trials_register", "trials_rules.csv", 4, "Start Date spring is not a date"),
    ("trials_register", "trials_rules.csv", 5, "Measures is blank: name the catalogue ids the trial should move"),
    ("trials_register", "trials_rules.csv", 6,
     "duplicate key (trial_id, measure_id): first delivered in trials_rules.csv row 2"),
    ("trials_register", "trials_rules.csv", 7, "Service" + FORMULA),
    ("trials_register", "trials_rules.csv", 8, "Description" + FORMULA),
    ("trials_register", "trials_rules.csv", 9, "Lead officer" + FORMULA),
    ("trials_register", "trials_rules.csv", 10, NOT_A_MEASURE),

    # Focus measures. Good: Cabinet for April (a Cabinet period), O&S for January (an O&S quarter).
    ("focus_measures", "focus_rules_2026-04.csv", 4, "Report Council is not Cabinet or Overview and Scrutiny"),
    ("focus_measures", "focus_rules_2026-04.csv", 5, "Period April 2026 is not a month (YYYY-MM)"),
    ("focus_measures", "focus_rules_2026-04.csv", 6,
     "Period 2026-05 does not start a Cabinet period (Apr, Jun, Aug, Oct, Dec, Feb)"),
    ("focus_measures", "focus_rules_2026-04.csv", 7,
     "Period 2026-02 does not start an O&S quarter (Apr, Jul, Oct, Jan)"),
    ("focus_measures", "focus_rules_2026-04.csv", 8, "Measure ID is blank"),
    ("focus_measures", "focus_rules_2026-04.csv", 9,
     "duplicate key (report, period_start, measure_id): first delivered in focus_rules_2026-04.csv row 2"),
    ("focus_measures", "focus_rules_2026-04.csv", 10, "Reason" + FORMULA),
    ("focus_measures", "focus_rules_2026-04.csv", 11, NOT_A_MEASURE),

    # Performance returns. Good: missed_bins signed off the day its commentary was written; business_start_ups (a
    # manual measure) with its value, written and signed off on the delivery night. (One line more, 20, and the
    # file would be judged by its share of failed rows, and held back.)
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 7, "Measure ID is blank"),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 8, "Period March is not a month (YYYY-MM)"),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 9, "Manual Value twelve is not a number"),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 10,
     "Manual Value given for missed_bins, which comes from a system: leave it blank"),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 11, "Commentary Date yesterday is not a date"),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 12, "Sign-off Date soon is not a date"),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 13,
     "Commentary has no Commentary By: say who wrote it"),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 14,
     "Sign-off needs both Signed Off By and Sign-off Date"),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 15,
     "duplicate key (measure_id, period_start): first delivered in performance_return_policy_2026-03.xlsx row 5"),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 16, "Commentary date 2026-04-11" + FUTURE),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 17, "Signed off date 2026-04-11" + FUTURE),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 18,
     "Signed off date 2026-03-31 is before Commentary date 2026-04-01"),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 19, "Commentary" + FORMULA),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 20, "Commentary by" + FORMULA),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 21, "Signed off by" + FORMULA),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 22, NOT_A_MEASURE),
    ("performance_returns", "performance_return_policy_2026-03.xlsx", 23,
     "Sign-off needs both Signed Off By and Sign-off Date"),  # a date alone is something entered
    # Another team's return, one thing entered per line. Good: a manual measure's value alone; a writer alone (no
    # rule needs a commentary beside its writer: the commentary check asks the owner for it); a commentary whose
    # date cell holds only a space (blank, not a bad date).
    ("performance_returns", "performance_return_housing_2026-03.xlsx", 6,
     "Commentary has no Commentary By: say who wrote it"),
    ("performance_returns", "performance_return_housing_2026-03.xlsx", 7,
     "Sign-off needs both Signed Off By and Sign-off Date"),

    # Gazetteer: a snapshot that replaces the fixture's. Good: 1001 Alpha, 1002 Beta, 1003 Gamma.
    ("llpg", "llpg_2026-02.csv", 5, "UPRN is not a number"),  # 10O4, a letter O
    ("llpg", "llpg_2026-02.csv", 6, "Ward Code E05099999 is not a Bromsgrove ward"),
    ("llpg", "llpg_2026-02.csv", 7, "LSOA Code E01099999 is not a Bromsgrove LSOA"),
    ("llpg", "llpg_2026-02.csv", 8, "duplicate key (uprn): first delivered in llpg_2026-02.csv row 2"),

    # ONS lookup. Good: E01032113 (in Gamma) and E01032114 (in a new ward, Delta E05015403).
    ("ons_lookup", "LSOA21_WD24_LAD24_EW_LU_v2.csv", 4, "LSOA21CD is not an LSOA code"),
    ("ons_lookup", "LSOA21_WD24_LAD24_EW_LU_v2.csv", 5, "ward code is not an ONS ward code"),
    ("ons_lookup", "LSOA21_WD24_LAD24_EW_LU_v2.csv", 6,
     "duplicate key (lsoa_code): first delivered in LSOA21_WD24_LAD24_EW_LU.csv row 2"),
    ("ons_lookup", "LSOA21_WD24_LAD24_EW_LU_v2.csv", 7, "Lsoa name" + FORMULA),
    ("ons_lookup", "LSOA21_WD24_LAD24_EW_LU_v2.csv", 8, "Ward name" + FORMULA),

    # Held back (COMPLETE). Localities: good Delta in South.
    ("localities", "localities_rules.csv", 3, "Ward Code is not an ONS ward code (E05 and six digits)"),
    ("localities", "localities_rules.csv", 4, "Locality is blank"),
    ("localities", "localities_rules.csv", 5, "duplicate key (ward_code): first delivered in localities.csv row 2"),
    ("localities", "localities_rules.csv", 6, "Ward name" + FORMULA),
    ("localities", "localities_rules.csv", 7, "Locality name" + FORMULA),
    # Census residents: E01032113, E01032114 and Delta are the district's (the ONS lookup above), not yet
    # delivered; E01032110 and E01032111 are, in census2021-ts001-lsoa.csv. Good: E01032113 with no residents
    # (0 is not negative; the file is held back for its bad rows, so it is counted, not staged).
    ("census_ts001", "census2021-ts001-rules.csv", 2, "usual residents total is not a whole number; duplicate key "
     "(area_code, area_type): first delivered in census2021-ts001-lsoa.csv row 3"),  # n/a, and E01032111 again
    ("census_ts001", "census2021-ts001-rules.csv", 3, "negative count"),
    ("census_ts001", "census2021-ts001-rules.csv", 4, "household + communal does not equal the total"),
    ("census_ts001", "census2021-ts001-rules.csv", 5,
     "duplicate key (area_code, area_type): first delivered in census2021-ts001-lsoa.csv row 2"),
    # Census age bands (18 bands of 10 each). Good: E01032110 with its total of 180.
    ("census_ts007a", "census2021-ts007a-rules.csv", 3, "an age band count is missing or negative"),  # -1
    ("census_ts007a", "census2021-ts007a-rules.csv", 4, "an age band count is missing or negative"),  # n/a
    ("census_ts007a", "census2021-ts007a-rules.csv", 5, "age bands do not add up to the total"),
    ("census_ts007a", "census2021-ts007a-rules.csv", 6,
     "duplicate key (area_code, area_type, age_band): first delivered in census2021-ts007a-rules.csv row 2"),
    # Deprivation. Good: E01032110, decile 4.
    ("imd2019", "File_7_IoD2019_rules.csv", 3, "LSOA is not in the Bromsgrove geography lookup"),
    ("imd2019", "File_7_IoD2019_rules.csv", 4, "IMD decile is not between 1 and 10"),  # 11
    ("imd2019", "File_7_IoD2019_rules.csv", 5, "IMD decile is not between 1 and 10"),  # 0
    ("imd2019", "File_7_IoD2019_rules.csv", 6,
     "duplicate key (lsoa_code): first delivered in File_7_IoD2019_rules.csv row 2"),
]

# The good lines of each file (the edges of the rules, above): every other line is in EXPECTED.
OUT_OF_SCOPE = {"gl_actuals_2026-03.csv": 1}  # of GOOD's rows: period 16, a year-end adjustment
GOOD = {
    "crm_contacts_2026-03.csv": 4, "crm_contacts_2026-04.csv": 1,
    "hb_ctr_decisions_2026-03.csv": 3, "hb_ctr_decisions_2026-04.csv": 1,  # 3: BR15 (last), no UPRN: allowed
    "planning_decisions_2026-03.csv": 3, "planning_decisions_2026-04.csv": 1,  # 3: 26/0314 (last), no UPRN
    "street_scene_reports_2026-03.csv": 2, "street_scene_reports_2026-04.csv": 1,
    "housing_options_closed_2026-03.xlsx": 2, "housing_options_closed_2026-04.xlsx": 1,
    "dfg_completions_2026-03.xlsx": 2, "dfg_completions_2026-04.xlsx": 1,
    "sickness_absence_2026-03.csv": 2, "sickness_absence_2026-04.csv": 1, "sickness_absence_2026-05.csv": 0,
    "gl_actuals_2026-03.csv": 3, "gl_actuals_2026-04.csv": 1, "gl_actuals_2026-05.csv": 0,
    "lettings_return_2026-03.csv": 2, "lettings_return_2026-04.csv": 1,
    "leisure_return_2026-03.xlsx": 3, "leisure_return_2026-04.xlsx": 1, "leisure_return_2026-05.xlsx": 0,
    "2026-03-west-mercia-street.csv": 2, "2026-04-west-mercia-street.csv": 1, "2026-05-west-mercia-street.csv": 0,
    "trials_rules.csv": 1, "focus_rules_2026-04.csv": 2, "performance_return_policy_2026-03.xlsx": 2,
    "performance_return_housing_2026-03.xlsx": 3,
    "llpg_2026-02.csv": 3, "LSOA21_WD24_LAD24_EW_LU_v2.csv": 2,
    "localities_rules.csv": 1, "census2021-ts001-rules.csv": 1, "census2021-ts007a-rules.csv": 1,
    "File_7_IoD2019_rules.csv": 3,  # 3: deciles 1 and 10 (the last two lines), the edges
}


@pytest.fixture(scope="module")
def rules_night(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, RunOutcome]:
    """The fixture and the bad-row files loaded once, on 10 April 2026."""
    resource = SettingsResource(data_dir=str(tmp_path_factory.mktemp("rules") / "data"), as_of=AS_OF)
    settings = resource.get()
    settings.landing_dir.mkdir(parents=True)
    copy_fixture(settings)
    # Copied with a fresh modification time (the fixture's keep theirs): loaded after the fixture's files, so the
    # gazetteer snapshot llpg_2026-02.csv is the latest, replacing the fixture's.
    shutil.copytree(RULES, settings.landing_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.py"),
                    copy_function=shutil.copy)
    outcome = run_nightly(build_definitions(resource), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    return settings, outcome


def _failed_rows(settings: Settings) -> list[tuple[str, str, int, str, str]]:
    """(source, file name, row, reason, failed checks) of every row that failed a rule: quarantined, or kept in
    audit.held_rows when its source was held back."""
    return [(source, Path(file).name, row, reason, checks) for source, file, row, reason, checks in query(
        settings.warehouse_path, """SELECT source, source_file, row_number, reason, failed_checks FROM (
                                        SELECT * FROM audit.quarantine UNION ALL BY NAME SELECT * FROM audit.held_rows)
                                    ORDER BY ALL""")]


def _rules_files() -> set[str]:
    return {p.name for p in RULES.rglob("*") if p.is_file() and p.suffix in (".csv", ".xlsx")}


def test_the_night_completes_holding_back_only_the_area_by_area_reference_data(rules_night):
    settings, outcome = rules_night
    assert outcome.success  # bad rows are no failed night
    loaded = {name for (name,) in query(settings.warehouse_path, "SELECT file_name FROM audit.loaded_files")}
    assert _rules_files() <= loaded and set(GOOD) == _rules_files()
    held = dict(query(settings.warehouse_path, "SELECT subject, reason FROM audit.holds WHERE released_at IS NULL"))
    assert set(held) == HELD, held
    assert all(reason.startswith("accurate: ") for reason in held.values()), held


def test_every_declared_rule_is_triggered(rules_night):
    settings, _ = rules_night
    rules = declared_rules()
    failed = _failed_rows(settings)
    untriggered = [str(rule) for rule in rules
                   if not any(source == rule.source and rule.triggered_by(reason, checks)
                              for source, _, _, reason, checks in failed)]
    kinds = {kind: sum(r.kind == kind for r in rules) for kind in ("staging", "row")}
    found = (f"{len(rules)} declared rules ({kinds['staging']} staging-SQL reasons, {kinds['row']} row rules) "
             f"in {len({r.source for r in rules})} sources")
    print(found)
    assert kinds["staging"] > 50 and kinds["row"] > 50, found  # the enumeration found the declarations
    assert not untriggered, f"{found}; no fixture row triggers {len(untriggered)}:\n" + "\n".join(untriggered)


def _compared(source: str, name: str, row: int, reason: str) -> tuple[str, str, int, frozenset[str]]:
    """A failed row as compared: several reasons are joined by '; ' in no fixed order, so as a set."""
    return source, name, row, frozenset(reason.split("; "))


def test_each_bad_row_is_quarantined_with_its_exact_reason(rules_night):
    settings, _ = rules_night
    files = _rules_files()
    found = [(source, name, row, reason) for source, name, row, reason, _ in _failed_rows(settings) if name in files]
    assert len(EXPECTED) == len({(s, f, r) for s, f, r, _ in EXPECTED}), "a row is listed twice in EXPECTED"
    found_keys, expected_keys = {_compared(*f) for f in found}, {_compared(*e) for e in EXPECTED}
    missing = [e for e in EXPECTED if _compared(*e) not in found_keys]
    unexpected = [f for f in found if _compared(*f) not in expected_keys]
    assert not missing and not unexpected, ("not failed as expected:\n" + "\n".join(map(str, missing))
                                            + "\nfailed, not expected:\n" + "\n".join(map(str, unexpected)))
    assert sorted(_compared(*f) for f in found) == sorted(_compared(*e) for e in EXPECTED)  # each exactly once


def test_the_good_rows_on_the_edges_of_the_rules_are_staged(rules_night):
    settings, _ = rules_night
    loaded = dict(query(settings.warehouse_path, "SELECT file_name, rows_loaded FROM audit.loaded_files"))
    failed: dict[str, int] = {}
    for _, name, _, _, _ in _failed_rows(settings):
        failed[name] = failed.get(name, 0) + 1
    assert {name: loaded[name] - failed.get(name, 0) for name in GOOD} == GOOD
    # Those of the sources not held back are staged, but for the ledger's period 16 (the last year-end
    # adjustment period: out of scope, not quarantined; period 17 is quarantined).
    staged = {Path(file).name: (rows, out) for file, rows, out in query(
        settings.warehouse_path, "SELECT source_file, staged_rows, out_of_scope FROM audit.row_conservation")}
    assert {name: staged[name] for name in GOOD if name in staged} == \
        {name: (n - OUT_OF_SCOPE.get(name, 0), OUT_OF_SCOPE.get(name, 0)) for name, n in GOOD.items() if name in staged}
    assert query(settings.warehouse_path, """SELECT row_number, reason FROM audit.out_of_scope
                 WHERE source_file LIKE '%gl_actuals_2026-03.csv'""") == [
        (15, "year-end adjustment period 16: not part of any month")]
    held_files = {name for source, name, *_ in EXPECTED if source in HELD}
    assert set(GOOD) - set(staged) == held_files
