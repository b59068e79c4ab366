"""Housing association lettings return: homes let in the month (CSV from the stock-transfer association)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sources.lettings.contract import CONTRACT
from sources.sample import SampleContext, month_end, monthly_deliveries
from sources.sample.people import full_name, phone


def generate(ctx: SampleContext) -> list[Path]:
    def rows(rng, month: dt.date, _index: int) -> list[tuple]:
        out = []
        for n in range(int(rng.gauss(30, 5))):
            start = dt.date(month.year, month.month, rng.randint(1, month_end(month).day))
            void = start - dt.timedelta(days=int(rng.lognormvariate(3.0, 0.5)))
            out.append(
                (
                    f"L{month:%y%m}{n:03d}",
                    rng.choice(ctx.geography.addresses).uprn,
                    rng.choice(["House", "Flat", "Bungalow", "Maisonette"]),
                    rng.randint(1, 4),
                    void.strftime("%d/%m/%Y"),
                    start.strftime("%d/%m/%Y"),
                    rng.choice("YYYN"),
                    full_name(rng),
                    phone(rng),
                )
            )
        return out

    return monthly_deliveries(ctx, CONTRACT, "lettings_return_{month:%Y-%m}.csv", rows)
