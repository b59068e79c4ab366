"""The council's Local Land and Property Gazetteer (LLPG): every address by UPRN, with ward and LSOA."""

from __future__ import annotations

from pathlib import Path

from sources.contract import Cadence, Column, Owner, SourceContract
from sources.sample import SampleContext, write_delivery

CONTRACT = SourceContract(
    name="llpg",
    title="Address gazetteer (LLPG)",
    kind="reference",
    provider="Bromsgrove District Council, Land and Property Gazetteer",
    system="LLPG (gazetteer management system)",
    format="csv",
    file_glob="llpg_*.csv",
    columns=(
        Column("UPRN", "BIGINT", description="Unique Property Reference Number"),
        Column("Address", personal=True, description="Full postal address: dropped in staging"),
        Column("Postcode"),
        Column("Ward Code"),
        Column("LSOA Code"),
        Column("Classification", description="AddressBase class, e.g. RD (residential dwelling)"),
    ),
    cadence=Cadence("monthly", due_day=10),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="Joins address-level service data to wards, LSOAs and localities.",
)


def generate(ctx: SampleContext) -> list[Path]:
    rows = []
    for a in ctx.geography.addresses:
        rows.append((a.uprn, f"{a.line}, Bromsgrove", a.postcode, a.lsoa.ward.code, a.lsoa.code, "RD"))
    return [write_delivery(ctx, CONTRACT, f"llpg_{ctx.end_month:%Y-%m}.csv", rows)]
