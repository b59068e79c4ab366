"""Council profiles: everything that names a council comes from `councils/<id>.yaml`.

One deployment can serve several councils (README "Running several councils"); each run is one council's, chosen
by BDC_COUNCIL (default `bromsgrove`). Profiles are read from BDC_COUNCILS_DIR (default the repository's
`councils/`) when a run asks for them, never at import time.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COUNCIL = "bromsgrove"
_ID = re.compile(r"^[a-z][a-z0-9_]{1,30}$")  # a council id names schemas, folders and Dagster tags


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class County(_Strict):
    code: str = Field(pattern=r"^E10\d{6}$")
    name: str


class SampleGeography(_Strict):
    """The bundled sample's made-up geography for this council (real ward names, SAMPLE codes)."""

    seed: int
    ward_code_base: int = Field(ge=0, le=999_000)  # ward codes E05<6 digits>, from this number up
    lsoa_code_base: int = Field(ge=0, le=999_000)  # LSOA codes E01<6 digits>
    uprn_base: int = Field(gt=0)
    postcode_districts: list[str] = Field(min_length=1)
    localities: dict[str, list[str]] = Field(min_length=1)
    neighbours: dict[str, str]
    neighbour_lsoa_base: int = Field(ge=0, le=999_000)
    leisure_sites: dict[str, str] = Field(min_length=1)


NATIONAL_SUPPRESS_BELOW = 5  # no council publishes a count of 1 to 4 below the district (warehouse/disclosure.py)


class SourceLimits(_Strict):
    """One source's checks as this council sets them, over its contract's (sources/<name>/contract.py)."""

    grace_days: int | None = Field(default=None, ge=0, le=90)  # timely: days after the due day before ERROR
    volume_tolerance: float | None = Field(default=None, gt=0, le=10)  # reliable: share a delivery may differ by


class Thresholds(_Strict):
    """The council's own thresholds; unset, the catalogue's and the contracts' apply."""

    public_suppress_below: int = Field(default=NATIONAL_SUPPRESS_BELOW, ge=NATIONAL_SUPPRESS_BELOW, le=100)
    sources: dict[str, SourceLimits] = Field(default_factory=dict)  # by source name


class Council(_Strict):
    """One council's profile."""

    id: str
    name: str  # the district's name, as in "Bromsgrove District" and "outside Bromsgrove"
    area_name: str  # the whole area, as in "Bromsgrove District"
    council_name: str  # the publisher, as on reports and open data
    lad_code: str = Field(pattern=r"^E0[6-9]\d{6}$")
    county: County
    police_force: str
    email_domain: str  # mailboxes in the catalogue are written for the default council and moved to this domain
    service_name: str  # the public site's name
    sharing_agreements: str | None = None  # its agreements file, relative to the profiles' folder (default: the
    #                                        catalogue's warehouse/catalogue/sharing_agreements.yaml)
    sample: SampleGeography
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @field_validator("id")
    @classmethod
    def _id_is_a_name(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("a council id is 2-31 lower-case letters, digits or _, starting with a letter")
        return value

    @model_validator(mode="after")
    def _not_its_own_neighbour(self) -> Council:
        if self.lad_code in self.sample.neighbours:
            raise ValueError(f"sample.neighbours lists the council's own LAD code {self.lad_code}: its rows would "
                             "count as in the district without a ward")
        return self

    def named(self, text: str) -> str:
        """A text written for the default council (a source's provider: "Bromsgrove District Council, Planning",
        "West Mercia Police via data.police.uk") naming this council and its police force instead."""
        return text.replace(DEFAULT_COUNCIL_NAME, self.council_name).replace(DEFAULT_POLICE_FORCE, self.police_force)

    def mailbox(self, address: str) -> str:
        """A catalogue mailbox (`team@bromsgrove.example`) at this council's email domain."""
        local, _, domain = address.partition("@")
        return f"{local}@{self.email_domain}" if domain == DEFAULT_EMAIL_DOMAIN else address


DEFAULT_EMAIL_DOMAIN = "bromsgrove.example"  # the domain the catalogue and contracts are written with
DEFAULT_COUNCIL_NAME = "Bromsgrove District Council"  # the source contracts' providers are written with these
DEFAULT_POLICE_FORCE = "West Mercia Police"


_RUN_COUNCIL: list[str] = []  # the council a run's settings resource names, while the run lasts


@contextmanager
def serving(council_id: str) -> Iterator[None]:
    """Within the block, `load_council()` is `council_id`'s profile (a run configured for one council)."""
    load_council(council_id)  # an unknown id fails here, before anything runs
    _RUN_COUNCIL.append(council_id)
    try:
        yield
    finally:
        _RUN_COUNCIL.pop()


def scope(council_id: str | None) -> AbstractContextManager[None]:
    """`serving(council_id)`, or nothing when None: a shared location's sensor or schedule, which has no run,
    judges and alerts as its council (its profile, thresholds, mailboxes)."""
    return serving(council_id) if council_id else nullcontext()


class UnknownCouncil(ValueError):
    """BDC_COUNCIL names no profile, or a profile does not parse."""


def councils_dir() -> Path:
    value = os.environ.get("BDC_COUNCILS_DIR")
    return Path(value).expanduser().resolve() if value else PROJECT_ROOT / "councils"


def council_ids(folder: Path | None = None) -> list[str]:
    """Every configured council, in id order."""
    return sorted(p.stem for p in (folder or councils_dir()).glob("*.yaml") if _ID.match(p.stem))


def agreements_file(council: Council) -> Path | None:
    """The council's own data-sharing agreements file, if its profile names one."""
    return councils_dir() / council.sharing_agreements if council.sharing_agreements else None


@functools.cache
def _load(path: Path, mtime_ns: int) -> Council:
    try:
        council = Council.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise UnknownCouncil(f"council profile {path} is not valid: {exc}") from exc
    if council.id != path.stem:
        raise UnknownCouncil(f"council profile {path} says id {council.id!r}; the file must be named {council.id}.yaml")
    return council


def load_council(council_id: str | None = None) -> Council:
    """The profile of `council_id` (default: the run's council while `serving` one, else BDC_COUNCIL, else
    bromsgrove)."""
    council_id = council_id or (_RUN_COUNCIL[-1] if _RUN_COUNCIL else None) or os.environ.get("BDC_COUNCIL") \
        or DEFAULT_COUNCIL
    path = councils_dir() / f"{council_id}.yaml"
    if not _ID.match(council_id) or not path.is_file():
        known = ", ".join(council_ids()) or "none"
        raise UnknownCouncil(f"no council profile {path} (BDC_COUNCIL={council_id!r}; configured: {known})")
    return _load(path, path.stat().st_mtime_ns)
