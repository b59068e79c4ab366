"""police.uk street-level crime: West Mercia Police's monthly file (the exact public format)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sources.police_street.contract import CONTRACT
from sources.sample import SampleContext, monthly_deliveries

CRIME_TYPES = {
    "Violence and sexual offences": 0.33,
    "Criminal damage and arson": 0.09,
    "Shoplifting": 0.08,
    "Public order": 0.09,
    "Vehicle crime": 0.07,
    "Burglary": 0.06,
    "Other theft": 0.08,
    "Other crime": 0.03,
    "Drugs": 0.03,
    "Theft from the person": 0.01,
    "Bicycle theft": 0.01,
    "Robbery": 0.01,
    "Possession of weapons": 0.01,
}


OUTCOMES = [
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Under investigation",
    "Awaiting court outcome",
    "Offender given a caution",
    "Status update unavailable",
]


STREETS = [
    "On or near Supermarket",
    "On or near Parking Area",
    "On or near High Street",
    "On or near Petrol Station",
    "On or near Sports/Recreation Area",
    "On or near Church Road",
    "On or near Station Road",
]


def generate(ctx: SampleContext) -> list[Path]:
    force = "West Mercia Police"
    areas = [(a, 1.0) for a in ctx.geography.lsoas] + [(a, 3.0) for a in ctx.geography.neighbour_lsoas]

    def rows(rng, month, _index: int) -> list[tuple]:
        out = []
        for n in range(int(rng.gauss(1300, 60))):
            lsoa = rng.choices([a for a, _ in areas], weights=[w for _, w in areas])[0]
            asb = rng.random() < 0.2
            crime_type = (
                "Anti-social behaviour"
                if asb
                else rng.choices(list(CRIME_TYPES), weights=list(CRIME_TYPES.values()))[0]
            )
            crime_id = "" if asb else hashlib.sha256(f"{month}{n}".encode()).hexdigest()
            outcome = "" if asb else rng.choice(OUTCOMES)
            if rng.random() < 0.012:  # no location: blank coordinates and LSOA
                out.append(
                    (crime_id, f"{month:%Y-%m}", force, force, "", "", "No location", "", "", crime_type, outcome, "")
                )
                continue
            out.append(
                (
                    crime_id,
                    f"{month:%Y-%m}",
                    force,
                    force,
                    f"{-2.06 + rng.uniform(-0.1, 0.1):.6f}",
                    f"{52.33 + rng.uniform(-0.08, 0.08):.6f}",
                    rng.choice(STREETS),
                    lsoa.code,
                    lsoa.name,
                    crime_type,
                    outcome,
                    "",
                )
            )
        return out

    # police.uk's download keeps each month in its own folder
    return monthly_deliveries(ctx, CONTRACT, "{month:%Y-%m}/{month:%Y-%m}-west-mercia-street.csv", rows)
