"""Disabled facilities grants completed in the month (XLSX report from the home improvement agency)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sources.contract import Cadence, Column, Owner, SourceContract
from sources.sample import SampleContext, month_end, monthly_deliveries
from sources.sample.people import full_name, phone

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
        Column("Case Ref"),
        Column("Referral Date", "DATE", description="First contact: referral from the OT or the customer"),
        Column("Approval Date", "DATE"),
        Column("Completion Date", "DATE", description="Adaptation in place: the customer's need met"),
        Column("Adaptation", description="e.g. Level access shower, Stairlift, Ramp"),
        Column("Grant Amount", "DOUBLE"),
        Column("UPRN", "BIGINT"),
        Column("Client Name", personal=True),
        Column("Telephone", personal=True),
        Column("Notes", required=False, personal=True),
    ),
    append_only=True,
    cadence=Cadence("monthly", due_day=10),
    owner=Owner(team="housing_strategy", email="housing.strategy@bromsgrove.example"),
)


def generate(ctx: SampleContext) -> list[Path]:
    def rows(rng, month: dt.date, _index: int) -> list[tuple]:
        out = []
        for n in range(max(3, int(rng.gauss(14, 3)))):
            done = dt.date(month.year, month.month, rng.randint(1, month_end(month).day))
            approved = done - dt.timedelta(days=int(rng.gauss(60, 20)))
            referred = approved - dt.timedelta(days=max(7, int(rng.gauss(110, 35))))
            adaptation = rng.choice(["Level access shower", "Stairlift", "Ramp", "Through-floor lift"])
            out.append((f"DFG{month:%y%m}{n:02d}", referred, approved, done, adaptation,
                        round(rng.uniform(2500, 30000), 2), rng.choice(ctx.geography.addresses).uprn,
                        full_name(rng), phone(rng), "Key safe code with OT"))
        return out

    return monthly_deliveries(ctx, CONTRACT, "dfg_completions_{month:%Y-%m}.xlsx", rows,
                              title="DFG completions {month:%B %Y}")
