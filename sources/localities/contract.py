"""Council-defined localities: which locality each ward belongs to (maintained by the Policy Team)."""

from __future__ import annotations

from sources.contract import COMPLETE, Cadence, Column, Field, Owner, SourceContract
from sources.fields import TEXT, WARD

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
    staged={
        "ward_code": Field("string", False, pattern=WARD),
        "ward_name": TEXT,
        "locality_name": Field("string", False),
        "locality_code": Field("string", False),
    },
    key=("ward_code",),
    formula_screened=("ward_name", "locality_name"),
)
