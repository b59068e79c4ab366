"""ONS Census 2021 TS007A: usual residents by five-year age band, by LSOA and by ward."""

from __future__ import annotations

from sources.contract import COMPLETE, Cadence, Column, Field, Owner, SourceContract

BANDS = (
    ["Aged 4 years and under"] + [f"Aged {a} to {a + 4} years" for a in range(5, 85, 5)] + ["Aged 85 years and over"]
)


AGE_COLUMNS = [f"Age: {b}; measures: Value" for b in BANDS]


CONTRACT = SourceContract(
    name="census_ts007a",
    title="Census 2021 age by five-year band (TS007A)",
    kind="reference",
    thresholds=COMPLETE,
    provider="Office for National Statistics",
    system="Census 2021 bulk download (NOMIS)",
    format="csv",
    file_glob="census2021-ts007a-*.csv",
    columns=(
        Column("date"),
        Column("geography"),
        Column("geography code"),
        Column("Age: Total; measures: Value"),
        *(Column(c) for c in AGE_COLUMNS),
    ),
    several_rows_per_line=True,
    cadence=Cadence("ad hoc"),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="Demographic profile for the Dashboard's demographics section.",
    staged={
        "area_code": Field("string", False),
        "area_type": Field("string", False, isin=("lsoa", "ward")),
        "age_band": Field("string", False),
        "age_from": Field("int32", False, ge=0),
        "age_to": Field("int32"),
        "residents": Field("int64", False, ge=0),
    },
    key=("area_code", "area_type", "age_band"),
)
