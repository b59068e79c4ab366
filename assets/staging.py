"""Staging layer: typed, conformed, personal data removed; rows that fail go to audit.quarantine."""


import dagster as dg

from assets.common import owners, table_key, table_metadata
from sources import CONTRACTS
from sources.contract import SourceContract
from warehouse.db import WarehouseResource
from warehouse.models import referenced_tables, stage_source


def staging_asset(contract: SourceContract) -> dg.AssetsDefinition:
    key = table_key(f"staging.{contract.name}")
    conservation = dg.AssetCheckSpec(
        "row_conservation", asset=key, blocking=True,
        description="For every delivered file: raw rows = staged + quarantined + out of scope.")

    @dg.asset(
        key=key,
        group_name="staging",
        kinds={"duckdb", "sql"},
        owners=owners(contract.owner.team, contract.owner.email),
        deps=[table_key(t) for t in referenced_tables(contract.staging_sql())],
        description=f"{contract.title}: typed and conformed; personal data removed "
                    f"({', '.join(contract.personal_columns) or 'none delivered'}). SQL: sources/{contract.name}.sql",
        check_specs=[conservation],
    )
    def _staging(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            report = stage_source(con, contract, context.run_id)
            metadata = table_metadata(con, f"staging.{contract.name}")
            reasons = con.execute("""SELECT reason, count(*) AS n FROM audit.quarantine WHERE source = ?
                                     GROUP BY reason ORDER BY n DESC LIMIT 5""", [contract.name]).fetchall()
        balanced = not report.unbalanced_files
        check = dg.AssetCheckResult(
            check_name="row_conservation",
            passed=balanced,
            severity=dg.AssetCheckSeverity.ERROR,
            description="Every delivered row is accounted for." if balanced else
            f"{len(report.unbalanced_files)} file(s) lost or gained rows between raw and staging.",
            metadata={"unbalanced_files": dg.MetadataValue.json(
                [dict(zip(("file", "raw", "staged", "quarantined", "out_of_scope"), map(str, f), strict=True))
                 for f in report.unbalanced_files])},
        )
        return dg.MaterializeResult(
            metadata={**metadata, "quarantined_rows": report.quarantined_rows,
                      "out_of_scope_rows": report.out_of_scope_rows,
                      "top_quarantine_reasons": dg.MetadataValue.md(
                          "\n".join(f"- {n} x {r}" for r, n in reasons) or "none")},
            check_results=[check],
        )

    return _staging


STAGING_ASSETS = [staging_asset(c) for c in CONTRACTS.values()]
