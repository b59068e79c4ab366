"""Core layer: dimensions and facts, one asset per SQL model in warehouse/sql/core, plus the catalogue
dimensions (purposes, teams, measures) read from warehouse/catalogue."""


import dagster as dg

from assets.common import POLICY_OWNERS, code_version, sql_model_asset, table_key, table_metadata
from warehouse.catalogue import catalogue, catalogue_text
from warehouse.catalogue_tables import CATALOGUE_TABLES, build_catalogue_table
from warehouse.db import WarehouseResource
from warehouse.models import CORE_DIR, sql_models


def catalogue_asset(name: str) -> dg.AssetsDefinition:
    @dg.asset(key=table_key(f"core.{name}"), group_name="core", kinds={"duckdb", "yaml"}, owners=POLICY_OWNERS,
              code_version=code_version(catalogue_text()),
              description=f"The measure catalogue's {name.removeprefix('dim_')}s, from warehouse/catalogue/.")
    def _catalogue(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            build_catalogue_table(con, name, catalogue())
            return dg.MaterializeResult(metadata=table_metadata(con, f"core.{name}"))

    return _catalogue


CORE_ASSETS = [sql_model_asset("core", n, s) for n, s in sql_models(CORE_DIR).items()] + \
              [catalogue_asset(n) for n in CATALOGUE_TABLES]
