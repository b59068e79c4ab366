"""Council-defined localities: which locality each ward belongs to (maintained by the Policy Team)."""

from __future__ import annotations

from pathlib import Path

from sources.localities.contract import CONTRACT
from sources.sample import SampleContext, write_delivery


def generate(ctx: SampleContext) -> list[Path]:
    rows = [(w.code, w.name, w.locality) for w in ctx.geography.wards]
    return [write_delivery(ctx, CONTRACT, "localities.csv", rows)]
