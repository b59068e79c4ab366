"""Runs started from the command line (`make run`, `pipelines.cli run`) shown in the Dagster UI like the schedule's.

`execute_in_process` records a run with no code-location origin, so the UI lists it under Runs only: the job's
page selects runs by the hidden `.dagster/repository` tag, and the overview timeline drops runs with no
`remote_job_origin`. A run of a persistent instance is therefore tagged with the code location of
workspace.yaml when it is created, and given that location's job origin when it ends (the storage call behind
`dagster run migrate-repository`). The daemon's retries are turned off for it: the command line reports its
own failures, and a retry would run the whole job again out of process.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import dagster as dg

WORKSPACE_YAML = Path(__file__).resolve().parent.parent / "workspace.yaml"
log = logging.getLogger(__name__)


def job_origin(job_name: str) -> Any | None:
    """The origin `dagster dev` gives `job_name` (a RemoteJobOrigin): the code location of workspace.yaml, whose
    Definitions make the repository `__repository__`. None, with a warning, when it cannot be worked out (no
    workspace.yaml, several locations, a Dagster whose internals moved): the run is then listed under Runs only,
    and the night goes on. Dagster's internals are imported here, not at module load, for the same reason."""
    try:
        from dagster._core.definitions.repository_definition.valid_definitions import SINGLETON_REPOSITORY_NAME
        from dagster._core.remote_origin import RemoteRepositoryOrigin
        from dagster._core.workspace.load import location_origins_from_yaml_paths

        (location,) = location_origins_from_yaml_paths([str(WORKSPACE_YAML)])
        return RemoteRepositoryOrigin(code_location_origin=location,
                                      repository_name=SINGLETON_REPOSITORY_NAME).get_job_origin(job_name)
    except Exception as exc:  # noqa: BLE001 -- showing the run in the UI must never stop the night
        log.warning("this run will be listed under Runs only, not on the %s job's page: %s", job_name, exc)
        return None


def origin_tags(origin: Any) -> dict[str, str]:
    """Tags the run needs from its creation: the job page's filter (`.dagster/repository`), the Runs page's
    code-location filter, and no retry by the daemon."""
    return {".dagster/repository": origin.repository_origin.get_label(),
            "dagster/code_location": origin.repository_origin.code_location_origin.location_name,
            "dagster/max_retries": "0"}


def attach_origin(instance: dg.DagsterInstance, run_id: str, origin: Any) -> None:
    """Give a finished run its job origin, so the overview timeline shows it beside the schedule's runs (a
    failure is a warning: the run itself is done)."""
    try:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.remote_job_origin is None:
            instance.run_storage.replace_job_origin(run, origin)
    except Exception as exc:  # noqa: BLE001 -- the night's result stands whatever the UI bookkeeping does
        log.warning("run %s is not shown on the job's timeline: %s", run_id, exc)
