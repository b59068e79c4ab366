"""police.uk street-level crime: West Mercia Police's monthly file (the exact public format)."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import LSOA, REQUIRED_DATE, TEXT, WARD

CONTRACT = SourceContract(
    name="police_street",
    title="Street-level crime and anti-social behaviour (police.uk)",
    kind="partner",
    provider="West Mercia Police via data.police.uk",
    system="police.uk monthly street file",
    format="csv",
    file_glob="**/*-west-mercia-street.csv",
    columns=(
        Column("Crime ID", required=True, description="Blank for anti-social behaviour"),
        Column("Month", description="YYYY-MM"),
        Column("Reported by"),
        Column("Falls within"),
        Column("Longitude"),
        Column("Latitude"),
        Column("Location", description="Anonymised 'On or near ...' point, or 'No location'"),
        Column("LSOA code"),
        Column("LSOA name"),
        Column("Crime type"),
        Column("Last outcome category"),
        Column("Context"),
    ),
    append_only=True,
    cadence=Cadence("monthly", due_day=28),
    owner=Owner(team="community_safety", email="community.safety@bromsgrove.example"),
    description="The force-wide file: rows outside Bromsgrove and 'No location' rows are kept out of scope.",
    staged={
        "crime_id": TEXT,
        "month_start": REQUIRED_DATE,
        "crime_type": Field("string", False),
        "is_asb": Field("boolean", False),
        "last_outcome": TEXT,
        "lsoa_code": Field("string", False, pattern=LSOA),
        "ward_code": Field("string", False, pattern=WARD),
    },
    key=("crime_id", "month_start"),
    period_column="month_start",
    not_future=("month_start",),
    formula_screened=("crime_type", "last_outcome"),
)
