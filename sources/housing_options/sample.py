"""Housing options / homelessness casework system: cases closed in the month (XLSX report)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sources.housing_options.contract import CONTRACT
from sources.sample import SampleContext, month_end, monthly_deliveries
from sources.sample.people import full_name, phone

OUTCOMES = {"Prevented": 0.46, "Relieved": 0.22, "Main duty accepted": 0.12, "No duty owed": 0.12, "Withdrawn": 0.08}


REASONS = [
    "Family or friends no longer willing to accommodate",
    "End of private rented tenancy",
    "Domestic abuse",
    "Relationship breakdown",
    "Mortgage arrears",
    "Leaving institution",
]


def generate(ctx: SampleContext) -> list[Path]:
    def rows(rng, month: dt.date, _index: int) -> list[tuple]:
        out = []
        for n in range(max(5, int(rng.gauss(38, 6)))):
            closed = dt.date(month.year, month.month, rng.randint(1, month_end(month).day))
            opened = closed - dt.timedelta(days=int(rng.lognormvariate(3.6, 0.6)))
            name = full_name(rng)
            out.append(
                (
                    f"HO-{month:%y%m}-{n:03d}",
                    opened,
                    rng.choice(REASONS),
                    rng.choices(list(OUTCOMES), weights=list(OUTCOMES.values()))[0],
                    closed,
                    rng.choice(ctx.geography.addresses).uprn,
                    name,
                    dt.date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                    phone(rng),
                    f"{name} approached after notice served",
                )
            )
        return out

    return monthly_deliveries(
        ctx,
        CONTRACT,
        "housing_options_closed_{month:%Y-%m}.xlsx",
        rows,
        title="Housing Options - cases closed {month:%B %Y}",
    )
