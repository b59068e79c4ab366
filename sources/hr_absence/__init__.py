"""HR sickness absence: working days lost per employee per month, with FTE (CSV, Windows-1252)."""

from sources.hr_absence.contract import CONTRACT
from sources.hr_absence.sample import generate

__all__ = ["CONTRACT", "generate"]
