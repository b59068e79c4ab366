"""The check-plan-do trials register: trials of new system designs and other recorded system changes."""

from sources.trials_register.contract import CONTRACT
from sources.trials_register.sample import generate

__all__ = ["CONTRACT", "generate"]
