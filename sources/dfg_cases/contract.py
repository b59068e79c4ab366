"""Disabled facilities grants completed in the month (XLSX report from the home improvement agency)."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import DATE, KEY, PLACE, REQUIRED_DATE, TEXT

CONTRACT = SourceContract(
    name="dfg_cases",
    title="Disabled facilities grants completed",
    kind="service",
    provider="Bromsgrove District Council, Home Improvement Agency",
    system="Home improvement agency case system",
    format="xlsx",
    sheet="Completions",
    file_glob="dfg_completions_*.xlsx",
    columns=(
        Column("Case Ref", data_class="personal"),
        Column("Referral Date", description="First contact: referral from the OT or the customer"),
        Column("Approval Date"),
        Column("Completion Date", description="Adaptation in place: the customer's need met"),
        Column("Adaptation", description="e.g. Level access shower, Stairlift, Ramp"),
        Column("Grant Amount"),
        Column("UPRN"),
        Column("Client Name", data_class="personal"),
        Column("Telephone", data_class="personal"),
        Column("Notes", required=False, data_class="personal"),
    ),
    append_only=True,
    cadence=Cadence("monthly", due_day=10),
    owner=Owner(team="housing_strategy", email="housing.strategy@bromsgrove.example"),
    staged={
        "case_key": KEY,
        "referral_date": REQUIRED_DATE,
        "approval_date": DATE,
        "completion_date": REQUIRED_DATE,
        "adaptation": TEXT,
        "grant_amount": Field("float64", ge=0),
        **PLACE,
    },
    key=("case_key",),
    period_column="completion_date",
    order=(("referral_date", "approval_date"), ("referral_date", "completion_date")),
    not_future=("referral_date", "approval_date", "completion_date"),
    formula_screened=("adaptation",),
)
