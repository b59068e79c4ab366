"""What a night's run builds: only what has a reason to change (the nightly schedule and `pipelines.cli run`).

A run starts from these roots and builds everything downstream of them:
- a source whose landing folder holds a file not loaded yet (by path, size and modification time) and not
  already refused as it is (a refused file's hold lasts until a delivery replaces it): its raw asset;
- an asset whose Dagster code version differs from the one it was last built with (a release, a catalogue
  entry, one model's SQL: see `assets.common.code_version`), or that was never built;
- an asset whose last planned build did not finish (a failed or killed run).
Every night it publishes (the copy says which night it is for: the missed-night alerts read it). It judges the
timeliness of the sources and measures whose verdict changes tonight (it depends on the night's date, not the
data), rebuilds marts.period_completeness and what reads it on the night a period in progress turns provisional
(its grace is over), rebuilds the scorecard when any check ran, and the commentary status and return templates
when the night falls in a new month. The outputs follow each publish (the `published_outputs` sensor).

A skipped asset is one whose inputs, code and last build are all unchanged, so rebuilding it would give the
same table. When the warehouse cannot be read (none yet, or a writer holds it), everything is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import dagster as dg

from assets.common import PUBLISHED, council_key, table_key
from assets.timeliness import CHECK_KEYS as TIMELINESS_CHECKS
from pipelines.changes import CODE_VERSION_TAG, COMPLETENESS, DISCLOSED, MONTHLY, Looked, built_in_month, look
from warehouse.settings import Settings

SCORECARD = table_key("marts.quality_scorecard")


@dataclass
class NightPlan:
    """The assets and checks a run builds, and why each root was chosen (empty when everything is built)."""

    assets: set[dg.AssetKey]
    checks: set[dg.AssetCheckKey] | None  # None: every check of the selected assets (as a sensor's request)
    reasons: dict[str, str] = field(default_factory=dict)
    everything: bool = False

    def summary(self) -> str:
        if self.everything and "*" in self.reasons:
            return f"everything ({self.reasons['*']})"
        by_reason: dict[str, list[str]] = {}
        for root, reason in sorted(self.reasons.items()):
            by_reason.setdefault(reason, []).append(root)
        roots = "; ".join(f"{', '.join(names[:3])}{f' and {len(names) - 3} more' if len(names) > 3 else ''}: "
                          f"{reason}" for reason, names in by_reason.items()) or "nothing new"
        checks = "their checks" if self.checks is None else f"{len(self.checks)} check(s)"
        return f"{len(self.assets)} asset(s), {checks}; {roots}"


def plan_night(instance: dg.DagsterInstance, assets: Sequence[dg.AssetsDefinition],
               checks: Sequence[dg.AssetChecksDefinition], settings: Settings,
               excluded: dg.AssetSelection | None = None, wait_seconds: float = 0,
               looked: Looked | None = None) -> NightPlan:
    """Tonight's plan over `assets` (the nightly job's, less `excluded`) and their `checks`, from `looked` (what
    `changes.look` read moments ago, e.g. for the quiet-night check) or a fresh look. While another process
    writes the warehouse, wait up to `wait_seconds` to read it (else plan everything)."""
    job_keys = set((dg.AssetSelection.all() - (excluded or dg.AssetSelection.keys())).resolve(assets))
    checks_of = _checks_by_asset(assets, checks)
    every_check = {c for keys in checks_of.values() for c in keys}
    looked = looked if looked is not None else look(settings, wait_seconds)
    if looked is None:
        return NightPlan(job_keys, every_check, {"*": "the warehouse is new, being written, or older than this code"},
                         everything=True)
    landing, timely = looked
    prefix = settings.asset_prefix  # the council's, in the shared code location
    completeness, published, scorecard, disclosed = (council_key(k, prefix)
                                                     for k in (COMPLETENESS, PUBLISHED, SCORECARD, DISCLOSED))
    reasons = {".".join([*prefix, "raw", source]): f"{len(files)} new or changed file(s): {', '.join(files[:3])}"
               + (" ..." if len(files) > 3 else "") for source, files in landing.items()}
    reasons |= _stale(instance, assets, job_keys)
    month = f"{settings.as_of:%Y-%m}"
    reasons |= {".".join(k.path): f"the night is in {month}" for k in (council_key(m, prefix) for m in MONTHLY)
                if built_in_month(instance, k) != month}
    if completeness in timely:
        reasons[".".join(completeness.path)] = "a period in progress turns provisional tonight (its grace is over)"
        timely = timely - {completeness}
    if disclosed in timely:
        reasons[".".join(disclosed.path)] = "a suppression threshold (its own or an agreement's) has no pattern yet"
        timely = timely - {disclosed}
    roots = [dg.AssetKey(name.split(".")) if "." in name else dg.AssetKey(name) for name in reasons]
    reached = set(dg.AssetSelection.assets(*roots).downstream().resolve(assets)) if roots else set()
    timeliness = {dg.AssetCheckKey(council_key(c.asset_key, prefix), c.name) for c in TIMELINESS_CHECKS}
    timeliness = {c for c in timeliness if c.asset_key in timely or c.asset_key in reached}
    reasons |= {f"timeliness of {'.'.join(k.path)}": "its verdict changes tonight" for k in timely}
    selected = (reached | {published} | ({scorecard} if timeliness else set())) & job_keys
    chosen = {c for key in selected for c in checks_of.get(key, ())} | timeliness
    return NightPlan(selected, chosen, reasons, everything=selected == job_keys)


def _checks_by_asset(assets: Sequence[dg.AssetsDefinition],
                     checks: Sequence[dg.AssetChecksDefinition]) -> dict[dg.AssetKey, set[dg.AssetCheckKey]]:
    found: dict[dg.AssetKey, set[dg.AssetCheckKey]] = {}
    for definition in [*assets, *checks]:
        for key in definition.check_keys:
            found.setdefault(key.asset_key, set()).add(key)
    return found


def _stale(instance: dg.DagsterInstance, assets: Sequence[dg.AssetsDefinition],
           job_keys: set[dg.AssetKey]) -> dict[str, str]:
    """Assets never built, built with other code, or whose last planned build did not finish."""
    current = {k: v for a in assets for k, v in a.code_versions_by_key.items() if k in job_keys}
    records = {r.asset_entry.asset_key: r.asset_entry for r in instance.get_asset_records(list(job_keys))}
    stale = {}
    for key in sorted(job_keys, key=lambda k: k.to_user_string()):
        entry = records.get(key)
        last = entry.last_materialization_record if entry else None
        name = ".".join(key.path)
        if last is None:
            stale[name] = "never built"
        elif _code_version(last) != current.get(key):
            stale[name] = "its code or definition changed since it was built"
        elif (entry.last_planned_materialization_storage_id or 0) > last.storage_id:
            stale[name] = "its last planned build did not finish"
    return stale


def _code_version(record: dg.EventLogRecord) -> str | None:
    materialization = record.asset_materialization
    return materialization.tags.get(CODE_VERSION_TAG) if materialization and materialization.tags else None
