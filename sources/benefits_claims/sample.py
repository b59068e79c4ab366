"""Housing Benefit and Council Tax Reduction: claims and changes decided in the month (CSV, Windows-1252)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sources.benefits_claims.contract import CONTRACT
from sources.sample import SampleContext, month_end, monthly_deliveries
from sources.sample.people import full_name, ni_number, phone


def generate(ctx: SampleContext) -> list[Path]:
    def rows(rng, month: dt.date, index: int) -> list[tuple]:
        improved = index >= ctx.months_count - 12  # the redesign also shortens end-to-end time
        out = []
        for n in range(int(rng.gauss(420, 30))):
            new = rng.random() < 0.3
            decided = dt.date(month.year, month.month, rng.randint(1, month_end(month).day))
            evidence_wait = int(rng.expovariate(1 / (6 if improved else 12))) if new else int(rng.expovariate(1 / 3))
            decision_lag = int(rng.expovariate(1 / (5 if new else 3))) + 1
            evidence = decided - dt.timedelta(days=decision_lag)
            received = evidence - dt.timedelta(days=evidence_wait)
            out.append(
                (
                    f"{'N' if new else 'C'}{month:%y%m}{n:04d}",
                    rng.choice(["HB", "CTR", "CTR"]),
                    "New claim" if new else "Change of circumstances",
                    received.strftime("%d/%m/%Y"),
                    evidence.strftime("%d/%m/%Y"),
                    decided.strftime("%d/%m/%Y"),
                    rng.choices(["Awarded", "Refused", "Withdrawn"], weights=[0.8, 0.15, 0.05])[0],
                    rng.choice(ctx.geography.addresses).uprn,
                    full_name(rng),
                    ni_number(rng),
                    phone(rng),
                )
            )
        return out

    return monthly_deliveries(ctx, CONTRACT, "hb_ctr_decisions_{month:%Y-%m}.csv", rows)
