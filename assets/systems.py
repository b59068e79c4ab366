"""Systems-thinking marts (seed sections 3 and 10): SPC capability charts for every measure and for each
service's end-to-end time, and the outcome of each check-plan-do trial. The demand, end-to-end distribution
and cost marts are plain SQL models in warehouse/sql/marts (see assets/marts.py)."""


import dagster as dg

from assets.checks import check_result, criterion_specs
from assets.common import NIGHT_MONTH, POLICY_OWNERS, code_version, described, run_settings, table_key, table_metadata
from outputs.returns import latest_month, write_templates
from quality.mart_checks import RULES as MART_RULES
from quality.mart_checks import judge_mart
from quality.outcome import record
from warehouse.catalogue import catalogue, catalogue_text
from warehouse.resource import WarehouseResource
from warehouse.settings import SettingsResource
from warehouse.spc_marts import READS as SPC_READS
from warehouse.spc_marts import build_end_to_end_spc, build_measure_spc
from warehouse.trials import READS as TRIAL_READS
from warehouse.trials import build_trial_outcomes


def _deps(mart: str, reads: dict[str, tuple[str, ...]]) -> list[dg.AssetKey]:
    return [table_key(t) for t in reads[mart]]


def _summary(con, table: str, where: str = "is_latest") -> dict:
    """How many series end on special cause improvement / concern, for the Dagster UI."""
    counts = dict(con.execute(f"SELECT point_type, count(*) FROM {table} WHERE {where} GROUP BY ALL").fetchall())
    return {f"latest_{k}": v for k, v in sorted(counts.items())}


@dg.asset(key=table_key("marts.measure_spc"), group_name="marts", kinds={"duckdb", "python"}, owners=POLICY_OWNERS,
          code_version=code_version(catalogue_text()),
          deps=_deps("marts.measure_spc", SPC_READS),
          description=described("marts.measure_spc", "Code: warehouse/spc.py, warehouse/spc_marts.py"))
def measure_spc(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        rows = build_measure_spc(con, catalogue())
        context.log.info(f"marts.measure_spc: {rows} points")
        return dg.MaterializeResult(metadata={**table_metadata(con, "marts.measure_spc"),
                                              **_summary(con, "marts.measure_spc",
                                                         "is_latest AND area_type = 'district'")})


@dg.asset(key=table_key("marts.end_to_end_spc"), group_name="marts", kinds={"duckdb", "python"},
          code_version=code_version(),
          owners=POLICY_OWNERS, deps=_deps("marts.end_to_end_spc", SPC_READS),
          description=described("marts.end_to_end_spc", "Code: warehouse/spc_marts.py"))
def end_to_end_spc(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        build_end_to_end_spc(con)
        return dg.MaterializeResult(metadata={**table_metadata(con, "marts.end_to_end_spc"),
                                              **_summary(con, "marts.end_to_end_spc")})


@dg.asset(key=table_key("marts.trial_outcomes"), group_name="marts", kinds={"duckdb", "python"},
          code_version=code_version(catalogue_text()),
          owners=POLICY_OWNERS, deps=_deps("marts.trial_outcomes", TRIAL_READS),
          description=described("marts.trial_outcomes", "Code: warehouse/trials.py"))
def trial_outcomes(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        build_trial_outcomes(con, catalogue())
        verdicts = con.execute("SELECT trial_id || ' / ' || measure_id, summary FROM marts.trial_outcomes").fetchall()
        return dg.MaterializeResult(metadata={**table_metadata(con, "marts.trial_outcomes"),
                                              "verdicts": dg.MetadataValue.md(
                                                  "\n".join(f"- **{k}**: {s}" for k, s in verdicts) or "no trials")})




@dg.asset(key=dg.AssetKey(["outputs", "return_templates"]), group_name="outputs", kinds={"xlsx"},
          code_version=code_version(catalogue_text()),
          owners=POLICY_OWNERS, deps=[table_key("marts.commentary_status")],
          description="Each team's performance return template for the latest month (its measures, values and "
                      "any commentary so far), in $BDC_OUTPUTS_DIR/returns/<YYYY-MM>/ for officers to complete "
                      "and drop into the performance_returns landing folder. A template already there is kept. "
                      "Code: outputs/returns.py")
def return_templates(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     settings: SettingsResource) -> dg.MaterializeResult:
    settings = run_settings(settings, warehouse)
    with warehouse.connect() as con:
        month = latest_month(con, settings.as_of)
        if month is None:
            context.log.info("no measure values yet: no return templates written")
            return dg.MaterializeResult(metadata={"files": 0, NIGHT_MONTH: f"{settings.as_of:%Y-%m}"})
        folder = settings.outputs_dir / "returns" / f"{month:%Y-%m}"
        files = write_templates(con, catalogue(), month, folder)
    context.log.info(f"{len(files)} new return templates for {month:%B %Y} in {folder} (existing ones kept)")
    return dg.MaterializeResult(metadata={"files": len(files), "month": f"{month:%Y-%m}",
                                          "folder": dg.MetadataValue.path(str(folder)),
                                          NIGHT_MONTH: f"{settings.as_of:%Y-%m}"})


SYSTEMS_ASSETS = [measure_spc, end_to_end_spc, trial_outcomes]


@dg.multi_asset_check(
    specs=[s for mart in MART_RULES
           for s in criterion_specs(table_key(mart), ("accurate",), " (Totals reconcile; quality/mart_checks.py.)")],
    name="systems_marts_accurate", can_subset=True,
    description="The systems-thinking marts reconcile with their facts and hold possible figures.")
def systems_marts_accurate(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                           settings: SettingsResource):
    prefix = run_settings(settings, warehouse).asset_prefix
    with warehouse.connect() as con:
        for mart in MART_RULES:
            key = table_key(mart, prefix)
            if dg.AssetCheckKey(key, "accurate") not in context.selected_asset_check_keys:
                continue  # a sensor's run may rebuild some of the marts only
            outcome = judge_mart(con, mart, POLICY_OWNERS[0])
            record(con, [outcome], context.run.run_id)
            yield check_result(outcome, asset_key=key)
