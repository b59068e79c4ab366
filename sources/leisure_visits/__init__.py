"""Leisure provider's monthly visits return, by site and activity (XLSX with title rows)."""

from sources.leisure_visits.contract import CONTRACT
from sources.leisure_visits.sample import generate

__all__ = ["CONTRACT", "generate"]
