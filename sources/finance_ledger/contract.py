"""General ledger actuals: net spending per cost centre, account and month, as the finance system exports it."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import REQUIRED_DATE, TEXT

CONTRACT = SourceContract(
    name="finance_ledger",
    title="General ledger actuals by cost centre and month",
    kind="service",
    provider="Bromsgrove District Council, Finance",
    system="Financial management system (general ledger)",
    format="csv",
    encoding="CP1252",
    file_glob="gl_actuals_*.csv",
    columns=(
        Column("Cost Centre", description="Ledger cost centre code"),
        Column("Cost Centre Name"),
        Column("Account", description="Subjective (account) code"),
        Column("Account Name"),
        Column("Financial Year", description="e.g. 2025/26"),
        Column("Period", description="Financial period, 1 (April) to 12 (March)"),
        Column("Actual", description="Net amount in pounds; credits negative or in brackets"),
    ),
    cadence=Cadence("monthly", due_day=12),
    owner=Owner(team="finance", email="finance@bromsgrove.example"),
    description="The true cost of each service (seed section 10): marts.cost_of_service.",
    staged={
        "cost_centre": Field("string", False),
        "cost_centre_name": TEXT,
        "account": Field("string", False),
        "account_name": TEXT,
        "month_start": REQUIRED_DATE,
        "amount": Field("float64", False),
    },
    key=("cost_centre", "account", "month_start"),
    period_column="month_start",
    not_future=("month_start",),
    formula_screened=("cost_centre_name", "account_name"),
)
