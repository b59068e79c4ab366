"""Core layer: dimensions and facts, one asset per SQL model in warehouse/sql/core, plus the catalogue
dimensions (purposes, teams, measures) read from warehouse/catalogue."""


import dagster as dg

from assets.common import table_key, table_metadata
from warehouse.catalogue import catalogue
from warehouse.catalogue_tables import CATALOGUE_TABLES, build_catalogue_table
from warehouse.db import WarehouseResource
from warehouse.models import CORE_DIR, build_table, referenced_tables, sql_models

POLICY_OWNERS = ["policy.team@bromsgrove.example", "team:policy"]


def _description(sql: str) -> str:
    lines = [ln[2:].strip() for ln in sql.splitlines() if ln.startswith("--")]
    return " ".join(lines)


def core_sql_asset(name: str, sql: str) -> dg.AssetsDefinition:
    @dg.asset(key=table_key(f"core.{name}"), group_name="core", kinds={"duckdb", "sql"}, owners=POLICY_OWNERS,
              deps=[table_key(t) for t in referenced_tables(sql) if t != f"core.{name}"],
              description=f"{_description(sql)} SQL: warehouse/sql/core/{name}.sql")
    def _core(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            build_table(con, f"core.{name}", sql)
            return dg.MaterializeResult(metadata=table_metadata(con, f"core.{name}"))

    return _core


def catalogue_asset(name: str) -> dg.AssetsDefinition:
    @dg.asset(key=table_key(f"core.{name}"), group_name="core", kinds={"duckdb", "yaml"}, owners=POLICY_OWNERS,
              description=f"The measure catalogue's {name.removeprefix('dim_')}s, from warehouse/catalogue/.")
    def _catalogue(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            build_catalogue_table(con, name, catalogue())
            return dg.MaterializeResult(metadata=table_metadata(con, f"core.{name}"))

    return _catalogue


CORE_ASSETS = [core_sql_asset(n, s) for n, s in sql_models(CORE_DIR).items()] + \
              [catalogue_asset(n) for n in CATALOGUE_TABLES]
