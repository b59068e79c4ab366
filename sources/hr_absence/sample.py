"""HR sickness absence: working days lost per employee per month, with FTE (CSV, Windows-1252)."""

from __future__ import annotations

from pathlib import Path

from sources.hr_absence.contract import CONTRACT
from sources.sample import SampleContext, monthly_deliveries
from sources.sample.people import full_name

TEAMS = {
    "Customer Services": 38,
    "Revenues and Benefits": 45,
    "Environmental Services": 95,
    "Planning": 28,
    "Housing Options": 16,
    "Policy": 6,
    "Finance": 22,
}


def generate(ctx: SampleContext) -> list[Path]:
    staff = []
    for team, size in TEAMS.items():
        rng = ctx.rng(CONTRACT.name, team)
        staff += [
            (f"E{len(staff) + k:05d}", full_name(rng), team, rng.choice([1.0, 1.0, 1.0, 0.8, 0.6, 0.5]))
            for k in range(size)
        ]

    def rows(rng, month, _index: int) -> list[tuple]:
        winter = 1.4 if month.month in (12, 1, 2) else 1.0
        out = []
        for number, name, team, fte in staff:
            sick = rng.random() < 0.09 * winter
            days = round(min(20.0, rng.expovariate(1 / 4)) * fte, 1) if sick else 0
            reason = rng.choice(["Cold/flu", "Musculoskeletal", "Stress – work related", "Surgery"]) if sick else ""
            out.append((number, name, team, fte, f"{month:%Y-%m}", days, reason))
        return out

    return monthly_deliveries(ctx, CONTRACT, "sickness_absence_{month:%Y-%m}.csv", rows)
