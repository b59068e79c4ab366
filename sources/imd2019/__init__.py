"""English Indices of Deprivation 2019, File 7 (scores, ranks, deciles), by LSOA (2011)."""

from sources.imd2019.contract import CONTRACT
from sources.imd2019.sample import generate

__all__ = ["CONTRACT", "generate"]
