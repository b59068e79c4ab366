"""Leisure provider's monthly visits return, by site and activity (XLSX with title rows)."""

from __future__ import annotations

from pathlib import Path

from sources.leisure_visits.contract import CONTRACT
from sources.sample import SampleContext, monthly_deliveries

ACTIVITIES = {"Swimming": 5200, "Gym": 9800, "Classes": 4100, "Sports hall": 2300}


def generate(ctx: SampleContext) -> list[Path]:
    wards = {w.name: w.code for w in ctx.geography.wards}
    sites = ctx.geography.council.sample.leisure_sites  # site -> the ward it stands in

    def rows(rng, month, _index: int) -> list[tuple]:
        out = []
        for k, (site, ward) in enumerate(sites.items()):
            for activity, base in ACTIVITIES.items():
                if site.endswith("Splash Pad") and (activity != "Swimming" or month.month not in (5, 6, 7, 8, 9)):
                    continue
                visits = int(base * (0.6 if k else 1.0) * rng.uniform(0.85, 1.15))
                out.append((month, site, wards[ward], activity, visits, int(visits * rng.uniform(0.15, 0.3))))
        return out

    return monthly_deliveries(
        ctx, CONTRACT, "leisure_return_{month:%Y-%m}.xlsx", rows, title="Monthly visits return - {month:%B %Y}"
    )
