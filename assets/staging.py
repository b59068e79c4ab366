"""Staging layer: typed, conformed, personal data removed; rows that fail go to audit.quarantine."""


import dagster as dg

from assets.checks import check_result, criterion_specs
from assets.common import REFERENCE_GROUP, code_version, owners, run_settings, table_key, table_metadata
from quality.holds import judged_build
from quality.outcome import BUILT_WITH, record
from quality.source_checks import judge_source
from sources import CONTRACTS
from sources.contract import SourceContract
from sources.refusals import outstanding_refusals
from sources.rules import rules_version
from sources.staging import stage_source
from warehouse.models import referenced_tables
from warehouse.resource import WarehouseResource
from warehouse.settings import SettingsResource


def staging_asset(contract: SourceContract) -> dg.AssetsDefinition:
    key = table_key(f"staging.{contract.name}")
    criteria = BUILT_WITH  # timely: assets/timeliness.py

    @dg.asset(
        key=key,
        group_name=REFERENCE_GROUP if contract.kind == "reference" else "staging",
        kinds={"duckdb", "sql"},
        owners=owners(contract.owner.team, contract.owner.email),
        deps=[table_key(t) for t in referenced_tables(contract.staging_sql())],
        description=f"{contract.title}: typed and conformed; personal data removed "
                    f"({', '.join(contract.personal_columns) or 'none delivered'}). Contract (pandera schema and "
                    f"row rules generated from it): sources/{contract.name}/contract.py; SQL: "
                    f"sources/{contract.name}/staging.sql. Held back at its last good rows while a blocking check "
                    f"fails or a delivered file is refused.",
        check_specs=criterion_specs(key, criteria, holds_back=True),
        code_version=code_version(repr(contract), contract.staging_sql(), rules_version(contract)),
    )
    def _staging(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                 settings: SettingsResource) -> dg.MaterializeResult:
        as_of = run_settings(settings, warehouse).as_of
        with warehouse.connect() as con:
            refused = outstanding_refusals(con, contract.name)
            # Staged and judged as one: a blocking failure (or a refused file) rolls staging back to its last
            # good rows, so nothing built from this source tonight or later sees the failed delivery.
            with judged_build(con, "source", contract.name, context.run_id, as_of) as gate:
                report = stage_source(con, contract, context.run_id)
                reasons = con.execute("""SELECT reason, count(*) AS n FROM audit.quarantine WHERE source = ?
                                         GROUP BY reason ORDER BY n DESC LIMIT 5""", [contract.name]).fetchall()
                outcomes = judge_source(con, contract, context.run_id)
                gate.hold_for(outcomes)
                gate.reasons += [f"file refused: {name}: {problem}" for name, problem in refused]
            record(con, outcomes, context.run_id)
            metadata = table_metadata(con, f"staging.{contract.name}")
        mode = "held back" if gate.held else report.mode
        context.log.info(f"staging.{contract.name}: {mode} ({report.reason})")
        if gate.held:
            context.log.warning(f"staging.{contract.name} is held back at its last good data since {gate.since}: "
                                + "; ".join(gate.reasons))
        held = {"held_back": gate.held,
                "held_back_reason": dg.MetadataValue.md("\n".join(f"- {r}" for r in gate.reasons) or "none")}
        return dg.MaterializeResult(
            metadata={**metadata, "staging_mode": mode, "staging_mode_reason": report.reason,
                      "quarantined_rows": report.quarantined_rows,
                      "out_of_scope_rows": report.out_of_scope_rows,
                      "top_quarantine_reasons": dg.MetadataValue.md(
                          "\n".join(f"- {n} x {r}" for r, n in reasons) or "none"), **held},
            check_results=[check_result(o, held=gate.held) for o in outcomes],
        )

    return _staging


STAGING_ASSETS = [staging_asset(c) for c in CONTRACTS.values()]
