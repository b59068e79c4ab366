"""Housing association lettings return: homes let in the month (CSV from the stock-transfer association)."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import DATE, KEY, LSOA_CODE, REQUIRED_DATE, TEXT, WARD_CODE

CONTRACT = SourceContract(
    name="lettings",
    title="Housing association lettings",
    kind="partner",
    provider="Bromsgrove District Housing Trust (sample partner)",
    system="Housing association lettings return",
    format="csv",
    file_glob="lettings_return_*.csv",
    columns=(
        Column("Letting Ref", data_class="personal"),
        Column("UPRN"),
        Column("Property Type", description="House, Flat, Bungalow, Maisonette"),
        Column("Bedrooms"),
        Column("Void Start Date", description="Previous tenancy ended"),
        Column("Tenancy Start Date"),
        Column("Council Nomination", description="Y if let to a household nominated by the council"),
        Column("Tenant Name", data_class="personal"),
        Column("Tenant Telephone", data_class="personal"),
    ),
    append_only=True,
    cadence=Cadence("monthly", due_day=15),
    owner=Owner(team="housing_strategy", email="housing.strategy@bromsgrove.example"),
    staged={
        "letting_key": KEY,
        "property_type": TEXT,
        "bedrooms": Field("int32", ge=0, le=10),
        "void_start_date": DATE,
        "tenancy_start_date": REQUIRED_DATE,
        "council_nomination": Field("boolean"),
        "uprn": Field("int64", False, ge=1),
        "ward_code": WARD_CODE,
        "lsoa_code": LSOA_CODE,
    },
    key=("letting_key",),
    period_column="tenancy_start_date",
    order=(("void_start_date", "tenancy_start_date"),),
    not_future=("void_start_date", "tenancy_start_date"),
    formula_screened=("property_type",),
)
