"""Leisure provider's monthly visits return, by site and activity (XLSX with title rows)."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import REQUIRED_DATE, WARD

CONTRACT = SourceContract(
    name="leisure_visits",
    title="Leisure centre visits",
    kind="partner",
    provider="Leisure provider (contracted operator)",
    system="Leisure provider monthly return",
    format="xlsx",
    sheet="Visits",
    file_glob="leisure_return_*.xlsx",
    columns=(
        Column("Month"),
        Column("Site"),
        Column("Site Ward Code"),
        Column("Activity"),
        Column("Visits"),
        Column("Concession Visits", description="Visits at a concessionary price (part of Visits)"),
    ),
    cadence=Cadence("monthly", due_day=15),
    owner=Owner(team="leisure", email="leisure@bromsgrove.example"),
    staged={
        "month_start": REQUIRED_DATE,
        "site": Field("string", False),
        "ward_code": Field("string", False, pattern=WARD),
        "activity": Field("string", False),
        "visits": Field("int64", False, ge=0),
        "concession_visits": Field("int64", ge=0),
    },
    key=("month_start", "site", "activity"),
    period_column="month_start",
    not_future=("month_start",),
    formula_screened=("site", "activity"),
)
