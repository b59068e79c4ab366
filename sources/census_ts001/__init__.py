"""ONS Census 2021 TS001: number of usual residents, by LSOA and by ward (bulk CSV download)."""

from sources.census_ts001.contract import CONTRACT
from sources.census_ts001.sample import generate

__all__ = ["CONTRACT", "generate"]
