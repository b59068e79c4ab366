"""Planning applications decided in the month (CSV export from the planning system)."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import DATE, KEY, PLACE, REQUIRED_DATE, TEXT

CONTRACT = SourceContract(
    name="planning_applications",
    title="Planning applications decided",
    kind="service",
    provider="Bromsgrove District Council, Planning and Regeneration",
    system="Planning application system",
    format="csv",
    file_glob="planning_decisions_*.csv",
    columns=(
        Column("Application Number"),
        Column("Application Type", description="Major, Minor or Other (the government's PS1/PS2 groups)"),
        Column("Date Received"),
        Column("Date Valid"),
        Column("Decision Date"),
        Column("Decision", description="Granted or Refused"),
        Column("Extension Agreed", description="Y if the applicant agreed an extension of time"),
        Column("UPRN", required=False),
        Column("Applicant Name", data_class="personal"),
        Column("Agent Name", data_class="personal"),
        Column("Proposal", data_class="personal", description="Free text; may name people"),
    ),
    append_only=True,
    cadence=Cadence("monthly", due_day=5),
    owner=Owner(team="planning", email="planning@bromsgrove.example"),
    staged={
        "application_number": KEY,
        "application_type": Field("string", False, isin=("Major", "Minor", "Other")),
        "received_date": DATE,
        "valid_date": REQUIRED_DATE,
        "decision_date": REQUIRED_DATE,
        "decision": TEXT,
        "extension_agreed": Field("boolean", False),
        **PLACE,
    },
    key=("application_number",),
    period_column="decision_date",
    order=(("received_date", "valid_date"), ("valid_date", "decision_date")),
    not_future=("received_date", "valid_date", "decision_date"),
    formula_screened=("decision",),
)
