"""The pandera contract of every staged source: one declaration each (see quality/contracts.py).

Parse-level rules (a value that is not a date, a code outside the closed list, a UPRN missing from the
gazetteer) sit in each source's staging SQL, because conforming a value and judging whether it conformed
are one step there. The rules here judge the typed rows, and the schema re-checks the staged result.
"""

from __future__ import annotations

from quality.contracts import Field, StagedContract, known_value_rule
from warehouse.catalogue import catalogue

WARD = r"E05\d{6}"
LSOA = r"[EW]01\d{6}"
TEXT = Field("string")
KEY = Field("string", nullable=False)
UPRN = Field("int64", nullable=True, ge=1)
DATE = Field("date")
REQUIRED_DATE = Field("date", nullable=False)
WARD_CODE = Field("string", pattern=WARD)
LSOA_CODE = Field("string", pattern=LSOA)
PLACE = {"uprn": UPRN, "ward_code": WARD_CODE, "lsoa_code": LSOA_CODE}


def measure_ids() -> tuple[str, ...]:
    return tuple(catalogue().measures)


KNOWN_MEASURE = known_value_rule("measure_id", measure_ids, "a measure in the catalogue (warehouse/catalogue/measures)")

CONTRACTS: dict[str, StagedContract] = {c.source: c for c in (
    StagedContract(
        "crm_contacts",
        {"contact_key": KEY, "received_at": Field("timestamp(6)", nullable=False), "closed_at": Field("timestamp(6)"),
         "channel": Field("string", False, isin=("phone", "face to face", "email", "web form", "letter")),
         "service": Field("string", False), "demand_type": Field("string", False, isin=("value", "failure")),
         "demand_category": Field("string", False), "resolved_first_contact": Field("boolean", False), **PLACE},
        key=("contact_key",), period_column="received_at", order=(("received_at", "closed_at"),),
        not_future=("received_at", "closed_at"), text=("service", "demand_category")),
    StagedContract(
        "benefits_claims",
        {"claim_key": KEY, "claim_type": Field("string", False, isin=("HB", "CTR")),
         "event_type": Field("string", False, isin=("New claim", "Change of circumstances")),
         "received_date": REQUIRED_DATE, "all_evidence_date": DATE, "decision_date": REQUIRED_DATE,
         "decision": TEXT, **PLACE},
        key=("claim_key", "event_type", "received_date"), period_column="decision_date",
        order=(("received_date", "decision_date"),),
        not_future=("received_date", "all_evidence_date", "decision_date"), text=("decision",)),
    StagedContract(
        "dfg_cases",
        {"case_key": KEY, "referral_date": REQUIRED_DATE, "approval_date": DATE, "completion_date": REQUIRED_DATE,
         "adaptation": TEXT, "grant_amount": Field("float64", ge=0), **PLACE},
        key=("case_key",), period_column="completion_date",
        order=(("referral_date", "approval_date"), ("referral_date", "completion_date")),
        not_future=("referral_date", "approval_date", "completion_date"), text=("adaptation",)),
    StagedContract(
        "housing_options",
        {"case_key": KEY, "approach_date": REQUIRED_DATE, "approach_reason": TEXT,
         "outcome": Field("string", False, isin=("Prevented", "Relieved", "Main duty accepted", "No duty owed",
                                                  "Withdrawn")),
         "outcome_date": REQUIRED_DATE, **PLACE},
        key=("case_key",), period_column="outcome_date", order=(("approach_date", "outcome_date"),),
        not_future=("approach_date", "outcome_date"), text=("approach_reason",)),
    StagedContract(
        "planning_applications",
        {"application_number": KEY, "application_type": Field("string", False, isin=("Major", "Minor", "Other")),
         "received_date": DATE, "valid_date": REQUIRED_DATE, "decision_date": REQUIRED_DATE, "decision": TEXT,
         "extension_agreed": Field("boolean", False), **PLACE},
        key=("application_number",), period_column="decision_date",
        order=(("received_date", "valid_date"), ("valid_date", "decision_date")),
        not_future=("received_date", "valid_date", "decision_date"), text=("decision",)),
    StagedContract(
        "waste_reports",
        {"report_key": KEY, "report_type": Field("string", False), "report_group": TEXT,
         "reported_at": Field("timestamp(6)", nullable=False), "completed_at": Field("timestamp(6)"), **PLACE},
        key=("report_key",), period_column="reported_at", order=(("reported_at", "completed_at"),),
        not_future=("reported_at", "completed_at"), text=("report_type",)),
    StagedContract(
        "hr_absence",
        {"employee_key": KEY, "team_name": Field("string", False), "fte": Field("float64", False, ge=0, le=1),
         "month_start": REQUIRED_DATE, "days_lost": Field("float64", False, ge=0, le=31)},
        key=("employee_key", "month_start"), period_column="month_start", not_future=("month_start",),
        text=("team_name",)),
    StagedContract(
        "police_street",
        {"crime_id": TEXT, "month_start": REQUIRED_DATE, "crime_type": Field("string", False),
         "is_asb": Field("boolean", False), "last_outcome": TEXT, "lsoa_code": Field("string", False, pattern=LSOA),
         "ward_code": Field("string", False, pattern=WARD)},
        key=("crime_id", "month_start"), period_column="month_start", not_future=("month_start",),
        text=("crime_type", "last_outcome")),
    StagedContract(
        "lettings",
        {"letting_key": KEY, "property_type": TEXT, "bedrooms": Field("int32", ge=0, le=10),
         "void_start_date": DATE, "tenancy_start_date": REQUIRED_DATE, "council_nomination": Field("boolean"),
         "uprn": Field("int64", False, ge=1), "ward_code": WARD_CODE, "lsoa_code": LSOA_CODE},
        key=("letting_key",), period_column="tenancy_start_date",
        order=(("void_start_date", "tenancy_start_date"),),
        not_future=("void_start_date", "tenancy_start_date"), text=("property_type",)),
    StagedContract(
        "leisure_visits",
        {"month_start": REQUIRED_DATE, "site": Field("string", False),
         "ward_code": Field("string", False, pattern=WARD), "activity": Field("string", False),
         "visits": Field("int64", False, ge=0), "concession_visits": Field("int64", ge=0)},
        key=("month_start", "site", "activity"), period_column="month_start", not_future=("month_start",),
        text=("site", "activity")),
    StagedContract(
        "finance_ledger",
        {"cost_centre": Field("string", False), "cost_centre_name": TEXT, "account": Field("string", False),
         "account_name": TEXT, "month_start": REQUIRED_DATE, "amount": Field("float64", False)},
        key=("cost_centre", "account", "month_start"), period_column="month_start", not_future=("month_start",),
        text=("cost_centre_name", "account_name")),
    StagedContract(
        "performance_returns",
        {"measure_id": Field("string", False), "period_start": REQUIRED_DATE, "manual_value": Field("float64"),
         "commentary": TEXT, "commentary_by": TEXT, "commentary_date": DATE, "signed_off_by": TEXT,
         "signed_off_date": DATE},
        key=("measure_id", "period_start"), key_scope="each file",
        order=(("commentary_date", "signed_off_date"),), not_future=("commentary_date", "signed_off_date"),
        text=("commentary", "commentary_by", "signed_off_by"), extra_rules=(KNOWN_MEASURE,)),
    StagedContract(
        "trials_register",
        {"trial_id": KEY, "service": TEXT, "start_date": REQUIRED_DATE, "description": TEXT,
         "measure_id": Field("string", False), "lead_officer": TEXT},
        key=("trial_id", "measure_id"), text=("service", "description", "lead_officer"),
        extra_rules=(KNOWN_MEASURE,)),
    StagedContract(
        "focus_measures",
        {"report": Field("string", False, isin=("cabinet", "scrutiny")), "period_start": REQUIRED_DATE,
         "measure_id": Field("string", False), "reason": TEXT},
        key=("report", "period_start", "measure_id"), key_scope="each file", text=("reason",),
        extra_rules=(KNOWN_MEASURE,)),
    StagedContract(
        "llpg",
        {"uprn": Field("int64", False, ge=1), "postcode": TEXT, "ward_code": Field("string", False, pattern=WARD),
         "lsoa_code": Field("string", False, pattern=LSOA), "classification": TEXT},
        key=("uprn",), key_scope="each file"),
    StagedContract(
        "localities",
        {"ward_code": Field("string", False, pattern=WARD), "ward_name": TEXT,
         "locality_name": Field("string", False), "locality_code": Field("string", False)},
        key=("ward_code",), text=("ward_name", "locality_name")),
    StagedContract(
        "ons_lookup",
        {"lsoa_code": Field("string", False, pattern=LSOA), "lsoa_name": TEXT,
         "ward_code": Field("string", False, pattern=r"[EW]05\d{6}"), "ward_name": TEXT,
         "lad_code": Field("string", False, pattern=r"[EW]0[6-9]\d{6}")},
        key=("lsoa_code",), text=("lsoa_name", "ward_name")),
    StagedContract(
        "imd2019",
        {"lsoa_code": Field("string", False, pattern=LSOA), "imd_score": Field("float64", ge=0),
         "imd_rank": Field("int32", ge=1, le=32844), "imd_decile": Field("int32", False, ge=1, le=10),
         "income_score": Field("float64", ge=0, le=1), "employment_score": Field("float64", ge=0, le=1)},
        key=("lsoa_code",)),
    StagedContract(
        "census_ts001",
        {"area_code": Field("string", False), "area_type": Field("string", False, isin=("lsoa", "ward")),
         "census_year": Field("int32", False, ge=2021, le=2021), "usual_residents": Field("int64", False, ge=0),
         "in_households": Field("int64", ge=0), "in_communal": Field("int64", ge=0)},
        key=("area_code", "area_type")),
    StagedContract(
        "census_ts007a",
        {"area_code": Field("string", False), "area_type": Field("string", False, isin=("lsoa", "ward")),
         "age_band": Field("string", False), "age_from": Field("int32", False, ge=0), "age_to": Field("int32"),
         "residents": Field("int64", False, ge=0)},
        key=("area_code", "area_type", "age_band")),
)}
