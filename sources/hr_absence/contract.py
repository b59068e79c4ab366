"""HR sickness absence: working days lost per employee per month, with FTE (CSV, Windows-1252)."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import KEY, REQUIRED_DATE

CONTRACT = SourceContract(
    name="hr_absence",
    title="Sickness absence by employee and month",
    kind="service",
    provider="Bromsgrove District Council, Human Resources",
    system="HR and payroll system",
    format="csv",
    encoding="CP1252",
    file_glob="sickness_absence_*.csv",
    columns=(
        Column("Employee Number", data_class="personal"),
        Column("Employee Name", data_class="personal"),
        Column("Team"),
        Column("FTE"),
        Column("Month", description="YYYY-MM"),
        Column("Working Days Lost"),
        Column("Absence Reason", required=False, data_class="personal", description="Health data: special category"),
    ),
    append_only=True,
    cadence=Cadence("monthly", due_day=10),
    owner=Owner(team="hr", email="hr@bromsgrove.example"),
    staged={
        "employee_key": KEY,
        "team_name": Field("string", False),
        "fte": Field("float64", False, ge=0, le=1),
        "month_start": REQUIRED_DATE,
        "days_lost": Field("float64", False, ge=0, le=31, data_class="special_category"),  # sickness absence
    },
    key=("employee_key", "month_start"),
    period_column="month_start",
    not_future=("month_start",),
    formula_screened=("team_name",),
)
