"""ONS best-fit lookup: LSOA (2021) -> electoral ward -> local authority district, for England and Wales."""

from __future__ import annotations

from pathlib import Path

from sources.ons_lookup.contract import CONTRACT
from sources.sample import SampleContext, write_delivery


def generate(ctx: SampleContext) -> list[Path]:
    geo = ctx.geography
    rows = []
    for lsoa in geo.lsoas:
        rows.append((lsoa.code, lsoa.name, lsoa.ward.code, lsoa.ward.name, lsoa.lad_code, lsoa.lad_name))
    for k, lsoa in enumerate(geo.neighbour_lsoas):  # the national file covers every district
        rows.append(
            (lsoa.code, lsoa.name, f"E05016{k:03d}", f"{lsoa.lad_name} ward {k % 4 + 1}", lsoa.lad_code, lsoa.lad_name)
        )
    rows = [(*r, i + 1) for i, r in enumerate(rows)]
    return [write_delivery(ctx, CONTRACT, "LSOA21_WD24_LAD24_EW_LU.csv", rows, bom=True)]
