"""Measures: one asset per catalogue entry, grouped by strategic purpose. Adding a YAML file adds an asset."""


import dagster as dg

from assets.checks import check_result, criterion_specs
from assets.common import built_because, code_version, owners, run_settings, table_key, table_metadata
from quality.holds import judged_build
from quality.measure_checks import judge_measure
from quality.outcome import BUILT_WITH, record
from warehouse.catalogue import Measure, catalogue
from warehouse.measure_sql import compile_measure
from warehouse.models import build_table, referenced_tables
from warehouse.resource import WarehouseResource
from warehouse.settings import SettingsResource


def measure_asset(measure: Measure) -> dg.AssetsDefinition:
    sql = compile_measure(measure)
    key = table_key(f"measures.{measure.id}")

    @dg.asset(
        key=key,
        group_name=f"measures_{measure.purpose}",
        kinds={"duckdb", "sql"},
        owners=owners(measure.team, measure.owner_email),
        deps=[table_key(t) for t in referenced_tables(sql)],
        description=f"**{measure.title}** ({measure.unit}; {measure.improvement} is better). {measure.definition}"
                    + (f" Formerly: {', '.join(measure.renamed_from)}." if measure.renamed_from else ""),
        metadata={"purpose": measure.purpose, "level": measure.level, "owner": measure.owner_name,
                  "numerator": measure.numerator, "denominator": measure.denominator or "",
                  "catalogue_file": f"warehouse/catalogue/measures/{measure.id}.yaml",
                  "definition_sql": dg.MetadataValue.md(f"```sql\n{measure.sql}\n```")},
        check_specs=criterion_specs(key, BUILT_WITH, holds_back=True),
        code_version=code_version(sql, repr(measure)),
    )
    def _measure(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                 settings: SettingsResource) -> dg.MaterializeResult:
        as_of = run_settings(settings, warehouse).as_of
        with warehouse.connect() as con:
            # Built and judged as one: a blocking failure keeps the measure's last good values.
            with judged_build(con, "measure", measure.id, context.run_id, as_of) as gate:
                build_table(con, f"measures.{measure.id}", sql)
                outcomes = judge_measure(con, measure, as_of, context.run_id)
                gate.hold_for(outcomes)
            record(con, outcomes, context.run_id)
            metadata = table_metadata(con, f"measures.{measure.id}")
            latest = con.execute(f"""SELECT period_start, value FROM measures.{measure.id}
                                     WHERE area_type = 'district' ORDER BY period_start DESC LIMIT 1""").fetchone()
        if gate.held:
            context.log.warning(f"measures.{measure.id} is held back at its last good values since {gate.since}: "
                                + "; ".join(gate.reasons))
        extra = {"latest_period": str(latest[0]), "latest_value": latest[1]} if latest else {}
        return dg.MaterializeResult(metadata={**metadata, **extra, "held_back": gate.held,
                                              "built_because": built_because(context)},
                                    check_results=[check_result(o, held=gate.held) for o in outcomes])

    return _measure


MEASURE_ASSETS = [measure_asset(m) for m in catalogue().measures.values()]
