"""Customer contact (CRM) demand log: every contact, classified at first contact as value or failure demand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sources.crm_contacts.contract import CONTRACT
from sources.sample import SampleContext, monthly_deliveries
from sources.sample.people import full_name, phone

CHANNELS = {"Phone": 0.52, "Face to face": 0.12, "Email": 0.14, "Web form": 0.19, "Letter": 0.03}


SERVICES = {
    "Benefits": 0.22,
    "Council Tax": 0.24,
    "Waste": 0.2,
    "Planning": 0.08,
    "Housing": 0.1,
    "Environmental Health": 0.06,
    "Other": 0.1,
}


VALUE = ["Request for service", "Make a payment", "Apply", "Report a change", "Information request"]


FAILURE = [
    "Progress chasing",
    "Not understood letter",
    "Repeat request",
    "Service not delivered",
    "Wrong information given",
    "Complaint",
]


def _pick(rng, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate(ctx: SampleContext) -> list[Path]:
    addresses = ctx.geography.addresses

    def rows(rng, month: dt.date, index: int) -> list[tuple]:
        seasonal = 1.15 if month.month in (3, 4) else (0.85 if month.month in (8, 12) else 1.0)
        # A check-plan-do redesign of benefits contact in the last year cuts failure demand.
        failure_share = 0.42 if index < ctx.months_count - 12 else 0.33
        cutoff = ctx.cutoff(CONTRACT, month)
        out = []
        for n in range(int(rng.gauss(2400, 90) * seasonal)):
            received = ctx.random_time(rng, month)
            service = _pick(rng, SERVICES)
            failure = rng.random() < failure_share * (1.2 if service == "Benefits" else 1.0)
            resolved = rng.random() < (0.55 if failure else 0.78)
            still_open = rng.random() < 0.02
            closed_at = received + dt.timedelta(
                minutes=rng.randint(3, 25) if resolved else rng.randint(60, 60 * 24 * 12)
            )
            # Open when the extract is taken if it closed after that (a later corrected extract may close it).
            closed = "" if still_open or closed_at >= cutoff else closed_at.strftime("%d/%m/%Y %H:%M")
            uprn: object = rng.choice(addresses).uprn if rng.random() < 0.86 else ""
            if rng.random() < 0.002:
                uprn = 999000000000 + n  # mistyped by the adviser: not in the gazetteer
            name = full_name(rng)
            notes = rng.choice(
                [
                    f"{name} says the bill of £{rng.randint(80, 900)} is wrong",
                    "Customer “very unhappy” – called twice",
                    f"Call back on {phone(rng)}",
                    "Advised online form",
                    "",
                    "Passed to back office",
                ]
            )
            out.append(
                (
                    f"CRM{month:%y%m}{n:05d}",
                    received.strftime("%d/%m/%Y %H:%M"),
                    closed,
                    _pick(rng, CHANNELS),
                    service,
                    "Failure" if failure else "Value",
                    rng.choice(FAILURE if failure else VALUE),
                    "Y" if resolved else "N",
                    uprn,
                    name,
                    phone(rng),
                    notes,
                )
            )
        return out

    return monthly_deliveries(ctx, CONTRACT, "crm_contacts_{month:%Y-%m}.csv", rows)
