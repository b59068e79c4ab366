"""ONS best-fit lookup: LSOA (2021) -> electoral ward -> local authority district, for England and Wales."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import LSOA, TEXT

WARD_YEARS = ("22", "23", "24", "25")  # ONS renames ward columns every release


CONTRACT = SourceContract(
    name="ons_lookup",
    title="LSOA to ward to local authority lookup (ONS)",
    kind="reference",
    provider="Office for National Statistics (Open Geography Portal)",
    system="ONS lookup download",
    format="csv",
    file_glob="LSOA21_WD*_LAD*_EW_LU*.csv",
    columns=(
        Column("LSOA21CD", aliases=("LSOA11CD",)),
        Column("LSOA21NM", aliases=("LSOA11NM",)),
        Column("WD24CD", aliases=tuple(f"WD{y}CD" for y in WARD_YEARS)),
        Column("WD24NM", aliases=tuple(f"WD{y}NM" for y in WARD_YEARS)),
        Column("LAD24CD", aliases=tuple(f"LAD{y}CD" for y in WARD_YEARS)),
        Column("LAD24NM", aliases=tuple(f"LAD{y}NM" for y in WARD_YEARS)),
        Column("ObjectId", required=False),
    ),
    cadence=Cadence("annual"),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="Matched by column name, so the 2023, 2024 and 2025 releases all load.",
    staged={
        "lsoa_code": Field("string", False, pattern=LSOA),
        "lsoa_name": TEXT,
        "ward_code": Field("string", False, pattern=r"[EW]05\d{6}"),
        "ward_name": TEXT,
        "lad_code": Field("string", False, pattern=r"[EW]0[6-9]\d{6}"),
    },
    key=("lsoa_code",),
    formula_screened=("lsoa_name", "ward_name"),
)
