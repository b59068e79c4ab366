"""Fake personal data, as real extracts carry it (staging must remove it)."""

from __future__ import annotations

import random

FIRST = ["Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Sophie", "Jack", "Harry", "George", "Noah", "Leo",
         "Oliver", "Arthur", "Muhammad", "Siobhan", "Zoë", "Renée", "Gary", "Sandra", "Priya", "Tomasz"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
        "O'Neill", "Kowalski", "Hughes", "Edwards", "Green", "Hall", "Khan", "Lewis", "Harris", "Clarke"]


def full_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def phone(rng: random.Random) -> str:
    """A UK mobile in Ofcom's drama range (07700 900000-900999): never a real subscriber."""
    return f"07700 900{rng.randint(0, 999):03d}"


def ni_number(rng: random.Random) -> str:
    return f"QQ{rng.randint(0, 999999):06d}{rng.choice('ABCD')}"  # QQ: the prefix reserved for examples
