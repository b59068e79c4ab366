"""Planning applications decided in the month (CSV export from the planning system)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sources.planning_applications.contract import CONTRACT
from sources.sample import SampleContext, month_end, monthly_deliveries
from sources.sample.people import full_name

TYPES = {"Major": (0.04, 91, "FUL"), "Minor": (0.3, 56, "FUL"), "Other": (0.66, 56, "HH")}


def generate(ctx: SampleContext) -> list[Path]:
    def rows(rng, month: dt.date, _index: int) -> list[tuple]:
        out = []
        for n in range(int(rng.gauss(95, 10))):
            kind = rng.choices(list(TYPES), weights=[t[0] for t in TYPES.values()])[0]
            target, suffix = TYPES[kind][1], TYPES[kind][2]
            decided = dt.date(month.year, month.month, rng.randint(1, month_end(month).day))
            days = int(rng.gauss(target * 0.8, target * 0.25))
            valid = decided - dt.timedelta(days=max(10, days))
            received = valid - dt.timedelta(days=rng.randint(0, 14))
            extension = "Y" if days > target and rng.random() < 0.5 else "N"
            out.append(
                (
                    f"{valid:%y}/{_index * 1000 + n:05d}/{suffix}",
                    kind,
                    received.isoformat(),
                    valid.isoformat(),
                    decided.isoformat(),
                    rng.choice(["Granted"] * 9 + ["Refused"]),
                    extension,
                    rng.choice(ctx.geography.addresses).uprn,
                    full_name(rng),
                    full_name(rng),
                    "Single storey rear extension" if kind == "Other" else "Erection of dwellings",
                )
            )
        return out

    return monthly_deliveries(ctx, CONTRACT, "planning_decisions_{month:%Y-%m}.csv", rows)
