"""ONS best-fit lookup: LSOA (2021) -> electoral ward -> local authority district, for England and Wales."""

from sources.ons_lookup.contract import CONTRACT
from sources.ons_lookup.sample import generate

__all__ = ["CONTRACT", "generate"]
