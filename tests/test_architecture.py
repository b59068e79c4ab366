"""The code's shape, kept in review: imports point one way, and the asset graph changes only on purpose."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import dagster as dg

from assets.common import table_key
from warehouse.catalogue import catalogue

ROOT = Path(__file__).resolve().parent.parent


def test_packages_import_only_the_layers_below_them_and_no_module_cycles():
    # The contracts are in pyproject.toml ([tool.importlinter]): bench > pipelines > assets > quality > outputs >
    # sources > warehouse, and no cycle between the modules of any package (imports inside functions count).
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in done.stdout



def test_no_module_imports_itself_back():
    # import-linter's acyclic_siblings does not see a cycle that passes through a package's __init__ (e.g. the
    # sample helpers importing the registry of sources, whose generators import the helpers): every chain counts.
    import grimp

    graph = grimp.build_graph("bench", "pipelines", "assets", "quality", "outputs", "sources", "warehouse",
                              cache_dir=None)
    back = {(importer, imported): graph.find_shortest_chain(importer=imported, imported=importer)
            for importer in graph.modules for imported in graph.find_modules_directly_imported_by(importer)}
    assert not sorted(" -> ".join(chain) + f" -> {imported}" for (_, imported), chain in back.items() if chain)

@functools.cache
def asset_graph_snapshot() -> dict:
    """What a reviewer should see change: every asset's group, dependencies, owners, kinds, code references and
    checks (with their blocking flag); each job's selection; the schedules and sensors."""
    import dagster as dg

    from pipelines import definitions

    defs = definitions.defs
    graph = defs.resolve_asset_graph()
    assets = {}
    for spec in sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string()):
        references = spec.metadata.get("dagster/code_references")
        checks = {}
        for check_key in sorted(graph.get_check_keys_for_assets([spec.key]), key=lambda k: k.name):
            checks[check_key.name] = "blocking" if graph.get_check_spec(check_key).blocking else "warn only"
        assets[spec.key.to_user_string()] = {
            "group": spec.group_name,
            "kinds": sorted(spec.kinds),
            "owners": sorted(spec.owners),
            "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps),
            "code": sorted(str(Path(r.file_path).relative_to(ROOT)) for r in references.code_references)
            if references
            else [],
            "checks": checks,
        }
    jobs = {
        job.name: sorted(k.to_user_string() for k in job.selection.resolve(graph))
        for job in (definitions.nightly_job, definitions.outputs_job)
    }
    schedules = {
        s.name: {"cron": s.cron_schedule, "timezone": s.execution_timezone, "job": s.job_name} for s in defs.schedules
    }
    sensors = {
        s.name: {
            "type": type(s).__name__,
            "default": s.default_status.value,
            "jobs": sorted(j.name for j in s.jobs) if s.has_jobs else [],
        }
        for s in sorted(defs.sensors, key=lambda s: s.name)
    }
    assert all(isinstance(a, dg.AssetKey) for a in graph.get_all_asset_keys())
    return {"assets": assets, "jobs": jobs, "schedules": schedules, "sensors": sensors}


def test_the_asset_graph_changes_only_on_purpose(snapshot):
    # A moved asset, a lost dependency, a check that stopped blocking or a sensor gone shows here as a diff.
    # After a deliberate change: `.venv/bin/pytest tests/test_architecture.py --snapshot-update`, and review the
    # diff of tests/__snapshots__/test_architecture.ambr with the change.
    assert asset_graph_snapshot() == snapshot


def test_every_asset_links_to_the_files_that_define_it():
    # In the UI each asset links to its Python and, where it has one, its SQL, source contract or catalogue YAML.
    missing = []
    for key, asset in asset_graph_snapshot()["assets"].items():
        layer, name = key.split("/")
        wanted = [".py"]
        if "sql" in asset["kinds"]:  # a measure's SQL is in its YAML, compiled (as measure_values') in measure_sql
            wanted.append(
                "warehouse/measure_sql.py" if layer == "measures" or key == "marts/measure_values" else ".sql"
            )
        if layer in ("raw", "staging"):
            wanted.append(f"sources/{name}/contract.py")
        if layer == "measures":
            wanted.append(f"warehouse/catalogue/measures/{name}.yaml")
        missing += [f"{key}: {w}" for w in wanted if not any(c.endswith(w) for c in asset["code"])]
    assert not missing


# The asset groups in the order the lineage graph should read, left to right.
GROUP_ORDER = ("reference", "raw", "staging", "core", "measures", "marts", "publish", "outputs")


def test_the_lineage_graph_reads_left_to_right_by_group():
    # reference -> raw -> staging -> core -> measures -> marts -> publish -> outputs: no asset reads one of a
    # later group (service staging joins the reference dimensions, which therefore sit in the reference group,
    # not in core). In the Dagster UI the global lineage then flows one way.
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    group = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}

    def rank(key) -> int:
        return GROUP_ORDER.index("measures" if group[key].startswith("measures_") else group[key])

    backwards = sorted(f"{key.to_user_string()} ({group[key]}) reads {parent.to_user_string()} ({group[parent]})"
                       for key in group for parent in graph.get(key).parent_keys
                       if parent in group and rank(parent) > rank(key))
    assert backwards == []
    assert group[table_key("core.dim_ward")] == "reference" and group[table_key("core.fact_contacts")] == "core"
    assert group[table_key("staging.ons_lookup")] == "reference" and group[table_key("staging.crm_contacts")] \
        == "staging"


def test_the_readme_links_a_view_of_each_strategic_purpose():
    # Each purpose's bookmark in the README selects its measures (and no other purpose's) with the whole path
    # from raw files to outputs; a purpose added to the catalogue without a link fails here.
    from pipelines.definitions import defs

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {unquote(m) for m in re.findall(r"/asset-groups\?asset-selection=([^)\s]+)\)", readme)}
    graph = defs.resolve_asset_graph()
    measures = catalogue().measures.values()
    assert linked == {f"+group:measures_{p}+" for p in catalogue().purposes}
    for selection in linked:
        purpose = selection.removeprefix("+group:measures_").removesuffix("+")
        keys = {k.to_user_string() for k in dg.AssetSelection.from_string(selection).resolve(graph)}
        assert {k for k in keys if k.startswith("measures/")} == {f"measures/{m.id}" for m in measures
                                                                  if m.purpose == purpose}, selection
        assert {"raw", "staging", "marts", "published", "outputs"} <= {k.split("/")[0] for k in keys}, selection
