"""Measures: one asset per catalogue entry, grouped by strategic purpose. Adding a YAML file adds an asset."""


import dagster as dg

from assets.common import owners, table_key, table_metadata
from warehouse.catalogue import Measure, catalogue
from warehouse.db import WarehouseResource
from warehouse.measure_sql import compile_measure
from warehouse.models import build_table, referenced_tables


def measure_asset(measure: Measure) -> dg.AssetsDefinition:
    sql = compile_measure(measure)
    key = table_key(f"measures.{measure.id}")
    has_rows = dg.AssetCheckSpec("has_values", asset=key,
                                 description="The measure produced at least one council-wide value (WARN: its "
                                             "sources may not have delivered yet).")

    @dg.asset(
        key=key,
        group_name=f"measures_{measure.purpose}",
        kinds={"duckdb", "sql"},
        owners=owners(measure.team, measure.owner_email),
        deps=[table_key(t) for t in referenced_tables(sql)],
        description=f"**{measure.title}** ({measure.unit}; {measure.improvement} is better). {measure.definition}",
        metadata={"purpose": measure.purpose, "level": measure.level, "owner": measure.owner_name,
                  "numerator": measure.numerator, "denominator": measure.denominator or "",
                  "catalogue_file": f"warehouse/catalogue/measures/{measure.id}.yaml",
                  "definition_sql": dg.MetadataValue.md(f"```sql\n{measure.sql}\n```")},
        check_specs=[has_rows],
    )
    def _measure(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            build_table(con, f"measures.{measure.id}", sql)
            metadata = table_metadata(con, f"measures.{measure.id}")
            latest = con.execute(f"""SELECT period_start, value FROM measures.{measure.id}
                                     WHERE area_type = 'district' ORDER BY period_start DESC LIMIT 1""").fetchone()
        check = dg.AssetCheckResult(
            check_name="has_values", passed=latest is not None, severity=dg.AssetCheckSeverity.WARN,
            description=(f"Latest council-wide value {latest[1]} for {latest[0]:%B %Y}." if latest else
                         f"{measure.title} has no council-wide values: its sources delivered nothing usable."),
            metadata={"owner": measure.owner_email},
        )
        extra = {"latest_period": str(latest[0]), "latest_value": latest[1]} if latest else {}
        return dg.MaterializeResult(metadata={**metadata, **extra}, check_results=[check])

    return _measure


MEASURE_ASSETS = [measure_asset(m) for m in catalogue().measures.values()]
