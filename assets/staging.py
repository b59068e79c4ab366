"""Staging layer: typed, conformed, personal data removed; rows that fail go to audit.quarantine."""


import dagster as dg

from assets.checks import check_result, criterion_specs
from assets.common import owners, table_key, table_metadata
from quality.contracts import quarantine_rule_failures
from quality.outcome import record
from quality.source_checks import judge_source
from quality.source_rules import CONTRACTS as STAGED_CONTRACTS
from sources import CONTRACTS
from sources.contract import SourceContract
from warehouse.db import WarehouseResource
from warehouse.models import referenced_tables, stage_source
from warehouse.settings import load_settings


def staging_asset(contract: SourceContract) -> dg.AssetsDefinition:
    key = table_key(f"staging.{contract.name}")
    staged_contract = STAGED_CONTRACTS[contract.name]
    criteria = ("relevant", "well_defined", *(("timely",) if contract.cadence.frequency == "monthly" else ()),
                "reliable", "verifiable", "accurate")

    @dg.asset(
        key=key,
        group_name="staging",
        kinds={"duckdb", "sql"},
        owners=owners(contract.owner.team, contract.owner.email),
        deps=[table_key(t) for t in referenced_tables(contract.staging_sql())],
        description=f"{contract.title}: typed and conformed; personal data removed "
                    f"({', '.join(contract.personal_columns) or 'none delivered'}). SQL: sources/{contract.name}.sql;"
                    f" pandera contract: quality/source_rules.py.",
        check_specs=criterion_specs(key, criteria),
    )
    def _staging(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            report = stage_source(con, contract, context.run_id,
                                  lambda c: quarantine_rule_failures(c, staged_contract),
                                  unique_key=staged_contract.unique_across_deliveries,
                                  rules_version=staged_contract.version())
            context.log.info(f"staging.{contract.name}: {report.mode} ({report.reason})")
            metadata = table_metadata(con, f"staging.{contract.name}")
            reasons = con.execute("""SELECT reason, count(*) AS n FROM audit.quarantine WHERE source = ?
                                     GROUP BY reason ORDER BY n DESC LIMIT 5""", [contract.name]).fetchall()
            outcomes = judge_source(con, contract, staged_contract, load_settings().as_of, context.run_id)
            record(con, outcomes, context.run_id)
        return dg.MaterializeResult(
            metadata={**metadata, "staging_mode": report.mode, "staging_mode_reason": report.reason,
                      "quarantined_rows": report.quarantined_rows,
                      "out_of_scope_rows": report.out_of_scope_rows,
                      "top_quarantine_reasons": dg.MetadataValue.md(
                          "\n".join(f"- {n} x {r}" for r, n in reasons) or "none")},
            check_results=[check_result(o) for o in outcomes],
        )

    return _staging


STAGING_ASSETS = [staging_asset(c) for c in CONTRACTS.values()]
