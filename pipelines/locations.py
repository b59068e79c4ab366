"""The pieces of a code location, built per council (`Location`): every asset and check, the nightly and outputs
jobs, the 02:00 schedule, the landing-folder and alert sensors. A council's own location (pipelines/definitions.py)
holds them once; the shared one (pipelines/councils_definitions.py) once for each council. Importing this module
reads no council profile."""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import dagster as dg

from assets.common import code_fingerprint, council_key, table_key
from assets.core import CORE_ASSETS
from assets.marts import (
    SQL_MART_ASSETS,
    commentary_status,
    dashboard_expectations,
    data_holds,
    disclosed_values,
    measure_quality_status,
    measure_values,
    measure_values_expectations,
    period_completeness,
    published_warehouse,
    quality_scorecard,
)
from assets.measures import MEASURE_ASSETS
from assets.outputs import OUTPUT_ASSETS, PUBLISHED
from assets.raw import RAW_ASSETS
from assets.staging import STAGING_ASSETS
from assets.systems import SYSTEMS_ASSETS, return_templates, systems_marts_accurate
from assets.timeliness import timeliness
from pipelines.alert_sensors import alert_sensors
from pipelines.changes import Looked
from pipelines.quiet import CODE_TAG, UNCHANGED_SINCE, inherited_code_tag, quiet_night, record_quiet_night
from pipelines.retention import retention
from pipelines.selection import NightPlan, plan_night
from pipelines.sensors import WRITER_TAG, landing_sensor, located
from sources import CONTRACTS
from warehouse.council import DEFAULT_COUNCIL, load_council, scope
from warehouse.settings import COUNCIL_TAG, NIGHT_TAG, Settings, SettingsResource

ALL_ASSETS = [*RAW_ASSETS, *STAGING_ASSETS, *CORE_ASSETS, *MEASURE_ASSETS, measure_values, disclosed_values, data_holds,
              period_completeness, measure_quality_status, *SQL_MART_ASSETS, *SYSTEMS_ASSETS, commentary_status,
              quality_scorecard, published_warehouse, return_templates, *OUTPUT_ASSETS]
ALL_CHECKS = [measure_values_expectations, dashboard_expectations, systems_marts_accurate, timeliness]

OUTPUT_KEYS = [key for a in OUTPUT_ASSETS for key in a.keys]
OUTPUTS = dg.AssetSelection.assets(*OUTPUT_KEYS)

# One DuckDB writer at a time: every step runs in this one process, in dependency order.
NIGHTLY_MAX_RUNTIME_SECONDS = 2 * 60 * 60  # a run still STARTED after this is marked failed (run monitoring)


@dataclass(frozen=True)
class Location:
    """One council's assets and checks as a code location holds them: a council's own location (`prefix` (): keys
    as the tables are named), or the shared one (`prefix` (council id,): every key begins with it)."""

    council: str
    prefix: tuple[str, ...]
    assets: list[dg.AssetsDefinition]
    checks: list[dg.AssetChecksDefinition]

    def key(self, key: dg.AssetKey) -> dg.AssetKey:
        return council_key(key, self.prefix)

    def name(self, name: str) -> str:
        """A job's, schedule's or sensor's name: `<council>__<name>` in the shared location."""
        return located(name, self.council if self.prefix else None)

    @property
    def outputs(self) -> dg.AssetSelection:
        return dg.AssetSelection.assets(*(self.key(k) for k in OUTPUT_KEYS))


OWN_LOCATION = Location(DEFAULT_COUNCIL, (), ALL_ASSETS, ALL_CHECKS)  # keys as the tables are named


@functools.cache
def shared_location(council: str) -> Location:
    """`council`'s copy of every asset and check, each key beginning with its id (Dagster's own key replacement:
    dependencies and check targets follow), in groups named for it, its owners at its mail domain."""
    keys = {k for d in [*ALL_ASSETS, *ALL_CHECKS] for k in [*d.keys, *(c.asset_key for c in d.check_keys)]}
    renamed = {k: dg.AssetKey([council, *k.path]) for k in keys}
    profile = load_council(council)

    def its_own(spec: dg.AssetSpec) -> dg.AssetSpec:
        return spec.replace_attributes(owners=[profile.mailbox(o) for o in spec.owners],
                                       group_name=f"{council}_{spec.group_name}")

    assets = [a.with_attributes(asset_key_replacements=renamed) for a in ALL_ASSETS]
    return Location(council, (council,), dg.map_asset_specs(its_own, assets),
                    [c.with_attributes(asset_key_replacements=renamed) for c in ALL_CHECKS])


