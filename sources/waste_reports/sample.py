"""Street scene reports: missed bin collections and fly-tipping, with when each was put right."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sources.sample import SampleContext, monthly_deliveries
from sources.sample.people import full_name, phone
from sources.waste_reports.contract import CONTRACT

TYPES = {
    "Missed bin - residual": 0.34,
    "Missed bin - recycling": 0.26,
    "Missed bin - garden": 0.12,
    "Fly-tipping": 0.28,
}


def generate(ctx: SampleContext) -> list[Path]:
    def rows(rng, month: dt.date, _index: int) -> list[tuple]:
        cutoff = ctx.cutoff(CONTRACT, month)  # not yet cleared when the extract is taken: blank
        out = []
        for n in range(int(rng.gauss(310, 25) * (1.3 if month.month in (6, 7, 8) else 1.0))):
            kind = rng.choices(list(TYPES), weights=list(TYPES.values()))[0]
            reported = ctx.random_time(rng, month, office_hours=False)
            hours = rng.expovariate(1 / (60 if kind == "Fly-tipping" else 30))
            completed_at = reported + dt.timedelta(hours=hours)
            not_recorded = rng.random() < 0.015
            completed = "" if not_recorded or completed_at >= cutoff else completed_at.strftime("%d/%m/%Y %H:%M")
            out.append(
                (
                    f"SS{month:%y%m}{n:05d}",
                    kind,
                    reported.strftime("%d/%m/%Y %H:%M"),
                    completed,
                    rng.choice(ctx.geography.addresses).uprn,
                    full_name(rng),
                    phone(rng),
                    "Mattress and bags by the lay-by" if kind == "Fly-tipping" else "Bin not emptied again",
                )
            )
        return out

    return monthly_deliveries(ctx, CONTRACT, "street_scene_reports_{month:%Y-%m}.csv", rows, bom=True)
