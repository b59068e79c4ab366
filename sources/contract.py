"""What a source promises: its files, format, columns, cadence, owner and personal data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Format = Literal["csv", "xlsx"]
Kind = Literal["service", "partner", "reference"]


def snake(name: str) -> str:
    """Column name as staging spells it: 'Contact Ref' -> 'contact_ref'."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def normalise_header(name: str) -> str:
    """Header as compared when matching delivered columns to the contract (case, spacing, BOM)."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "")).strip().lower()


@dataclass(frozen=True)
class Column:
    """One delivered column. `type` is the staged type; raw keeps every value as delivered text."""

    name: str
    type: str = "VARCHAR"
    required: bool = True
    personal: bool = False
    description: str = ""
    aliases: tuple[str, ...] = ()  # other spellings seen in real deliveries (e.g. WD23CD for WD24CD)

    def matches(self, delivered: str) -> bool:
        wanted = {normalise_header(n) for n in (self.name, *self.aliases)}
        return normalise_header(delivered) in wanted


@dataclass(frozen=True)
class Cadence:
    """How often files arrive: `monthly` files are due by `due_day` of the following month."""

    frequency: Literal["daily", "monthly", "quarterly", "annual", "ad hoc"]
    due_day: int | None = None
    grace_days: int = 14  # days after the due day before a missing file is an error, not a warning


@dataclass(frozen=True)
class Thresholds:
    """How much doubt a source's checks tolerate before they warn or fail."""

    volume_tolerance: float = 0.5       # reliable: a delivery may differ from the usual row count by this share
    history_deliveries: int = 12        # reliable: how many earlier deliveries make "the usual"
    min_volume: int = 20                # reliable: deliveries usually smaller than this are not judged by size
    max_quarantine_share: float = 0.05  # accurate: a file with more bad rows than this fails (any at all warns)
    min_rows_for_share: int = 20        # accurate: smaller files only warn (one slip in five rows is not systemic)


# Reference data that covers the district area by area (the Census, deprivation, the localities): one bad row
# leaves an area out and every total that adds areas up wrong, so any quarantined row fails `accurate` and the
# source is held back at its last good delivery.
COMPLETE = Thresholds(max_quarantine_share=0.0, min_rows_for_share=1)


@dataclass(frozen=True)
class Owner:
    team: str  # team id from the catalogue's teams.yaml
    email: str


@dataclass(frozen=True)
class SourceContract:
    """The declared contract of one landing source. Staging SQL lives beside it as <name>.sql."""

    name: str
    title: str
    kind: Kind
    provider: str
    system: str
    format: Format
    file_glob: str
    columns: tuple[Column, ...]
    cadence: Cadence
    owner: Owner
    description: str = ""
    encoding: str = "utf-8"
    sheet: str | None = None  # XLSX: sheet name (first sheet when None)
    thresholds: Thresholds = Thresholds()
    # Every delivery adds new records (a month's contacts, crimes, closed cases) and never restates earlier
    # ones except as a corrected delivery: staging can add a new file's rows instead of re-staging them all.
    append_only: bool = False
    # Its staging SQL can make several rows from one delivered line (an unpivot of columns into rows).
    several_rows_per_line: bool = False

    @property
    def header(self) -> list[str]:
        """Column names in the order the sample generator writes them."""
        return [c.name for c in self.columns]

    @property
    def personal_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.personal]

    @property
    def staging_sql_path(self) -> Path:
        return Path(__file__).with_name(f"{self.name}.sql")

    def staging_sql(self) -> str:
        return self.staging_sql_path.read_text(encoding="utf-8")
