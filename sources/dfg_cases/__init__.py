"""Disabled facilities grants completed in the month (XLSX report from the home improvement agency)."""

from sources.dfg_cases.contract import CONTRACT
from sources.dfg_cases.sample import generate

__all__ = ["CONTRACT", "generate"]