def location_of(settings: Settings) -> Location:
    """The assets a night's settings are for: the council's own location's, or its copy in the shared one."""
    return shared_location(settings.council.id) if settings.asset_prefix else OWN_LOCATION


def council_jobs(council: str, location: Location | None = None,
                 ) -> tuple[dg.UnresolvedAssetJobDefinition, dg.UnresolvedAssetJobDefinition]:
    """The nightly and outputs jobs of one council (in `location`, default its own code location). Their runs carry
    the council's id (`bdc/council`; nightly runs also `bdc/writer`, which the instance limits to one run at a time
    per council: deploy/dagster.yaml)."""
    location = location or OWN_LOCATION
    everything = dg.AssetSelection.key_prefixes(list(location.prefix)) if location.prefix else dg.AssetSelection.all()
    nightly = dg.define_asset_job(
        location.name("nightly"),
        selection=everything - location.outputs,
        executor_def=dg.in_process_executor,
        tags={WRITER_TAG: council, COUNCIL_TAG: council, "dagster/max_runtime": str(NIGHTLY_MAX_RUNTIME_SECONDS)},
        description="The nightly load: landing files -> raw -> staging -> core -> measures -> marts -> published.",
    )
    # Reads only the published copy, so it never holds the warehouse: started by `published_outputs` after each
    # publish (and by `pipelines.cli run` after the nightly job).
    outputs = dg.define_asset_job(
        location.name("outputs"),
        selection=location.outputs,
        executor_def=dg.in_process_executor,
        tags={COUNCIL_TAG: council},
        description="From the published warehouse: reports to Members, the public site and open data, partner packs.",
    )
    return nightly, outputs


nightly_job, outputs_job = council_jobs(DEFAULT_COUNCIL)  # rebound to the location's council by build_definitions


