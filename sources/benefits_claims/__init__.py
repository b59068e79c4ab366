"""Housing Benefit and Council Tax Reduction: claims and changes decided in the month (CSV, Windows-1252)."""

from sources.benefits_claims.contract import CONTRACT
from sources.benefits_claims.sample import generate

__all__ = ["CONTRACT", "generate"]
