"""ONS Census 2021 TS001: number of usual residents, by LSOA and by ward (bulk CSV download)."""

from __future__ import annotations

from sources.contract import COMPLETE, Cadence, Column, Field, Owner, SourceContract

TOTAL = "Residence type: Total; measures: Value"


HOUSEHOLD = "Residence type: Lives in a household; measures: Value"


COMMUNAL = "Residence type: Lives in a communal establishment; measures: Value"


CONTRACT = SourceContract(
    name="census_ts001",
    title="Census 2021 usual residents (TS001)",
    kind="reference",
    thresholds=COMPLETE,
    provider="Office for National Statistics",
    system="Census 2021 bulk download (NOMIS)",
    format="csv",
    file_glob="census2021-ts001-*.csv",
    columns=(
        Column("date"),
        Column("geography"),
        Column("geography code"),
        Column(TOTAL),
        Column(HOUSEHOLD),
        Column(COMMUNAL),
    ),
    cadence=Cadence("ad hoc"),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="Denominator for rates per 1,000 residents. Files: -lsoa.csv and -ward.csv.",
    staged={
        "area_code": Field("string", False),
        "area_type": Field("string", False, isin=("lsoa", "ward")),
        "census_year": Field("int32", False, ge=2021, le=2021),
        "usual_residents": Field("int64", False, ge=0),
        "in_households": Field("int64", ge=0),
        "in_communal": Field("int64", ge=0),
    },
    key=("area_code", "area_type"),
)
