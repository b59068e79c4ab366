"""Raw layer: one asset per landing source. Loads new files into raw.<source> exactly as delivered."""


import dagster as dg

from assets.common import REFERENCE_GROUP, code_version, owners, run_settings, table_key, table_metadata
from sources import CONTRACTS
from sources.contract import SourceContract
from sources.reader import load_source
from warehouse.resource import WarehouseResource
from warehouse.settings import SettingsResource


def raw_asset(contract: SourceContract) -> dg.AssetsDefinition:
    key = table_key(f"raw.{contract.name}")
    readable = dg.AssetCheckSpec("files_readable", asset=key,
                                 description="Every delivered file could be read and matched to its contract. A "
                                             "refused file (ERROR) holds its source back at its last good data "
                                             "until a corrected delivery replaces it; a file still being copied "
                                             "or locked (WARN) is tried again on the next run.")

    @dg.asset(
        key=key,
        group_name=REFERENCE_GROUP if contract.kind == "reference" else "raw",
        kinds={"duckdb", contract.format},
        owners=owners(contract.owner.team, contract.owner.email),
        description=f"{contract.title}, as delivered by {contract.provider} ({contract.system}). "
                    f"{contract.description}".strip(),
        metadata={"landing_pattern": contract.file_glob, "format": contract.format, "encoding": contract.encoding,
                  "cadence": contract.cadence.frequency, "personal_columns": ", ".join(contract.personal_columns)},
        check_specs=[readable],
        code_version=code_version(repr(contract)),
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
             settings: SettingsResource) -> dg.MaterializeResult:
        folder = run_settings(settings, warehouse).landing_for(contract.name)
        with warehouse.connect() as con:
            report = load_source(con, contract, folder, context.run_id)
            metadata = table_metadata(con, f"raw.{contract.name}")
        context.log.info(f"{contract.name}: {len(report.files_loaded)} new file(s), {report.rows_loaded} rows; "
                         f"{len(report.files_skipped)} already loaded; {len(report.errors)} refused; "
                         f"{len(report.deferred)} not ready")
        for note in report.notes:
            context.log.warning(f"{contract.name}: {note}")
        check = dg.AssetCheckResult(
            check_name="files_readable",
            passed=not report.errors and not report.deferred,
            severity=dg.AssetCheckSeverity.ERROR if report.errors else dg.AssetCheckSeverity.WARN,
            description=_readable_summary(contract.title, report),
            metadata={"errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in report.errors) or "none"),
                      "tried_again_next_run": dg.MetadataValue.md(
                          "\n".join(f"- {e}" for e in report.deferred) or "none"),
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


def _readable_summary(title: str, report) -> str:
    if report.errors:
        return (f"{len(report.errors)} file(s) of {title} were refused; the rest were loaded. The source is held "
                "back at its last good data until each refused file is replaced by a corrected delivery.")
    if report.deferred:
        return f"{len(report.deferred)} file(s) of {title} were still being copied or locked; tried again next run."
    return "All delivered files were read."


RAW_ASSETS = [raw_asset(c) for c in CONTRACTS.values()]
