"""The measure catalogue: purposes, teams and one YAML file per measure (definition, owner and SQL)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_DIR = Path(__file__).parent
AGGREGATIONS = ("sum", "ratio", "per_population", "median")
MEASURE_CLASSES = ("aggregate", "special_category")
BREAKDOWNS = ("district", "locality", "ward", "team")
IMPROVEMENT = ("up", "down", "neutral")
LEVELS = ("strategic", "operational")
FREQUENCIES = {"monthly": "month", "quarterly": "quarter", "annual": "year"}


class CatalogueError(ValueError):
    """A catalogue entry that is incomplete or inconsistent; the message names the file."""


@dataclass(frozen=True)
class Purpose:
    id: str
    title: str
    owner: str


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    service_area: str
    email: str
    hr_team_name: str | None = None


@dataclass(frozen=True)
class Service:
    """A service customers contact us about, its team, and the ledger cost centres that deliver it."""

    service: str
    team: str
    cost_centres: tuple[str, ...] = ()


DEFAULT_MAX_LAG_DAYS = {"monthly": 45, "quarterly": 100, "annual": 400}
UNIT_RANGES = {"percent": (0.0, 100.0)}  # any other unit: not negative, no upper bound


@dataclass(frozen=True)
class Rebase:
    """A recorded change of definition (or a check-plan-do system change) from `start`."""

    start: str
    definition: str | None
    reason: str


@dataclass(frozen=True)
class QualityRules:
    """Per-measure thresholds for the six criteria (catalogue key `quality:`; all optional)."""

    max_lag_days: int = 45           # timely: days from period end to load before WARN
    grace_days: int = 30             # timely: further days before FAIL
    volume_tolerance: float = 0.5    # reliable: latest volume may differ from the usual by this share
    history_periods: int = 12        # reliable: how many earlier periods make "the usual"
    min_volume: int = 20             # reliable: below this many records a period is too small to judge
    allow_gaps: bool = False         # timely: periods may legitimately have no value (e.g. no cases at all)
    min_value: float = 0.0           # accurate: allowed value range
    max_value: float | None = None
    unallocated_share: float = 0.25  # accurate: share of the district total with no ward before WARN


@dataclass(frozen=True)
class SpcRules:
    """Per-measure SPC settings (catalogue key `spc:`; all optional)."""

    baseline_points: int | None = None  # fix each segment's mean and limits to its first N points
    min_points: int = 12                # an area's series needs this many points to get a chart


MANUAL_SOURCE = "core.manual_values"  # a measure whose only source is this is entered by officers in returns


@dataclass(frozen=True)
class Measure:
    """One catalogue entry. `sql` returns observations; `warehouse.measure_sql` aggregates them."""

    id: str
    title: str
    definition: str
    purpose: str
    level: str
    team: str
    owner_name: str
    owner_email: str
    unit: str
    improvement: str
    frequency: str
    numerator: str
    denominator: str | None
    aggregation: str
    breakdowns: tuple[str, ...]
    source_tables: tuple[str, ...]
    sql: str
    scale: float = 1.0
    public: bool = True
    quality: QualityRules = QualityRules()
    rebases: tuple[Rebase, ...] = ()
    target: float | None = None  # for the SPC assurance icon; the strategy prefers capability to targets
    spc: SpcRules = SpcRules()
    renamed_from: tuple[str, ...] = ()  # earlier ids of this measure, whose history it keeps (warehouse/renames.py)
    # special_category: its figures below the whole council are health data about small groups (e.g. sickness
    # by team): kept out of the BI copy (warehouse/classification.py)
    data_class: str = "aggregate"
    path: Path | None = None

    @property
    def is_manual(self) -> bool:
        """True when officers submit the values themselves in their team's return (no system source)."""
        return self.source_tables == (MANUAL_SOURCE,)


