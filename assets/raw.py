"""Raw layer: one asset per landing source. Loads new files into raw.<source> exactly as delivered."""


import dagster as dg

from assets.common import owners, table_key, table_metadata
from sources import CONTRACTS
from sources.contract import SourceContract
from sources.reader import load_source
from warehouse.db import WarehouseResource
from warehouse.settings import load_settings


def raw_asset(contract: SourceContract) -> dg.AssetsDefinition:
    key = table_key(f"raw.{contract.name}")
    readable = dg.AssetCheckSpec("files_readable", asset=key, blocking=True,
                                 description="Every delivered file could be read and matched to its contract.")

    @dg.asset(
        key=key,
        group_name="raw",
        kinds={"duckdb", contract.format},
        owners=owners(contract.owner.team, contract.owner.email),
        description=f"{contract.title}, as delivered by {contract.provider} ({contract.system}). "
                    f"{contract.description}".strip(),
        metadata={"landing_pattern": contract.file_glob, "format": contract.format, "encoding": contract.encoding,
                  "cadence": contract.cadence.frequency, "personal_columns": ", ".join(contract.personal_columns)},
        check_specs=[readable],
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        folder = load_settings().landing_for(contract.name)
        with warehouse.connect() as con:
            report = load_source(con, contract, folder, context.run_id)
            metadata = table_metadata(con, f"raw.{contract.name}")
        context.log.info(f"{contract.name}: {len(report.files_loaded)} new file(s), {report.rows_loaded} rows; "
                         f"{len(report.files_skipped)} already loaded; {len(report.errors)} unreadable")
        for note in report.notes:
            context.log.warning(f"{contract.name}: {note}")
        check = dg.AssetCheckResult(
            check_name="files_readable",
            passed=not report.errors,
            severity=dg.AssetCheckSeverity.ERROR,
            description=("All delivered files were read." if not report.errors else
                         f"{len(report.errors)} file(s) of {contract.title} could not be loaded; the rest were."),
            metadata={"errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in report.errors) or "none"),
                      "owner": contract.owner.email},
        )
        return dg.MaterializeResult(
            metadata={**metadata, "landing_folder": str(folder), "files_found": report.files_found,
                      "files_loaded": len(report.files_loaded), "files_already_loaded": len(report.files_skipped),
                      "rows_loaded": report.rows_loaded,
                      "notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in report.notes) or "none")},
            check_results=[check],
        )

    return _raw


RAW_ASSETS = [raw_asset(c) for c in CONTRACTS.values()]
