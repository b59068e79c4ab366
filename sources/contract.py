"""What a source promises, declared once: its files and landing columns, its staged fields and their rules,
its cadence, its owner and the data class of every column.

Each source declares one `SourceContract` in `sources/<name>/contract.py`. The raw loader reads the landing
columns; the staging SQL (`sources/<name>/staging.sql`) produces the staged fields; `sources/rules.py`
generates the pandera schema and the row rules from the same declaration.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from warehouse.council import load_council

if TYPE_CHECKING:
    import ibis

Format = Literal["csv", "xlsx"]
Kind = Literal["service", "partner", "reference"]
# Who may see a column's values: `personal` identifies a person (names, phone numbers, free text about them);
# `special_category` is personal data about health (UK GDPR art. 9); `pseudonymised` is a keyed hash of an
# identifier; `aggregate` is a count or sum over several records; `public` is published or reference data.
DataClass = Literal["personal", "special_category", "pseudonymised", "aggregate", "public"]


def snake(name: str) -> str:
    """Column name as staging spells it: 'Contact Ref' -> 'contact_ref'."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def normalise_header(name: str) -> str:
    """Header as compared when matching delivered columns to the contract (case, spacing, BOM)."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "")).strip().lower()


@dataclass(frozen=True)
class Column:
    """One delivered (landing) column. Raw keeps every value as delivered text; its staged type is the
    `Field` the staging SQL makes of it."""

    name: str
    required: bool = True
    data_class: DataClass = "public"
    description: str = ""
    aliases: tuple[str, ...] = ()  # other spellings seen in real deliveries (e.g. WD23CD for WD24CD)

    def matches(self, delivered: str) -> bool:
        wanted = {normalise_header(n) for n in (self.name, *self.aliases)}
        return normalise_header(delivered) in wanted


@dataclass(frozen=True)
class Field:
    """A staged column: its ibis type, whether it may be blank, its allowed values and its data class."""

    dtype: str  # ibis type name: string, int64, int32, float64, boolean, date, timestamp(6)
    nullable: bool = True
    isin: tuple[str, ...] | None = None
    ge: float | None = None
    le: float | None = None
    pattern: str | None = None  # a regular expression the whole value must match
    data_class: DataClass = "public"


@dataclass(frozen=True)
class RowRule:
    """One row-level rule beyond those generated from the declaration. `passes(table)` is an ibis boolean
    column (true = the row is fine); `reason(table)` an ibis string column saying what is wrong."""

    name: str
    criterion: str
    passes: Callable[[ibis.Table], ibis.Column] = field(repr=False, compare=False)
    reason: Callable[[ibis.Table], ibis.Column] = field(repr=False, compare=False)


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
    """The declared contract of one landing source (see the module docstring).

    Staged rules, each generated as a pandera check by `sources/rules.py`: `key` must be unique across every
    delivery (or within each file, by `key_scope`); `period_column` must fall in the month named in the
    delivery's file name; each (earlier, later) pair in `order` must not be reversed; `not_future` columns
    must not be after the night the file was delivered; `formula_screened` text columns must not hold
    spreadsheet formulas; `extra_rules` are any further row rules."""

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
    staged: dict[str, Field] = field(default_factory=dict)
    key: tuple[str, ...] = ()
    key_scope: Literal["all deliveries", "each file"] = "all deliveries"
    period_column: str | None = None
    order: tuple[tuple[str, str], ...] = ()
    not_future: tuple[str, ...] = ()
    formula_screened: tuple[str, ...] = ()
    extra_rules: tuple[RowRule, ...] = ()

    @property
    def grace_days(self) -> int:
        """Days after the due day before a missing file is an ERROR: the serving council's own (its profile's
        `thresholds.sources`), else the contract's."""
        own = load_council().thresholds.sources.get(self.name)
        return own.grace_days if own and own.grace_days is not None else self.cadence.grace_days

    @property
    def volume_tolerance(self) -> float:
        """The share a delivery's row count may differ from the usual: the serving council's own, else the
        contract's."""
        own = load_council().thresholds.sources.get(self.name)
        return own.volume_tolerance if own and own.volume_tolerance is not None else self.thresholds.volume_tolerance

    @property
    def header(self) -> list[str]:
        """Column names in the order the sample generator writes them."""
        return [c.name for c in self.columns]

    @property
    def personal_columns(self) -> list[str]:
        """Landing columns that identify a person: staging drops them or keeps only a pseudonymised key."""
        return [c.name for c in self.columns if c.data_class == "personal"]

    @property
    def unique_across_deliveries(self) -> tuple[str, ...]:
        """The key that no later delivery may repeat (empty when keys are unique within each file only)."""
        return self.key if self.key_scope == "all deliveries" else ()

    @property
    def folder(self) -> Path:
        """sources/<name>/: this contract, its staging SQL and its sample generator."""
        return Path(__file__).with_name(self.name)

    @property
    def staging_sql_path(self) -> Path:
        return self.folder / "staging.sql"

    def staging_sql(self) -> str:
        return self.staging_sql_path.read_text(encoding="utf-8")
