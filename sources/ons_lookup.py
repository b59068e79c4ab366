"""ONS best-fit lookup: LSOA (2021) -> electoral ward -> local authority district, for England and Wales."""

from __future__ import annotations

from pathlib import Path

from sources.contract import Cadence, Column, Owner, SourceContract
from sources.sample import SampleContext, write_delivery

WARD_YEARS = ("22", "23", "24", "25")  # ONS renames ward columns every release

CONTRACT = SourceContract(
    name="ons_lookup",
    title="LSOA to ward to local authority lookup (ONS)",
    kind="reference",
    provider="Office for National Statistics (Open Geography Portal)",
    system="ONS lookup download",
    format="csv",
    file_glob="LSOA21_WD*_LAD*_EW_LU*.csv",
    columns=(
        Column("LSOA21CD", aliases=("LSOA11CD",)),
        Column("LSOA21NM", aliases=("LSOA11NM",)),
        Column("WD24CD", aliases=tuple(f"WD{y}CD" for y in WARD_YEARS)),
        Column("WD24NM", aliases=tuple(f"WD{y}NM" for y in WARD_YEARS)),
        Column("LAD24CD", aliases=tuple(f"LAD{y}CD" for y in WARD_YEARS)),
        Column("LAD24NM", aliases=tuple(f"LAD{y}NM" for y in WARD_YEARS)),
        Column("ObjectId", required=False),
    ),
    cadence=Cadence("annual"),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="Matched by column name, so the 2023, 2024 and 2025 releases all load.",
)


def generate(ctx: SampleContext) -> list[Path]:
    geo = ctx.geography
    rows = []
    for lsoa in geo.lsoas:
        rows.append((lsoa.code, lsoa.name, lsoa.ward.code, lsoa.ward.name, lsoa.lad_code, lsoa.lad_name))
    for k, lsoa in enumerate(geo.neighbour_lsoas):  # the national file covers every district
        rows.append((lsoa.code, lsoa.name, f"E05016{k:03d}", f"{lsoa.lad_name} ward {k % 4 + 1}", lsoa.lad_code,
                     lsoa.lad_name))
    rows = [(*r, i + 1) for i, r in enumerate(rows)]
    return [write_delivery(ctx, CONTRACT, "LSOA21_WD24_LAD24_EW_LU.csv", rows, bom=True)]
