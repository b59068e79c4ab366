"""Housing Benefit and Council Tax Reduction: claims and changes decided in the month (CSV, Windows-1252)."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import DATE, KEY, PLACE, REQUIRED_DATE, TEXT

CONTRACT = SourceContract(
    name="benefits_claims",
    title="Housing Benefit and Council Tax Reduction decisions",
    kind="service",
    provider="Bromsgrove District Council, Revenues and Benefits",
    system="Revenues and benefits system",
    format="csv",
    encoding="CP1252",
    file_glob="hb_ctr_decisions_*.csv",
    columns=(
        Column("Claim Ref", data_class="personal"),
        Column("Claim Type", description="HB or CTR"),
        Column("Event Type", description="New claim or Change of circumstances"),
        Column("Date Received", description="First contact: the claim or change reached us"),
        Column("All Evidence Date", description="Last piece of evidence received"),
        Column("Decision Date"),
        Column("Decision", description="Awarded, Refused, Withdrawn"),
        Column("UPRN", required=False),
        Column("Claimant Name", data_class="personal"),
        Column("NI Number", data_class="personal"),
        Column("Telephone", data_class="personal"),
    ),
    append_only=True,
    cadence=Cadence("monthly", due_day=5),
    owner=Owner(team="revenues_benefits", email="benefits@bromsgrove.example"),
    staged={
        "claim_key": KEY,
        "claim_type": Field("string", False, isin=("HB", "CTR")),
        "event_type": Field("string", False, isin=("New claim", "Change of circumstances")),
        "received_date": REQUIRED_DATE,
        "all_evidence_date": DATE,
        "decision_date": REQUIRED_DATE,
        "decision": TEXT,
        **PLACE,
    },
    key=("claim_key", "event_type", "received_date"),
    period_column="decision_date",
    order=(("received_date", "decision_date"),),
    not_future=("received_date", "all_evidence_date", "decision_date"),
    formula_screened=("decision",),
)
