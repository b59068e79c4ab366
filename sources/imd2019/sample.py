"""English Indices of Deprivation 2019, File 7 (scores, ranks, deciles), by LSOA (2011)."""

from __future__ import annotations

from pathlib import Path

from sources.imd2019.contract import CONTRACT
from sources.sample import SampleContext, write_delivery


def generate(ctx: SampleContext) -> list[Path]:
    rng = ctx.rng(CONTRACT.name)
    rows = []
    for lsoa in [*ctx.geography.lsoas, *ctx.geography.neighbour_lsoas]:
        rank = rng.randint(3000, 32844) if lsoa.ward else rng.randint(800, 30000)
        score = round(max(1.0, 60 - rank / 560 + rng.uniform(-2, 2)), 3)
        decile = min(10, rank * 10 // 32844 + 1)
        rows.append(
            (
                lsoa.code,
                lsoa.name,
                lsoa.lad_code,
                lsoa.lad_name,
                score,
                rank,
                decile,
                round(score / 300, 3),
                round(score / 380, 3),
            )
        )
    name = "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv"
    return [write_delivery(ctx, CONTRACT, name, rows)]
