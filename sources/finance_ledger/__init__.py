"""General ledger actuals: net spending per cost centre, account and month, as the finance system exports it."""

from sources.finance_ledger.contract import CONTRACT
from sources.finance_ledger.sample import generate

__all__ = ["CONTRACT", "generate"]
