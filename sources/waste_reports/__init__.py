"""Street scene reports: missed bin collections and fly-tipping, with when each was put right."""

from sources.waste_reports.contract import CONTRACT
from sources.waste_reports.sample import generate

__all__ = ["CONTRACT", "generate"]
