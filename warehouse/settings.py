"""Configuration by environment variables, with defaults that run the bundled sample unchanged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import dagster as dg
from pydantic import PrivateAttr

from warehouse import clock
from warehouse.council import DEFAULT_COUNCIL, Council, load_council, serving

PROJECT_ROOT = Path(__file__).resolve().parent.parent

COUNCIL_TAG = "bdc/council"  # every run of a council's jobs carries the council's id
NIGHT_TAG = "bdc/as_of"  # a run's night (YYYY-MM-DD) when its run config sets none: the shared outputs runs'
DEV_PSEUDONYM_KEY = "development-only-key-not-secret"  # public: only the bundled sample may run with it
SAMPLE_MARKER = ".bundled-sample.json"  # in a landing folder that holds the generated bundled sample
DEFAULT_MEMORY_LIMIT = "1GB"  # with Python, Dagster and GX the whole run stays under 2 GiB (see bench/speed.py)
DEFAULT_MAX_TEMP = "20GB"  # spill space for sorts and joins bigger than memory: a clear error, not a full disk


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Resolved paths and secrets for one process. Read with `load_settings()`."""

    data_dir: Path
    landing_dir: Path
    warehouse_path: Path
    published_path: Path
    pseudonym_key: str = field(repr=False)  # a secret: never in a repr, a log or metadata
    alerts_path: Path  # audit.alerts, written by the alert sensors (not the warehouse: one writer there)
    quality_dir: Path  # GX project (stored results) and the Data Docs site
    outputs_dir: Path  # files the warehouse produces for people: return templates (later: reports, site)
    as_of: dt.date     # the day timeliness is judged against (today unless BDC_AS_OF re-runs a past night)
    council: Council   # whose warehouse this is: its profile, councils/<BDC_COUNCIL>.yaml (default bromsgrove)
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT  # the pipeline's DuckDB buffer memory (BDC_DUCKDB_MEMORY_LIMIT)
    duckdb_max_temp: str = DEFAULT_MAX_TEMP  # most the pipeline may spill to <warehouse>.tmp/ (BDC_DUCKDB_MAX_TEMP)
    reports_pdf: bool = True  # render the reports' PDFs too (BDC_REPORTS_PDF=false: HTML only)
    analyst_path: Path | None = None  # the analyst copy (BDC_ANALYST_PATH; BDC_ANALYST_COPY=false: none)
    analyst_group: str | None = None  # the group that may read it (BDC_ANALYST_GROUP; default the run's own)
    analyst_special_category: bool = False  # health data in the analyst copy too (BDC_ANALYST_SPECIAL_CATEGORY)
    # Before every asset key: () in a council's own code location; (council id,) in the shared one, which serves
    # several councils (pipelines/councils_definitions.py), so each council's assets and their history are its own.
    asset_prefix: tuple[str, ...] = ()

    @property
    def logs_dir(self) -> Path:
        """The nightly command's log files, `run-<night>.log` (pruned with the run history)."""
        return self.data_dir / "logs"

    def landing_for(self, source_name: str) -> Path:
        """The drop folder of one source: BDC_LANDING_<SOURCE> or <landing_dir>/<source> (always the latter in the
        shared code location: one variable cannot name a folder for each council)."""
        if self.asset_prefix:
            return self.landing_dir / source_name
        return _env_path(f"BDC_LANDING_{source_name.upper()}", self.landing_dir / source_name)


class MissingPseudonymKey(RuntimeError):
    """A run on real extracts without BDC_PSEUDONYM_KEY: it would pseudonymise with the public development key."""


PUBLIC_KEYS = (DEV_PSEUDONYM_KEY, "change-me-to-a-long-random-secret-and-keep-it")  # the README's and deploy/'s
MIN_KEY_LENGTH = 32


def holds_only_the_bundled_sample(landing_dir: Path) -> bool:
    """Whether every file in `landing_dir` is one the sample generator wrote (its marker's manifest: path and
    size), and no source reads a folder of its own (BDC_LANDING_<SOURCE>). A marker left behind when real
    extracts were added, or one without a manifest, does not count."""
    if any(k.startswith("BDC_LANDING_") and k != "BDC_LANDING_DIR" for k in os.environ):
        return False
    try:
        manifest = json.loads((landing_dir / SAMPLE_MARKER).read_text()).get("manifest")
    except (OSError, ValueError, AttributeError):
        return False
    if not isinstance(manifest, dict):
        return False
    return landing_manifest(landing_dir).items() <= manifest.items()


def landing_manifest(landing_dir: Path) -> dict[str, int]:
    """Every file of a landing folder (relative path -> size), its sample marker aside."""
    return {p.relative_to(landing_dir).as_posix(): p.stat().st_size
            for p in sorted(landing_dir.rglob("*")) if p.is_file() and p.name != SAMPLE_MARKER}


def pseudonym_key_variable(council_id: str) -> str:
    """The variable holding one council's own pseudonym key (BDC_PSEUDONYM_KEY_REDDITCH): councils served by one
    deployment do not share a key, so a person in two councils' data has unrelated pseudonyms in each."""
    return f"BDC_PSEUDONYM_KEY_{council_id.upper()}"


