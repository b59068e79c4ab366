"""The council's Local Land and Property Gazetteer (LLPG): every address by UPRN, with ward and LSOA."""

from __future__ import annotations

from pathlib import Path

from sources.llpg.contract import CONTRACT
from sources.sample import SampleContext, write_delivery


def generate(ctx: SampleContext) -> list[Path]:
    rows = []
    town = ctx.geography.council.name
    for a in ctx.geography.addresses:
        rows.append((a.uprn, f"{a.line}, {town}", a.postcode, a.lsoa.ward.code, a.lsoa.code, "RD"))
    return [write_delivery(ctx, CONTRACT, f"llpg_{ctx.end_month:%Y-%m}.csv", rows)]
