"""The shared code location: one Dagster deployment serving every council (deploy/councils/workspace.yaml). Each council
has its own copy of every asset (keys beginning with its id), its own nightly, outputs and retention jobs, schedule,
landing and alert sensors, alerts and owners; runs are tagged with it, and the instance's queue allows one writer
per council at a time (deploy/councils/dagster.yaml). See README "Running several councils"."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import dagster as dg

from pipelines.code_references import with_code_references
from pipelines.locations import council_definitions, shared_location
from warehouse.council import UnknownCouncil, council_ids, load_council
from warehouse.resource import SharedWarehouseResource
from warehouse.settings import SharedSettingsResource

LOG = logging.getLogger(__name__)


def build_shared_definitions(councils: Sequence[str] | None = None, data_dir: str | None = None) -> dg.Definitions:
    """The shared code location: every council in `councils` (default BDC_COUNCILS, comma-separated, else every
    profile in councils/) with its own assets (keys beginning with its id), jobs, schedules, sensors and alerts.
    Each run is for one council: its settings, warehouse and pseudonym key are that council's
    (warehouse/settings.py `council_of_run`); its data is under <data_dir>/councils/<id>/ (default BDC_DATA_DIR, else
    data/). A council whose profile does not load is left out, with an error in the code location's log, and the
    others are served."""
    chosen = list(dict.fromkeys(councils if councils else _councils_from_env()))  # a council named twice: once
    parts = []
    for council in chosen:
        try:
            load_council(council)
        except (UnknownCouncil, ValueError) as exc:
            LOG.error(f"council {council!r} left out of the shared code location: {exc}")
            continue
        location = shared_location(council)
        parts.append(council_definitions(location))
        parts.append(dg.Definitions(assets=with_code_references(location.assets), asset_checks=location.checks))
    resources = {"settings": SharedSettingsResource(data_dir=data_dir),
                 "warehouse": SharedWarehouseResource(data_root=data_dir)}
    return dg.Definitions.merge(*parts, dg.Definitions(resources=resources))


def _councils_from_env() -> list[str]:
    named = os.environ.get("BDC_COUNCILS", "")
    return [c.strip() for c in named.split(",") if c.strip()] or council_ids()


defs = build_shared_definitions()
