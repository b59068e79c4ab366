"""Teams' monthly performance returns: commentary and manager sign-off per measure and period, and the values
of measures no system records (seed section 7, Roles, Responsibilities & Ownership)."""

from sources.performance_returns.contract import CONTRACT
from sources.performance_returns.sample import generate

__all__ = ["CONTRACT", "generate"]
