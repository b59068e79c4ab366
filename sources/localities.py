"""Council-defined localities: which locality each ward belongs to (maintained by the Policy Team)."""

from __future__ import annotations

from pathlib import Path

from sources.contract import COMPLETE, Cadence, Column, Owner, SourceContract
from sources.sample import SampleContext, write_delivery

CONTRACT = SourceContract(
    name="localities",
    title="Localities (groups of wards)",
    kind="reference",
    thresholds=COMPLETE,
    provider="Bromsgrove District Council, Policy Team",
    system="Policy Team spreadsheet",
    format="csv",
    file_glob="localities*.csv",
    columns=(
        Column("Ward Code", description="ONS ward code (E05...)"),
        Column("Ward Name"),
        Column("Locality", description="Council-defined locality the ward belongs to"),
    ),
    cadence=Cadence("ad hoc"),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="The council's localities, used to group ward figures for locality working.",
)


def generate(ctx: SampleContext) -> list[Path]:
    rows = [(w.code, w.name, w.locality) for w in ctx.geography.wards]
    return [write_delivery(ctx, CONTRACT, "localities.csv", rows)]
