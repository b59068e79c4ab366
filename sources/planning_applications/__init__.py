"""Planning applications decided in the month (CSV export from the planning system)."""

from sources.planning_applications.contract import CONTRACT
from sources.planning_applications.sample import generate

__all__ = ["CONTRACT", "generate"]
