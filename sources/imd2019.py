"""English Indices of Deprivation 2019, File 7 (scores, ranks, deciles), by LSOA (2011)."""

from __future__ import annotations

from pathlib import Path

from sources.contract import COMPLETE, Cadence, Column, Owner, SourceContract
from sources.sample import SampleContext, write_delivery

CONTRACT = SourceContract(
    name="imd2019",
    title="Index of Multiple Deprivation 2019",
    kind="reference",
    thresholds=COMPLETE,
    provider="Ministry of Housing, Communities and Local Government",
    system="IoD2019 File 7 download",
    format="csv",
    file_glob="File_7*IoD2019*.csv",
    columns=(
        Column("LSOA code (2011)"),
        Column("LSOA name (2011)"),
        Column("Local Authority District code (2019)"),
        Column("Local Authority District name (2019)"),
        Column("Index of Multiple Deprivation (IMD) Score", "DOUBLE"),
        Column("Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)", "INTEGER"),
        Column("Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)", "INTEGER"),
        Column("Income Score (rate)", "DOUBLE"),
        Column("Employment Score (rate)", "DOUBLE"),
    ),
    cadence=Cadence("ad hoc"),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="LSOA 2011 codes; the sample uses the same codes as 2021 (most Bromsgrove LSOAs did not change).",
)


def generate(ctx: SampleContext) -> list[Path]:
    rng = ctx.rng(CONTRACT.name)
    rows = []
    for lsoa in [*ctx.geography.lsoas, *ctx.geography.neighbour_lsoas]:
        rank = rng.randint(3000, 32844) if lsoa.ward else rng.randint(800, 30000)
        score = round(max(1.0, 60 - rank / 560 + rng.uniform(-2, 2)), 3)
        decile = min(10, rank * 10 // 32844 + 1)
        rows.append((lsoa.code, lsoa.name, lsoa.lad_code, lsoa.lad_name, score, rank, decile,
                     round(score / 300, 3), round(score / 380, 3)))
    name = "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv"
    return [write_delivery(ctx, CONTRACT, name, rows)]
