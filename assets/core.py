"""Core layer: dimensions and facts, one asset per SQL model in warehouse/sql/core, plus the catalogue
dimensions (purposes, teams, measures) read from warehouse/catalogue."""


import dagster as dg

from assets.common import POLICY_OWNERS, REFERENCE_GROUP, code_version, sql_model_asset, table_key, table_metadata
from sources import CONTRACTS
from warehouse.catalogue import catalogue, catalogue_text
from warehouse.catalogue_tables import CATALOGUE_TABLES, build_catalogue_table
from warehouse.dictionary import table_descriptions
from warehouse.models import CORE_DIR, referenced_tables, sql_models
from warehouse.resource import WarehouseResource


def catalogue_asset(name: str) -> dg.AssetsDefinition:
    @dg.asset(key=table_key(f"core.{name}"), group_name=REFERENCE_GROUP, kinds={"duckdb", "yaml"},
              owners=POLICY_OWNERS, code_version=code_version(catalogue_text()),
              description=table_descriptions()[f"core.{name}"])  # warehouse/catalogue/dictionary.yaml
    def _catalogue(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            build_catalogue_table(con, name, catalogue())
            return dg.MaterializeResult(metadata=table_metadata(con, f"core.{name}"))

    return _catalogue


def reference_models(models: dict[str, str]) -> set[str]:
    """Core models built from reference data alone (lookups, the Census, IMD, the gazetteer, the catalogue): every
    staging table upstream of them is a reference source's. They sit in the reference group, so the lineage graph
    reads reference -> staging -> core -> measures -> marts (service staging joins them to conform geography)."""
    reference = {f"staging.{c.name}" for c in CONTRACTS.values() if c.kind == "reference"}
    reference |= {f"core.{n}" for n in CATALOGUE_TABLES}
    found: set[str] = set()
    while True:  # a model is reference once everything it reads is: repeat until nothing more is found
        more = {n for n, sql in models.items() if n not in found
                and all(t in reference for t in referenced_tables(sql) if t.split(".")[0] in ("staging", "core"))}
        if not more:
            return found
        found |= more
        reference |= {f"core.{n}" for n in more}


_CORE_MODELS = sql_models(CORE_DIR)
_REFERENCE_MODELS = reference_models(_CORE_MODELS)
CORE_ASSETS = [sql_model_asset("core", n, s, REFERENCE_GROUP if n in _REFERENCE_MODELS else None)
               for n, s in _CORE_MODELS.items()] + [catalogue_asset(n) for n in CATALOGUE_TABLES]
