"""Marts: the tidy measure_values table and the three parts of the Dashboard (seed section 7)."""


import dagster as dg

from assets.common import POLICY_OWNERS, sql_model_asset, table_key, table_metadata
from warehouse.catalogue import catalogue
from warehouse.db import WarehouseResource
from warehouse.models import MARTS_DIR, build_table, sql_models
from warehouse.publish import publish
from warehouse.settings import load_settings

MEASURE_VALUES_COLUMNS = ("measure_id, period_start, period_end, area_type, area_code, value, numerator, "
                          "denominator, observations")


def measure_values_sql() -> str:
    return "\nUNION ALL\n".join(f"SELECT {MEASURE_VALUES_COLUMNS} FROM measures.{m}" for m in catalogue().measures)


@dg.asset(key=table_key("marts.measure_values"), group_name="marts", kinds={"duckdb", "sql"}, owners=POLICY_OWNERS,
          deps=[table_key(f"measures.{m}") for m in catalogue().measures],
          description="Every measure, tidy: one row per measure x period x area (district, locality, ward, "
                      "team), with value, numerator and denominator.")
def measure_values(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        build_table(con, "marts.measure_values", measure_values_sql())
        return dg.MaterializeResult(metadata=table_metadata(con, "marts.measure_values"))


DASHBOARD_ASSETS = [sql_model_asset("marts", n, s) for n, s in sql_models(MARTS_DIR).items()]


@dg.asset(key=dg.AssetKey(["published", "warehouse"]), group_name="publish", kinds={"duckdb"},
          owners=POLICY_OWNERS, deps=[measure_values, *DASHBOARD_ASSETS],
          description="Read-only copy of core, marts and audit for BI tools, swapped in atomically. "
                      "Skipped when any blocking check upstream fails, so readers keep the last good data.")
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    path = load_settings().published_path
    with warehouse.connect() as con:
        counts = publish(con, path, context.run_id)
    context.log.info(f"published {len(counts)} tables to {path}")
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path)), "tables": len(counts),
                                          "rows": sum(counts.values())})
