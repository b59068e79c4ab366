"""Housing options / homelessness casework system: cases closed in the month (XLSX report)."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import KEY, PLACE, REQUIRED_DATE, TEXT

CONTRACT = SourceContract(
    name="housing_options",
    title="Housing options and homelessness cases",
    kind="service",
    provider="Bromsgrove District Council, Housing Options",
    system="Housing options casework system",
    format="xlsx",
    sheet="Closed cases",
    file_glob="housing_options_closed_*.xlsx",
    columns=(
        Column("Case Ref", data_class="personal"),
        Column("Approach Date", description="First contact with the service"),
        Column("Approach Reason"),
        Column("Outcome", description="Prevented, Relieved, Main duty accepted, No duty owed, Withdrawn"),
        Column("Outcome Date"),
        Column("UPRN", required=False, description="Last settled address"),
        Column("Applicant Name", data_class="personal"),
        Column("Date of Birth", data_class="personal"),
        Column("Telephone", data_class="personal"),
        Column("Case Notes", data_class="personal"),
    ),
    append_only=True,
    cadence=Cadence("monthly", due_day=7),
    owner=Owner(team="housing_options", email="housing.options@bromsgrove.example"),
    staged={
        "case_key": KEY,
        "approach_date": REQUIRED_DATE,
        "approach_reason": TEXT,
        "outcome": Field(
            "string", False, isin=("Prevented", "Relieved", "Main duty accepted", "No duty owed", "Withdrawn")
        ),
        "outcome_date": REQUIRED_DATE,
        **PLACE,
    },
    key=("case_key",),
    period_column="outcome_date",
    order=(("approach_date", "outcome_date"),),
    not_future=("approach_date", "outcome_date"),
    formula_screened=("approach_reason",),
)