def published_outputs_sensor(location: Location, job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    """Starts the outputs job after each new published warehouse of the location's council."""

    @dg.asset_sensor(asset_key=location.key(PUBLISHED), job=job, minimum_interval_seconds=60,
                     name=location.name("published_outputs"),
                     description="Builds the reports, public site and partner packs after each new published "
                                 "warehouse.")
    def published_outputs(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry) -> dg.RunRequest:
        # The outputs are built for the night that was published (a re-run of a past night gets that night's).
        materialization = asset_event.asset_materialization
        metadata = materialization.metadata if materialization else {}
        night = metadata.get("as_of")
        # A quiet night's record names the run whose copy still stands: its outputs are already built, and this run
        # key is the one their request had, so the daemon starts no second run (unless the sensor missed that
        # publish).
        published_by = getattr(metadata.get(UNCHANGED_SINCE), "value", None) or asset_event.run_id
        if location.prefix:  # the night as a tag: run config would replace the shared settings resource's own fields
            return dg.RunRequest(run_key=f"published-{published_by}", tags={NIGHT_TAG: night.value} if night else {})
        run_config = {"resources": {"settings": {"config": {"as_of": night.value}}}} if night else {}
        return dg.RunRequest(run_key=f"published-{published_by}", run_config=run_config)

    return published_outputs


published_outputs = published_outputs_sensor(OWN_LOCATION, outputs_job)


def affected_by(source: str, location: Location | None = None) -> list[dg.AssetKey]:
    """The nightly-job assets a delivery of `source` changes: its raw asset and everything downstream of it
    (the outputs follow through `published_outputs`)."""
    location = location or OWN_LOCATION
    selection = dg.AssetSelection.assets(location.key(table_key(f"raw.{source}"))).downstream() - location.outputs
    return sorted(selection.resolve(location.assets), key=lambda k: k.to_user_string())


def landing_sensors(location: Location, job: dg.UnresolvedAssetJobDefinition) -> list[dg.SensorDefinition]:
    """A landing-folder sensor per source for the location's council, each starting `job` on what it affects."""
    council = location.council if location.prefix else None
    with warnings.catch_warnings():  # Dagster's BetaWarning for the sensors' `owners`
        warnings.simplefilter("ignore", dg.BetaWarning)
        return [landing_sensor(c, job, affected_by(c.name, location), inherited_code_tag, council)
                for c in CONTRACTS.values()]


LANDING_SENSORS = landing_sensors(OWN_LOCATION, nightly_job)


def nightly_schedule_for(location: Location, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """The 02:00 schedule of one council's nightly job."""
    council = location.council if location.prefix else None

    @dg.schedule(name=location.name("nightly_0200"), job=job, cron_schedule="0 2 * * *",
                 execution_timezone="Europe/London",
                 default_status=dg.DefaultScheduleStatus.RUNNING,  # a stopped schedule runs nothing, alerts nobody
                 description="Runs the nightly load at 02:00 UK time (GMT or BST): what new deliveries, changed code "
                             "or an unfinished run reach, plus timeliness, the scorecard and the publish "
                             "(pipelines/selection.py).")
    def nightly_schedule(context: dg.ScheduleEvaluationContext,
                         settings: SettingsResource) -> dg.RunRequest | dg.SkipReason:
        with scope(council):  # the council's profile: its thresholds judge tonight's timeliness
            return tonight_request(context, (settings.for_council(council) if council else settings).get())

    return nightly_schedule


nightly_schedule = nightly_schedule_for(OWN_LOCATION, nightly_job)


def tonight_request(context: dg.ScheduleEvaluationContext, night: Settings) -> dg.RunRequest | dg.SkipReason:
    """The schedule's answer for `night`: a quiet night recorded without a run, or the run of tonight's plan."""
    fingerprint = code_fingerprint(night)
    verdict = quiet_night(context.instance, night, fingerprint)
    if verdict.quiet:  # recorded without a run (pipelines/quiet.py)
        try:
            errors, warnings = record_quiet_night(context.instance, night, verdict, "nightly schedule")
        except Exception as exc:  # noqa: BLE001 - not recorded: the planned run records the night instead
            context.log.warning(f"quiet night not recorded ({type(exc).__name__}: {exc}): running the plan")
        else:
            return dg.SkipReason(f"Quiet night: {verdict.reason}; the published copies (run {verdict.since_run}) "
                                 f"stand for {night.as_of}; checks still failing: {errors} ERROR, {warnings} WARN.")
    return planned_request(context.instance, night, fingerprint, verdict.reason, verdict.looked)


def planned_request(instance: dg.DagsterInstance, night: Settings, fingerprint: str, not_quiet: str,
                    looked: Looked | None = None) -> dg.RunRequest:
    """The schedule's run of tonight's plan (from `looked`, what the quiet check read, when it got that far),
    tagged with the code it was planned with and why it is not quiet."""
    plan = tonight(instance, night, looked=looked)
    return dg.RunRequest(asset_selection=sorted(plan.assets, key=str), asset_check_keys=sorted(plan.checks, key=str),
                         tags={"bdc/trigger": "nightly schedule", "bdc/plan": plan.summary()[:1000],
                               CODE_TAG: fingerprint, "bdc/not_quiet": not_quiet[:200]})


def tonight(instance: dg.DagsterInstance, settings: Settings, wait_seconds: float = 0,
            looked: Looked | None = None) -> NightPlan:
    """The nightly job's plan for the night `settings.as_of` (pipelines/selection.py), from `looked` when given;
    waits up to `wait_seconds` while another run holds the warehouse."""
    location = location_of(settings)
    return plan_night(instance, location.assets, location.checks, settings, excluded=location.outputs,
                      wait_seconds=wait_seconds, looked=looked)


def council_definitions(location: Location) -> dg.Definitions:
    """One council's jobs, schedules and sensors (its assets, checks and resources are the caller's)."""
    council = location.council if location.prefix else None
    nightly, outputs = council_jobs(location.council, location)
    retention_job, retention_schedule = retention(council)
    return dg.Definitions(
        jobs=[nightly, outputs, retention_job],
        schedules=[nightly_schedule_for(location, nightly), retention_schedule],
        sensors=[*landing_sensors(location, nightly), *alert_sensors(council),
                 published_outputs_sensor(location, outputs)],
    )
