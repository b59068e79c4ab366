"""Staged field types that several source contracts share (a gazetteer place, a pseudonymised key, ONS codes)."""

from __future__ import annotations

from sources.contract import Field
from sources.rules import known_value_rule
from warehouse.catalogue import catalogue

WARD = r"E05\d{6}"
LSOA = r"[EW]01\d{6}"
TEXT = Field("string")
KEY = Field("string", nullable=False, data_class="pseudonymised")
UPRN = Field("int64", nullable=True, ge=1)
DATE = Field("date")
REQUIRED_DATE = Field("date", nullable=False)
WARD_CODE = Field("string", pattern=WARD)
LSOA_CODE = Field("string", pattern=LSOA)
PLACE = {"uprn": UPRN, "ward_code": WARD_CODE, "lsoa_code": LSOA_CODE}


def measure_ids() -> tuple[str, ...]:
    return tuple(catalogue().measures)


KNOWN_MEASURE = known_value_rule("measure_id", measure_ids, "a measure in the catalogue (warehouse/catalogue/measures)")
