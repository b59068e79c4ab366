"""Core layer: dimensions and facts, one asset per SQL model in warehouse/sql/core, plus the catalogue
dimensions (purposes, teams, measures) read from warehouse/catalogue."""


import dagster as dg

from assets.common import POLICY_OWNERS, code_version, sql_model_asset, table_key, table_metadata
from warehouse.catalogue import catalogue, catalogue_text
from warehouse.catalogue_tables import CATALOGUE_TABLES, build_catalogue_table
from warehouse.models import CORE_DIR, sql_models
from warehouse.resource import WarehouseResource

CATALOGUE_DESCRIPTIONS = {
    "measure_renames": "Every former measure id (catalogue `renamed_from`) and the id the measure has now: landing "
                       "files naming a former id are staged under the current one (warehouse/renames.py).",
}


def catalogue_asset(name: str) -> dg.AssetsDefinition:
    @dg.asset(key=table_key(f"core.{name}"), group_name="core", kinds={"duckdb", "yaml"}, owners=POLICY_OWNERS,
              code_version=code_version(catalogue_text()),
              description=CATALOGUE_DESCRIPTIONS.get(name, f"The measure catalogue's {name.removeprefix('dim_')}s, "
                                                              "from warehouse/catalogue/."))
    def _catalogue(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            build_catalogue_table(con, name, catalogue())
            return dg.MaterializeResult(metadata=table_metadata(con, f"core.{name}"))

    return _catalogue


CORE_ASSETS = [sql_model_asset("core", n, s) for n, s in sql_models(CORE_DIR).items()] + \
              [catalogue_asset(n) for n in CATALOGUE_TABLES]
