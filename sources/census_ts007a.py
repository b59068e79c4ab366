"""ONS Census 2021 TS007A: usual residents by five-year age band, by LSOA and by ward."""

from __future__ import annotations

from pathlib import Path

from sources.contract import COMPLETE, Cadence, Column, Owner, SourceContract
from sources.sample import SampleContext, write_delivery

BANDS = ["Aged 4 years and under"] + [f"Aged {a} to {a + 4} years" for a in range(5, 85, 5)] + \
        ["Aged 85 years and over"]
AGE_COLUMNS = [f"Age: {b}; measures: Value" for b in BANDS]
# Bromsgrove's age profile leans older than England's; shares per band (sum to 1).
SHARES = [0.05, 0.055, 0.058, 0.052, 0.042, 0.05, 0.055, 0.058, 0.06, 0.066, 0.075, 0.074, 0.066, 0.06,
          0.062, 0.045, 0.032, 0.040]

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
        Column("Age: Total; measures: Value", "BIGINT"),
        *(Column(c, "BIGINT") for c in AGE_COLUMNS),
    ),
    several_rows_per_line=True,
    cadence=Cadence("ad hoc"),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="Demographic profile for the Dashboard's demographics section.",
)


def _bands(total: int) -> list[int]:
    counts = [int(total * s) for s in SHARES]
    counts[-1] += total - sum(counts)
    return counts


def generate(ctx: SampleContext) -> list[Path]:
    geo = ctx.geography
    lsoa_rows = [(2021, lsoa.name, lsoa.code, lsoa.population, *_bands(lsoa.population))
                 for lsoa in [*geo.lsoas, *geo.neighbour_lsoas]]
    ward_rows = []
    for ward in geo.wards:
        members = [b for b, lsoa in zip(lsoa_rows, geo.lsoas, strict=False) if lsoa.ward == ward]
        sums = [sum(m[i] for m in members) for i in range(4, 4 + len(BANDS))]
        ward_rows.append((2021, ward.name, ward.code, sum(sums), *sums))
    return [write_delivery(ctx, CONTRACT, "census2021-ts007a-lsoa.csv", lsoa_rows),
            write_delivery(ctx, CONTRACT, "census2021-ts007a-ward.csv", ward_rows)]
