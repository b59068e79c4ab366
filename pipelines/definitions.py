"""The Dagster Definitions of a council's own code location (workspace.yaml): every asset, the nightly job, its 02:00
schedule, the landing-folder and alert sensors and the warehouse resource, for the council BDC_COUNCIL names. The
pieces are built in pipelines/locations.py (and re-exported here)."""

from __future__ import annotations

import dagster as dg

from pipelines.code_references import with_code_references
from pipelines.locations import (
    ALL_ASSETS,
    ALL_CHECKS,
    LANDING_SENSORS,
    NIGHTLY_MAX_RUNTIME_SECONDS,
    OUTPUTS,
    OWN_LOCATION,
    Location,
    affected_by,
    council_definitions,
    nightly_job,
    nightly_schedule,
    outputs_job,
    published_outputs,
    tonight,
)
from warehouse.resource import WarehouseResource
from warehouse.settings import SettingsResource

__all__ = [  # the pieces, for the scripts and tests that import them from here
    "ALL_ASSETS", "ALL_CHECKS", "LANDING_SENSORS", "NIGHTLY_MAX_RUNTIME_SECONDS", "OUTPUTS", "OWN_LOCATION",
    "Location", "affected_by", "council_definitions", "nightly_job", "nightly_schedule", "outputs_job",
    "published_outputs", "tonight", "build_definitions", "defs",
]


def build_definitions(settings: SettingsResource | None = None) -> dg.Definitions:
    """A council's own code location: its Definitions with `settings` (default: the environment's BDC_* variables,
    see the README) handed to the assets; the working warehouse is the one those settings name."""
    settings = settings or SettingsResource()
    location = Location(settings.get().council.id, (), ALL_ASSETS, ALL_CHECKS)
    return dg.Definitions.merge(council_definitions(location), dg.Definitions(
        assets=with_code_references(ALL_ASSETS),  # links in the UI from each asset to its SQL, YAML, contract
        asset_checks=ALL_CHECKS,
        resources={"settings": settings, "warehouse": WarehouseResource(database=str(settings.get().warehouse_path))},
    ))


defs = build_definitions()
