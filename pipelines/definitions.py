"""The Dagster Definitions: every asset, the nightly job, its 02:00 schedule, the landing-folder sensors and
the warehouse resource."""

from __future__ import annotations

import warnings

import dagster as dg

from assets.common import code_fingerprint, table_key
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
from pipelines.alert_sensors import ALERT_SENSORS
from pipelines.changes import Looked
from pipelines.code_references import with_code_references
from pipelines.quiet import CODE_TAG, UNCHANGED_SINCE, inherited_code_tag, quiet_night, record_quiet_night
from pipelines.retention import retention_job, retention_schedule
from pipelines.selection import NightPlan, plan_night
from pipelines.sensors import COUNCIL_TAG, WRITER_TAG, landing_sensor
from sources import CONTRACTS
from warehouse.council import DEFAULT_COUNCIL
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings, SettingsResource

ALL_ASSETS = [*RAW_ASSETS, *STAGING_ASSETS, *CORE_ASSETS, *MEASURE_ASSETS, measure_values, disclosed_values, data_holds,
              period_completeness, measure_quality_status, *SQL_MART_ASSETS, *SYSTEMS_ASSETS, commentary_status,
              quality_scorecard, published_warehouse, return_templates, *OUTPUT_ASSETS]
ALL_CHECKS = [measure_values_expectations, dashboard_expectations, systems_marts_accurate, timeliness]

OUTPUTS = dg.AssetSelection.assets(*OUTPUT_ASSETS)

# One DuckDB writer at a time: every step runs in this one process, in dependency order.
NIGHTLY_MAX_RUNTIME_SECONDS = 2 * 60 * 60  # a run still STARTED after this is marked failed (run monitoring)



def council_jobs(council: str) -> tuple[dg.UnresolvedAssetJobDefinition, dg.UnresolvedAssetJobDefinition]:
    """The nightly and outputs jobs of one council's code location. Their runs carry the council's id (`bdc/council`;
    nightly runs also `bdc/writer`, which each council's instance limits to one run at a time: deploy/dagster.yaml)."""
    nightly = dg.define_asset_job(
        "nightly",
        selection=dg.AssetSelection.all() - OUTPUTS,
        executor_def=dg.in_process_executor,
        tags={WRITER_TAG: council, COUNCIL_TAG: council, "dagster/max_runtime": str(NIGHTLY_MAX_RUNTIME_SECONDS)},
        description="The nightly load: landing files -> raw -> staging -> core -> measures -> marts -> published.",
    )
    # Reads only the published copy, so it never holds the warehouse: started by `published_outputs` after each
    # publish (and by `pipelines.cli run` after the nightly job).
    outputs = dg.define_asset_job(
        "outputs",
        selection=OUTPUTS,
        executor_def=dg.in_process_executor,
        tags={COUNCIL_TAG: council},
        description="From the published warehouse: reports to Members, the public site and open data, partner packs.",
    )
    return nightly, outputs


nightly_job, outputs_job = council_jobs(DEFAULT_COUNCIL)  # rebound to the location's council by build_definitions


@dg.asset_sensor(asset_key=PUBLISHED, job=outputs_job, minimum_interval_seconds=60,
                 description="Builds the reports, public site and partner packs after each new published warehouse.")
def published_outputs(context: dg.SensorEvaluationContext,
                      asset_event: dg.EventLogEntry) -> dg.RunRequest:
    # The outputs are built for the night that was published (a re-run of a past night gets that night's).
    materialization = asset_event.asset_materialization
    metadata = materialization.metadata if materialization else {}
    night = metadata.get("as_of")
    run_config = {"resources": {"settings": {"config": {"as_of": night.value}}}} if night else {}
    # A quiet night's record names the run whose copy still stands: its outputs are already built, and this run
    # key is the one their request had, so the daemon starts no second run (unless the sensor missed that publish).
    published_by = getattr(metadata.get(UNCHANGED_SINCE), "value", None) or asset_event.run_id
    return dg.RunRequest(run_key=f"published-{published_by}", run_config=run_config)


def affected_by(source: str) -> list[dg.AssetKey]:
    """The nightly-job assets a delivery of `source` changes: its raw asset and everything downstream of it
    (the outputs follow through `published_outputs`)."""
    selection = dg.AssetSelection.assets(table_key(f"raw.{source}")).downstream() - OUTPUTS
    return sorted(selection.resolve(ALL_ASSETS), key=lambda k: k.to_user_string())


LANDING_SENSORS = [landing_sensor(c, nightly_job, affected_by(c.name), inherited_code_tag)
                   for c in CONTRACTS.values()]

@dg.schedule(name="nightly_0200", job=nightly_job, cron_schedule="0 2 * * *", execution_timezone="Europe/London",
             default_status=dg.DefaultScheduleStatus.RUNNING,  # a stopped schedule runs nothing and alerts nobody
             description="Runs the nightly load at 02:00 UK time (GMT or BST): what new deliveries, changed code or "
                         "an unfinished run reach, plus timeliness, the scorecard and the publish "
                         "(pipelines/selection.py).")
def nightly_schedule(context: dg.ScheduleEvaluationContext,
                     settings: SettingsResource) -> dg.RunRequest | dg.SkipReason:
    night = settings.get()
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
    return plan_night(instance, ALL_ASSETS, ALL_CHECKS, settings, excluded=OUTPUTS, wait_seconds=wait_seconds,
                      looked=looked)


def build_definitions(settings: SettingsResource | None = None) -> dg.Definitions:
    """Definitions with `settings` (default: the environment's BDC_* variables, see the README) handed to the
    assets; the working warehouse is the one those settings name."""
    settings = settings or SettingsResource()
    nightly, outputs = council_jobs(settings.get().council.id)
    with warnings.catch_warnings():  # Dagster's BetaWarning for the sensors' `owners`, once per sensor re-bound
        warnings.simplefilter("ignore", dg.BetaWarning)
        sensors = [*(s.with_updated_jobs([nightly]) for s in LANDING_SENSORS), *ALERT_SENSORS,
                   published_outputs.with_updated_jobs([outputs])]
    return dg.Definitions(
        assets=with_code_references(ALL_ASSETS),  # links in the UI from each asset to its SQL, YAML, contract
        asset_checks=ALL_CHECKS,
        jobs=[nightly, outputs, retention_job],
        schedules=[nightly_schedule.with_updated_job(nightly), retention_schedule],
        sensors=sensors,
        resources={"settings": settings, "warehouse": WarehouseResource(database=str(settings.get().warehouse_path))},
    )


defs = build_definitions()
