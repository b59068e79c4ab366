"""Housing options / homelessness casework system: cases closed in the month (XLSX report)."""

from sources.housing_options.contract import CONTRACT
from sources.housing_options.sample import generate

__all__ = ["CONTRACT", "generate"]