@dataclass(frozen=True)
class Catalogue:
    purposes: dict[str, Purpose]
    teams: dict[str, Team]
    measures: dict[str, Measure]
    services: dict[str, Service]

    @property
    def renames(self) -> dict[str, str]:
        """Every former measure id -> the id the measure has now."""
        return {former: m.id for m in self.measures.values() for former in m.renamed_from}


def _required(entry: dict[str, Any], key: str, path: Path) -> Any:
    value = entry.get(key)
    if value in (None, "", []):
        raise CatalogueError(f"{path}: '{key}' is required")
    return value


def _one_of(value: str, allowed: tuple[str, ...] | dict, key: str, path: Path) -> str:
    if value not in allowed:
        raise CatalogueError(f"{path}: {key} {value!r} is not one of {list(allowed)}")
    return value


def parse_measure(path: Path, purposes: dict[str, Purpose], teams: dict[str, Team]) -> Measure:
    """Read and validate one measure file."""
    entry = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    measure_id = _required(entry, "id", path)
    if measure_id != path.stem:
        raise CatalogueError(f"{path}: id {measure_id!r} must match the file name {path.stem!r}")
    if not MEASURE_ID.fullmatch(str(measure_id)):  # it names files and folders of the outputs
        raise CatalogueError(f"{path}: id {measure_id!r} must be lower case letters, digits and _")
    owner = _required(entry, "owner", path)
    aggregation = _one_of(_required(entry, "aggregation", path), AGGREGATIONS, "aggregation", path)
    if aggregation in ("ratio", "per_population") and not entry.get("denominator"):
        raise CatalogueError(f"{path}: a {aggregation} measure needs a 'denominator' description")
    breakdowns = tuple(entry.get("breakdowns") or ["district"])
    for b in breakdowns:
        _one_of(b, BREAKDOWNS, "breakdown", path)
    if "district" not in breakdowns:
        raise CatalogueError(f"{path}: breakdowns must include 'district' (the council-wide figure)")
    return Measure(
        id=measure_id,
        title=_required(entry, "title", path),
        definition=" ".join(str(_required(entry, "definition", path)).split()),
        purpose=_one_of(_required(entry, "purpose", path), purposes, "purpose", path),
        level=_one_of(_required(entry, "level", path), LEVELS, "level", path),
        team=_one_of(_required(entry, "team", path), teams, "team", path),
        owner_name=_required(owner, "name", path),
        owner_email=_required(owner, "email", path),
        unit=_required(entry, "unit", path),
        improvement=_one_of(_required(entry, "improvement", path), IMPROVEMENT, "improvement", path),
        frequency=_one_of(entry.get("frequency", "monthly"), FREQUENCIES, "frequency", path),
        numerator=_required(entry, "numerator", path),
        denominator=entry.get("denominator"),
        aggregation=aggregation,
        breakdowns=breakdowns,
        source_tables=tuple(_required(entry, "source_tables", path)),
        sql=_required(entry, "sql", path).strip().rstrip(";"),
        scale=float(entry.get("scale", 1)),
        public=bool(entry.get("public", True)),
        quality=_quality(entry, entry["unit"], entry.get("frequency", "monthly"), path),
        rebases=_rebases(entry, path),
        target=None if entry.get("target") is None else float(entry["target"]),
        spc=_settings(SpcRules, entry, "spc", path),
        renamed_from=_renamed_from(entry, measure_id, path),
        data_class=_one_of(entry.get("data_class", "aggregate"), MEASURE_CLASSES, "data_class", path),
        path=path,
    )


def _settings(kind: type, entry: dict[str, Any], key: str, path: Path) -> Any:
    given = entry.get(key) or {}
    unknown = set(given) - set(kind.__dataclass_fields__)
    if unknown:
        raise CatalogueError(f"{path}: unknown {key} setting(s) {sorted(unknown)}; "
                             f"allowed: {sorted(kind.__dataclass_fields__)}")
    return kind(**given)


