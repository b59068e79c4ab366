"""The container deployments' instance files (deploy/docker, deploy/k8s) are valid for their run launchers: checked
with the launchers' own config schemas, as Dagster checks them when the instance starts."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from dagster._config import process_config

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
INSTANCES = {"docker": DEPLOY / "docker" / "dagster.yaml", "k8s": DEPLOY / "k8s" / "dagster.yaml"}


def _launcher_errors(instance: dict) -> list[str]:
    launcher = instance["run_launcher"]
    klass = getattr(importlib.import_module(launcher["module"]), launcher["class"])
    result = process_config(klass.config_type(), launcher["config"])
    return [] if result.success else [e.message for e in result.errors]


@pytest.mark.parametrize("kind", sorted(INSTANCES))
def test_each_council_s_container_instance_is_valid_and_keeps_one_writer(kind):
    instance = yaml.safe_load(INSTANCES[kind].read_text())
    assert _launcher_errors(instance) == []
    limits = instance["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert {"key": "bdc/writer", "limit": 1} in limits  # one warehouse writer per council's instance
    config = instance["run_launcher"]["config"]
    passed = " ".join(config.get("env_vars", []) + config.get("env_config_maps", []))
    assert "BDC_COUNCIL" in passed or "council-settings" in passed  # every run knows its council


@pytest.mark.parametrize("kind", sorted(INSTANCES))
def test_the_schema_check_refuses_a_mistyped_setting(kind):
    """The check is not vacuous: a misspelt key (a silent no-op in a hand-written check) is refused."""
    instance = yaml.safe_load(INSTANCES[kind].read_text())
    instance["run_launcher"]["config"]["enviroment_variables"] = ["BDC_COUNCIL"]
    assert _launcher_errors(instance)


def test_the_docker_workspace_loads_the_council_s_code_server():
    workspace = yaml.safe_load((DEPLOY / "docker" / "workspace.yaml").read_text())
    (entry,) = workspace["load_from"]
    assert set(entry["grpc_server"]) == {"host", "port", "location_name"}
