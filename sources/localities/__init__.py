"""Council-defined localities: which locality each ward belongs to (maintained by the Policy Team)."""

from sources.localities.contract import CONTRACT
from sources.localities.sample import generate

__all__ = ["CONTRACT", "generate"]
