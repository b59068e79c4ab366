"""ONS Census 2021 TS007A: usual residents by five-year age band, by LSOA and by ward."""

from __future__ import annotations

from pathlib import Path

from sources.census_ts007a.contract import BANDS, CONTRACT
from sources.sample import SampleContext, write_delivery

# Bromsgrove's age profile leans older than England's; shares per band (sum to 1).
SHARES = [
    0.05,
    0.055,
    0.058,
    0.052,
    0.042,
    0.05,
    0.055,
    0.058,
    0.06,
    0.066,
    0.075,
    0.074,
    0.066,
    0.06,
    0.062,
    0.045,
    0.032,
    0.040,
]


def _bands(total: int) -> list[int]:
    counts = [int(total * s) for s in SHARES]
    counts[-1] += total - sum(counts)
    return counts


def generate(ctx: SampleContext) -> list[Path]:
    geo = ctx.geography
    lsoa_rows = [
        (2021, lsoa.name, lsoa.code, lsoa.population, *_bands(lsoa.population))
        for lsoa in [*geo.lsoas, *geo.neighbour_lsoas]
    ]
    ward_rows = []
    for ward in geo.wards:
        members = [b for b, lsoa in zip(lsoa_rows, geo.lsoas, strict=False) if lsoa.ward == ward]
        sums = [sum(m[i] for m in members) for i in range(4, 4 + len(BANDS))]
        ward_rows.append((2021, ward.name, ward.code, sum(sums), *sums))
    return [
        write_delivery(ctx, CONTRACT, "census2021-ts007a-lsoa.csv", lsoa_rows),
        write_delivery(ctx, CONTRACT, "census2021-ts007a-ward.csv", ward_rows),
    ]
