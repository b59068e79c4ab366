"""Customer contact (CRM) demand log: every contact, classified at first contact as value or failure demand."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import KEY, PLACE

CONTRACT = SourceContract(
    name="crm_contacts",
    title="Customer contact demand log (CRM)",
    kind="service",
    provider="Bromsgrove District Council, Customer Access and Financial Support",
    system="CRM (customer contact system)",
    format="csv",
    encoding="CP1252",
    file_glob="crm_contacts_*.csv",
    columns=(
        Column("Contact Ref", data_class="personal", description="CRM contact reference (pseudonymised in staging)"),
        Column("Received", description="When the customer contacted us (dd/mm/yyyy hh:mm)"),
        Column("Closed", required=False, description="When the contact was closed; blank if open"),
        Column("Channel", description="Phone, Face to face, Email, Web form or Letter"),
        Column("Service", description="Service the contact was about"),
        Column("Demand Type", description="Value or Failure, recorded at first contact"),
        Column("Demand Category", description="What the customer wanted, in their terms"),
        Column("Resolved At First Contact", description="Y/N"),
        Column("UPRN", required=False, description="Property the contact concerns, if any"),
        Column("Customer Name", data_class="personal"),
        Column("Telephone", data_class="personal"),
        Column("Notes", data_class="personal", description="Free-text notes by the adviser"),
    ),
    append_only=True,
    cadence=Cadence("monthly", due_day=5),
    owner=Owner(team="customer_services", email="customer.services@bromsgrove.example"),
    description="The demand log behind the systems-thinking measures: failure demand and first-contact resolution.",
    staged={
        "contact_key": KEY,
        "received_at": Field("timestamp(6)", nullable=False),
        "closed_at": Field("timestamp(6)"),
        "channel": Field("string", False, isin=("phone", "face to face", "email", "web form", "letter")),
        "service": Field("string", False),
        "demand_type": Field("string", False, isin=("value", "failure")),
        "demand_category": Field("string", False),
        "resolved_first_contact": Field("boolean", False),
        **PLACE,
    },
    key=("contact_key",),
    period_column="received_at",
    order=(("received_at", "closed_at"),),
    not_future=("received_at", "closed_at"),
    formula_screened=("service", "demand_category"),
)
