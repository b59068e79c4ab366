"""ONS Census 2021 TS007A: usual residents by five-year age band, by LSOA and by ward."""

from sources.census_ts007a.contract import CONTRACT
from sources.census_ts007a.sample import generate

__all__ = ["CONTRACT", "generate"]