def pseudonym_key_for(council_id: str) -> str:
    """The council's key: its own variable, else BDC_PSEUDONYM_KEY, else the public development key."""
    return (os.environ.get(pseudonym_key_variable(council_id)) or os.environ.get("BDC_PSEUDONYM_KEY")
            or DEV_PSEUDONYM_KEY)


def require_pseudonym_key(settings: Settings) -> None:
    """Refuse a run without a strong pseudonym key of its own (BDC_PSEUDONYM_KEY_<COUNCIL> or BDC_PSEUDONYM_KEY),
    unless its landing folder holds only the bundled sample (made-up people, `make run`), which runs with the
    public development key."""
    own = pseudonym_key_variable(settings.council.id)
    # A deployment serving several councils needs each council's own key: one shared key would link people across
    # the councils' warehouses.
    variable = own if settings.asset_prefix or os.environ.get(own) else "BDC_PSEUDONYM_KEY"
    key = os.environ.get(variable, "")
    if key:
        if key in PUBLIC_KEYS or len(key.strip()) < MIN_KEY_LENGTH:
            raise MissingPseudonymKey(f"{variable} is a published example or shorter than {MIN_KEY_LENGTH} "
                                      "characters: anyone could reverse its pseudonyms. Use a long random secret "
                                      "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`).")
        return
    if holds_only_the_bundled_sample(settings.landing_dir):
        return
    raise MissingPseudonymKey(
        f"{variable} is not set, and {settings.landing_dir} holds more than the bundled sample: the run would "
        "pseudonymise case references with the public development key, which anyone can reverse. Set "
        f"{variable} to a long random secret kept outside the repository (e.g. the output of `python -c "
        "'import secrets; print(secrets.token_hex(32))'`), the same every night: changing it changes every key.")


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None or not value.strip() else value.strip().lower() not in ("false", "0", "no")


