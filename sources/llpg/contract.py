"""The council's Local Land and Property Gazetteer (LLPG): every address by UPRN, with ward and LSOA."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import LSOA, TEXT, WARD

CONTRACT = SourceContract(
    name="llpg",
    title="Address gazetteer (LLPG)",
    kind="reference",
    provider="Bromsgrove District Council, Land and Property Gazetteer",
    system="LLPG (gazetteer management system)",
    format="csv",
    file_glob="llpg_*.csv",
    columns=(
        Column("UPRN", description="Unique Property Reference Number"),
        Column("Address", data_class="personal", description="Full postal address: dropped in staging"),
        Column("Postcode"),
        Column("Ward Code"),
        Column("LSOA Code"),
        Column("Classification", description="AddressBase class, e.g. RD (residential dwelling)"),
    ),
    cadence=Cadence("monthly", due_day=10),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="Joins address-level service data to wards, LSOAs and localities.",
    staged={
        "uprn": Field("int64", False, ge=1),
        "postcode": TEXT,
        "ward_code": Field("string", False, pattern=WARD),
        "lsoa_code": Field("string", False, pattern=LSOA),
        "classification": TEXT,
    },
    key=("uprn",),
    key_scope="each file",
)
