"""Housing association lettings return: homes let in the month (CSV from the stock-transfer association)."""

from sources.lettings.contract import CONTRACT
from sources.lettings.sample import generate

__all__ = ["CONTRACT", "generate"]