def load_settings(**overrides: object) -> Settings:
    """Read the environment now (not at import time). `overrides` (a `Settings` field name -> value) replace
    what the environment says; an overridden `data_dir` also places every path under it that is not itself
    overridden (the environment's BDC_LANDING_DIR and the like then do not apply)."""
    given = overrides.get("data_dir")
    council = load_council(str(overrides["council"]) if overrides.get("council") else None)
    # The default council keeps data/; another council's data is under data/councils/<id>/ unless BDC_DATA_DIR says.
    default_data = PROJECT_ROOT / "data" / ("" if council.id == DEFAULT_COUNCIL else f"councils/{council.id}")
    data_dir = Path(str(given)).expanduser().resolve() if given else _env_path("BDC_DATA_DIR", default_data)

    def _path(name: str, default: Path) -> Path:
        return default if given else _env_path(name, default)

    own_group = os.environ.get(f"BDC_ANALYST_GROUP_{council.id.upper()}")
    settings = Settings(
        data_dir=data_dir,
        landing_dir=_path("BDC_LANDING_DIR", data_dir / "landing"),
        warehouse_path=_path("BDC_WAREHOUSE_PATH", data_dir / "warehouse" / "working.duckdb"),
        published_path=_path("BDC_PUBLISHED_PATH", data_dir / "published" / f"{council.id}.duckdb"),
        pseudonym_key=pseudonym_key_for(council.id),
        alerts_path=_path("BDC_ALERTS_PATH", data_dir / "warehouse" / "alerts.duckdb"),
        quality_dir=_path("BDC_QUALITY_DIR", data_dir / "quality"),
        outputs_dir=_path("BDC_OUTPUTS_DIR", data_dir / "outputs"),
        as_of=clock.as_of(),
        council=council,
        duckdb_memory_limit=os.environ.get("BDC_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        duckdb_max_temp=os.environ.get("BDC_DUCKDB_MAX_TEMP", DEFAULT_MAX_TEMP),
        reports_pdf=_flag("BDC_REPORTS_PDF", True),
        analyst_path=_path("BDC_ANALYST_PATH", data_dir / "analyst" / f"{council.id}.duckdb")
        if _flag("BDC_ANALYST_COPY", True) else None,
        analyst_group=own_group or os.environ.get("BDC_ANALYST_GROUP") or None,
        analyst_special_category=_flag("BDC_ANALYST_SPECIAL_CATEGORY", False),
    )
    fields = {k: v for k, v in overrides.items() if v is not None and k not in ("data_dir", "council")}
    paths = {k: Path(str(v)).expanduser().resolve() for k, v in fields.items() if k.endswith(("_dir", "_path"))}
    settings = dataclasses.replace(settings, **{**fields, **paths})
    if settings.asset_prefix and not own_group:  # the shared location: with one group for every council's analyst
        settings = dataclasses.replace(settings, analyst_path=None)  # copy, each council's could read the others'
    return settings


def shared_data_dir(council_id: str, root: str | None = None) -> Path:
    """A council's folder in the shared code location: <root>/councils/<id>/ (root: BDC_DATA_DIR, else data/)."""
    base = root or os.environ.get("BDC_DATA_DIR") or PROJECT_ROOT / "data"
    return Path(base).expanduser().resolve() / "councils" / council_id


def councils_of_run(run: dg.DagsterRun) -> set[str]:
    """The councils a run of the shared code location names: its `bdc/council` tag (every council's job sets it)
    and the first part of the asset keys it selected (a materialisation started from the asset graph)."""
    keys = [*(run.asset_selection or ()), *(k.asset_key for k in (run.asset_check_selection or ()))]
    councils = {k.path[0] for k in keys if len(k.path) > 2}
    if run.tags.get(COUNCIL_TAG):
        councils.add(run.tags[COUNCIL_TAG])
    return councils


def council_of_run(run: dg.DagsterRun) -> str:
    """The one council a run of the shared code location is for (`councils_of_run`). A run naming no council, or
    two, is refused before it touches any warehouse."""
    councils = councils_of_run(run)
    if len(councils) != 1:
        raise dg.Failure(f"This run is for {', '.join(sorted(councils)) or 'no council'}: a run of the shared code "
                         "location must be for exactly one council (run one council's job, or select one council's "
                         "assets). Nothing was loaded or published.")
    return councils.pop()


class SettingsResource(dg.ConfigurableResource):
    """The run's settings, handed to every asset that needs a folder, a path or the night. A field left unset
    takes its environment default (the `BDC_*` variables, read when the run starts, so a long-running code
    location still judges each night by that night). Set `as_of` to re-run a past night from the launchpad;
    tests override this resource instead of the environment."""

    data_dir: str | None = None
    landing_dir: str | None = None
    published_path: str | None = None
    outputs_dir: str | None = None
    quality_dir: str | None = None
    alerts_path: str | None = None
    as_of: str | None = None  # YYYY-MM-DD: the night the run processes (default: BDC_AS_OF, else today)
    reports_pdf: bool | None = None
    council: str | None = None  # whose warehouse (default: BDC_COUNCIL, else bromsgrove)
    shared: ClassVar[bool] = False  # SharedSettingsResource: the shared code location's
    _night: ExitStack | None = PrivateAttr(default=None)
    _run_council: str | None = PrivateAttr(default=None)
    _run_night: str | None = PrivateAttr(default=None)  # the run's NIGHT_TAG, when `as_of` is not configured

    def get(self) -> Settings:
        """The settings now: this resource's fields over the environment's."""
        fields = {name: getattr(self, name) for name in ("data_dir", "landing_dir", "published_path", "outputs_dir",
                                                         "quality_dir", "alerts_path", "reports_pdf", "council")}
        fields["council"] = self.council or self._run_council
        if self.as_of or self._run_night:
            fields["as_of"] = dt.date.fromisoformat(self.as_of or self._run_night)
        if self.shared:
            fields |= self._shared_fields(str(fields["council"] or ""))
        return load_settings(**fields)

    def _shared_fields(self, council_id: str) -> dict[str, object]:
        one_folder = [n for n in ("landing_dir", "published_path", "outputs_dir", "quality_dir", "alerts_path")
                      if getattr(self, n)]
        if one_folder:
            raise ValueError(f"The shared code location cannot set {', '.join(one_folder)}: every council would "
                             "share it. Set data_dir only; each council's folders are under data_dir/councils/<id>/.")
        if not council_id:
            raise ValueError("The shared code location's settings are for one council at a time: a run of that "
                             "council's job, or settings.for_council(id).")
        return {"data_dir": shared_data_dir(council_id, self.data_dir), "asset_prefix": (council_id,)}

    def for_council(self, council_id: str) -> SettingsResource:
        """These settings for one council: what a shared location's schedule or sensor reads (it has no run)."""
        return self.model_copy(update={"council": council_id})

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.dagster_run
        if run is not None:
            self._run_night = run.tags.get(NIGHT_TAG)
        if self.shared and run is not None:
            council = council_of_run(run)
            if self.council and self.council != council:
                raise dg.Failure(f"This run is for {council}, but its settings name {self.council}: nothing was "
                                 "loaded or published.")
            self._run_council = council
        if run is not None:  # a run (not a sensor's tick) on real extracts needs its own key
            require_pseudonym_key(self.get())
        # One clock and one council for the whole run: everything that asks `clock.as_of()` gets this run's night,
        # and everything that asks `load_council()` this run's council.
        self._night = ExitStack()
        if self.as_of or self._run_night:
            self._night.enter_context(clock.night_of(dt.date.fromisoformat(self.as_of or self._run_night)))
        if self.council or self._run_council:
            self._night.enter_context(serving(self.council or self._run_council))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._night is not None:
            self._night.close()
            self._night = None


class SharedSettingsResource(SettingsResource):
    """The shared code location's settings (every council in one): each run's council is the one it is for
    (`council_of_run`), its data under <data_dir>/councils/<id>/, its asset keys beginning with its id. A class of
    its own, not a field, so that a run configuring some fields (a night from the launchpad) stays shared."""

    shared: ClassVar[bool] = True
