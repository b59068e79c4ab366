"""The council's Local Land and Property Gazetteer (LLPG): every address by UPRN, with ward and LSOA."""

from sources.llpg.contract import CONTRACT
from sources.llpg.sample import generate

__all__ = ["CONTRACT", "generate"]
