"""Links from every asset in the Dagster UI to the files that define it: its Python and its SQL, YAML or
source contract, so the Policy Team and engineers go from a node in the lineage graph to its code."""

from __future__ import annotations

import warnings
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parent.parent
CODE_REFERENCES = "dagster/code_references"


def defining_files(key: dg.AssetKey) -> list[Path]:
    """The declarative files behind an asset (besides the Python of its asset function), where they exist."""
    layer, name = ["", *key.path][-2:]  # the last two parts: a shared location's keys begin with the council's id
    compiler = ROOT / "warehouse" / "measure_sql.py"
    candidates = {
        "raw": [ROOT / "sources" / name / "contract.py"],
        "staging": [ROOT / "sources" / name / "contract.py", ROOT / "sources" / name / "staging.sql"],
        "core": [ROOT / "warehouse" / "sql" / "core" / f"{name}.sql"],
        # A measure's SQL is in its YAML; warehouse/measure_sql.py compiles it (and marts.measure_values).
        "measures": [ROOT / "warehouse" / "catalogue" / "measures" / f"{name}.yaml", compiler],
        "marts": [
            ROOT / "warehouse" / "sql" / "marts" / f"{name}.sql",
            ROOT / "warehouse" / "sql" / "marts" / "with_assets" / f"{name}.sql",
            *([compiler] if name == "measure_values" else []),
        ],
        "outputs": [ROOT / "outputs" / f"{name}.py"],
    }.get(layer, [])
    return [p for p in candidates if p.exists()]


def _with_files(spec: dg.AssetSpec) -> dg.AssetSpec:
    existing = spec.metadata.get(CODE_REFERENCES)
    references = list(existing.code_references) if existing else []
    references += [
        dg.LocalFileCodeReference(file_path=str(p), line_number=1, label=str(p.relative_to(ROOT)))
        for p in defining_files(spec.key)
    ]
    return spec.replace_attributes(
        metadata={**spec.metadata, CODE_REFERENCES: dg.CodeReferencesMetadataValue(code_references=references)}
    )


def with_code_references(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """Every asset with references to its Python function and its defining files."""
    with warnings.catch_warnings():  # the code-reference API is marked beta; it would warn once per asset
        warnings.simplefilter("ignore", dg.BetaWarning)
        return [a.map_asset_specs(_with_files) for a in dg.with_source_code_references(assets)]
