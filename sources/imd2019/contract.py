"""English Indices of Deprivation 2019, File 7 (scores, ranks, deciles), by LSOA (2011)."""

from __future__ import annotations

from sources.contract import COMPLETE, Cadence, Column, Field, Owner, SourceContract
from sources.fields import LSOA

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
        Column("Index of Multiple Deprivation (IMD) Score"),
        Column("Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"),
        Column("Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"),
        Column("Income Score (rate)"),
        Column("Employment Score (rate)"),
    ),
    cadence=Cadence("ad hoc"),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="LSOA 2011 codes; the sample uses the same codes as 2021 (most Bromsgrove LSOAs did not change).",
    staged={
        "lsoa_code": Field("string", False, pattern=LSOA),
        "imd_score": Field("float64", ge=0),
        "imd_rank": Field("int32", ge=1, le=32844),
        "imd_decile": Field("int32", False, ge=1, le=10),
        "income_score": Field("float64", ge=0, le=1),
        "employment_score": Field("float64", ge=0, le=1),
    },
    key=("lsoa_code",),
)
