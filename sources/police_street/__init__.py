"""police.uk street-level crime: West Mercia Police's monthly file (the exact public format)."""

from sources.police_street.contract import CONTRACT
from sources.police_street.sample import generate

__all__ = ["CONTRACT", "generate"]
