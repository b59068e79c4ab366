"""Disabled facilities grants completed in the month (XLSX report from the home improvement agency)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sources.dfg_cases.contract import CONTRACT
from sources.sample import SampleContext, month_end, monthly_deliveries
from sources.sample.people import full_name, phone


def generate(ctx: SampleContext) -> list[Path]:
    def rows(rng, month: dt.date, _index: int) -> list[tuple]:
        out = []
        for n in range(max(3, int(rng.gauss(14, 3)))):
            done = dt.date(month.year, month.month, rng.randint(1, month_end(month).day))
            approved = done - dt.timedelta(days=int(rng.gauss(60, 20)))
            referred = approved - dt.timedelta(days=max(7, int(rng.gauss(110, 35))))
            adaptation = rng.choice(["Level access shower", "Stairlift", "Ramp", "Through-floor lift"])
            out.append(
                (
                    f"DFG{month:%y%m}{n:02d}",
                    referred,
                    approved,
                    done,
                    adaptation,
                    round(rng.uniform(2500, 30000), 2),
                    rng.choice(ctx.geography.addresses).uprn,
                    full_name(rng),
                    phone(rng),
                    "Key safe code with OT",
                )
            )
        return out

    return monthly_deliveries(
        ctx, CONTRACT, "dfg_completions_{month:%Y-%m}.xlsx", rows, title="DFG completions {month:%B %Y}"
    )
