"""Street scene reports: missed bin collections and fly-tipping, with when each was put right."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import KEY, PLACE, TEXT

CONTRACT = SourceContract(
    name="waste_reports",
    title="Missed bins and fly-tipping reports",
    kind="service",
    provider="Bromsgrove District Council, Environmental Services",
    system="Street scene works system",
    format="csv",
    file_glob="street_scene_reports_*.csv",
    columns=(
        Column("Report Ref", data_class="personal"),
        Column("Report Type", description="Missed bin - residual/recycling/garden, or Fly-tipping"),
        Column("Reported At"),
        Column("Completed At", required=False, description="Bin collected or fly-tip cleared"),
        Column("UPRN", required=False),
        Column("Reporter Name", data_class="personal"),
        Column("Reporter Phone", data_class="personal"),
        Column("Description", data_class="personal"),
    ),
    append_only=True,
    cadence=Cadence("monthly", due_day=5),
    owner=Owner(team="environmental_services", email="environmental.services@bromsgrove.example"),
    staged={
        "report_key": KEY,
        "report_type": Field("string", False),
        "report_group": TEXT,
        "reported_at": Field("timestamp(6)", nullable=False),
        "completed_at": Field("timestamp(6)"),
        **PLACE,
    },
    key=("report_key",),
    period_column="reported_at",
    order=(("reported_at", "completed_at"),),
    not_future=("reported_at", "completed_at"),
    formula_screened=("report_type",),
)