def _quality(entry: dict[str, Any], unit: str, frequency: str, path: Path) -> QualityRules:
    _settings(QualityRules, entry, "quality", path)  # raises on an unknown key
    low, high = UNIT_RANGES.get(unit, (0.0, None))
    defaults = {"max_lag_days": DEFAULT_MAX_LAG_DAYS[frequency], "min_value": low, "max_value": high}
    return QualityRules(**{**defaults, **(entry.get("quality") or {})})


def _rebases(entry: dict[str, Any], path: Path) -> tuple[Rebase, ...]:
    out = []
    for item in entry.get("rebases") or []:
        if not isinstance(item, dict) or not item.get("from") or not item.get("reason"):
            raise CatalogueError(f"{path}: each rebase needs 'from' (a date) and 'reason'")
        out.append(Rebase(str(item["from"]), item.get("definition"), str(item["reason"])))
    return tuple(out)


MEASURE_ID = re.compile(r"[a-z][a-z0-9_]*")


def _renamed_from(entry: dict[str, Any], measure_id: str, path: Path) -> tuple[str, ...]:
    former = entry.get("renamed_from") or []
    if not isinstance(former, list) or not all(isinstance(f, str) and MEASURE_ID.fullmatch(f) for f in former):
        raise CatalogueError(f"{path}: renamed_from must be a list of earlier measure ids (lower case, digits, _)")
    if measure_id in former:
        raise CatalogueError(f"{path}: renamed_from names the measure's own id {measure_id!r}")
    return tuple(former)


def _check_renames(measures: dict[str, Measure]) -> None:
    """A former id belongs to one measure and is no longer any measure's id (history would merge)."""
    seen: dict[str, str] = {}
    for measure in measures.values():
        for former in measure.renamed_from:
            if former in measures:
                raise CatalogueError(f"{measure.path}: renamed_from {former!r} is still the id of "
                                     f"{measures[former].path}")
            if former in seen:
                raise CatalogueError(f"{measure.path}: renamed_from {former!r} is also claimed by {seen[former]}")
            seen[former] = str(measure.path)


def load_catalogue(directory: Path = CATALOGUE_DIR) -> Catalogue:
    """Load and validate the whole catalogue. Raises CatalogueError naming the first bad file."""
    purposes = {p["id"]: Purpose(**p) for p in yaml.safe_load((directory / "purposes.yaml").read_text())}
    teams = {t["id"]: Team(**t) for t in yaml.safe_load((directory / "teams.yaml").read_text())}
    if bad := [t for t in teams if not MEASURE_ID.fullmatch(str(t))]:  # team ids name the return templates
        raise CatalogueError(f"{directory / 'teams.yaml'}: team id(s) {bad} must be lower case letters, digits and _")
    services = {}
    for entry in yaml.safe_load((directory / "services.yaml").read_text()):
        service = Service(entry["service"], entry["team"], tuple(entry.get("cost_centres") or ()))
        _one_of(service.team, teams, "team", directory / "services.yaml")
        services[service.service] = service
    mapped = [c for s in services.values() for c in s.cost_centres]
    if len(mapped) != len(set(mapped)):
        raise CatalogueError(f"{directory / 'services.yaml'}: a cost centre is mapped to more than one service")
    measures = {}
    for path in sorted((directory / "measures").glob("*.yaml")):
        measure = parse_measure(path, purposes, teams)
        measures[measure.id] = measure
    _check_renames(measures)
    return Catalogue(purposes=purposes, teams=teams, measures=measures, services=services)


@cache
def catalogue() -> Catalogue:
    """The project's catalogue, loaded once per process."""
    return load_catalogue()


@cache
def catalogue_text(directory: Path = CATALOGUE_DIR) -> str:
    """Every catalogue file's text, in a fixed order: what the catalogue dimensions are built from (read once
    per process, like `catalogue()`)."""
    return "\n".join(f"{p.relative_to(directory)}\n{p.read_text(encoding='utf-8')}"
                     for p in sorted(directory.rglob("*.yaml")))
