"""The Corporate Management Team's focus list: the measures each Cabinet (bi-monthly) and Overview and Scrutiny
(quarterly) report highlights beside the standard key organisational measures (seed section 8)."""

from sources.focus_measures.contract import CONTRACT
from sources.focus_measures.sample import generate

__all__ = ["CONTRACT", "generate"]
