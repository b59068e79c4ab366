"""ONS Census 2021 TS001: number of usual residents, by LSOA and by ward (bulk CSV download)."""

from __future__ import annotations

from pathlib import Path

from sources.census_ts001.contract import CONTRACT
from sources.sample import SampleContext, write_delivery


def generate(ctx: SampleContext) -> list[Path]:
    geo = ctx.geography
    rng = ctx.rng(CONTRACT.name)

    def split(total: int) -> tuple[int, int]:
        communal = min(total, rng.randint(0, 40))
        return total - communal, communal

    lsoa_rows = [
        (2021, lsoa.name, lsoa.code, lsoa.population, *split(lsoa.population))
        for lsoa in [*geo.lsoas, *geo.neighbour_lsoas]
    ]
    ward_rows = []
    for ward in geo.wards:
        members = [r for r, lsoa in zip(lsoa_rows, geo.lsoas, strict=False) if lsoa.ward == ward]
        ward_rows.append(
            (2021, ward.name, ward.code, ward.population, sum(m[4] for m in members), sum(m[5] for m in members))
        )
    return [
        write_delivery(ctx, CONTRACT, "census2021-ts001-lsoa.csv", lsoa_rows),
        write_delivery(ctx, CONTRACT, "census2021-ts001-ward.csv", ward_rows),
    ]
