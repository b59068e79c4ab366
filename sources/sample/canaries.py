"""Canaries: distinctive fake personal values the bundled sample plants in the first record of every delivery,
in each personal column that staging does not read (so no measure changes). Whatever a person other than the
operator can open (the published copy, Dagster's storage, the outputs, logs) must never contain one; the
privacy test (tests/test_canaries.py) scans for them, and for any phone or NI number of the sample's ranges."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from sources.contract import SourceContract

CANARY_NAME = "Quillfeather Canary"
CANARY_TEXT = "Quillfeather canary note: never beyond the working warehouse"
CANARY_DATE_OF_BIRTH = "29/02/1904"
CANARY_PHONE = "07700 900999"   # Ofcom's drama range, as every sample phone number
CANARY_NI_NUMBER = "QQ999999D"  # QQ: the prefix reserved for examples, as every sample NI number

# What a scan looks for: the planted values, and every phone and NI number the sample generates at all.
PATTERNS = {
    "canary name or note": re.compile(r"(?i:quillfeather)"),  # a scoped flag: DuckDB's RE2 reads it the same way
    "date of birth": re.compile(re.escape(CANARY_DATE_OF_BIRTH)),
    "phone number": re.compile(r"07700 ?900\d{3}"),
    "NI number": re.compile(r"QQ\d{6}[A-D]"),
}


def canary_for(column: str) -> str:
    """The canary planted in a personal column, by what the column holds."""
    lowered = column.lower()
    if "name" in lowered:
        return CANARY_NAME
    if "phone" in lowered:
        return CANARY_PHONE
    if "ni number" in lowered:
        return CANARY_NI_NUMBER
    if "birth" in lowered:
        return CANARY_DATE_OF_BIRTH
    return CANARY_TEXT


_PLANTED: dict[str, dict[int, str]] = {}  # per source: its staging SQL is read once, not once per delivery


def _planted(contract: SourceContract) -> dict[int, str]:
    """Column index -> canary, for the personal columns the staging SQL never reads."""
    if contract.name not in _PLANTED:
        staging = contract.staging_sql() if contract.staging_sql_path.exists() else ""
        _PLANTED[contract.name] = {i: canary_for(c.name) for i, c in enumerate(contract.columns)
                                   if c.data_class == "personal" and f'"{c.name}"' not in staging}
    return _PLANTED[contract.name]


def plant(contract: SourceContract, rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
    """`rows` with canaries in the first row's personal columns that the staging SQL never reads."""
    planted = _planted(contract)
    for number, row in enumerate(rows):
        yield [planted.get(i, value) for i, value in enumerate(row)] if number == 0 and planted else row


def find(text: str) -> list[str]:
    """What of `text` looks like a canary or a sample phone / NI number: 'kind: match' for each."""
    return [f"{kind}: {m.group(0)}" for kind, pattern in PATTERNS.items() for m in pattern.finditer(text)]
