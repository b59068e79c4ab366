"""Marts: the tidy measure_values table and the three parts of the Dashboard (seed section 7)."""


import datetime as dt
from pathlib import Path

import dagster as dg

from assets.checks import check_result, criterion_specs
from assets.common import NIGHT_MONTH, POLICY_OWNERS, code_version, sql_model_asset, table_key, table_metadata
from assets.core import CORE_ASSETS
from assets.systems import SYSTEMS_ASSETS
from quality.holds import build_data_holds
from quality.outcome import OWNERSHIP_CHECKS, combine, record
from quality.ownership import judge_ownership
from sources import CONTRACTS
from warehouse.catalogue import catalogue
from warehouse.db import WarehouseResource
from warehouse.models import MARTS_DIR, build_table, rebuild_keeping_history, sql_models
from warehouse.publish import COMPACTED, publish
from warehouse.settings import load_settings

QUALITY_DIR = Path(__file__).resolve().parent.parent / "quality"
SCORECARD_SQL = QUALITY_DIR / "scorecard.sql"
COMMENTARY_SQL = QUALITY_DIR / "commentary_status.sql"
MEASURE_VALUES_CRITERIA = ("well_defined", "timely", "reliable", "accurate")
DASHBOARD_CRITERIA = ("well_defined", "reliable", "accurate")

MEASURE_VALUES_COLUMNS = ("measure_id, period_start, period_end, area_type, area_code, value, numerator, "
                          "denominator, observations")


def measure_values_sql() -> str:
    return "\nUNION ALL\n".join(f"SELECT {MEASURE_VALUES_COLUMNS} FROM measures.{m}" for m in catalogue().measures)


@dg.asset(key=table_key("marts.measure_values"), group_name="marts", kinds={"duckdb", "sql"}, owners=POLICY_OWNERS,
          code_version=code_version(measure_values_sql()),
          deps=[table_key(f"measures.{m}") for m in catalogue().measures],
          description="Every measure, tidy: one row per measure x period x area (district, locality, ward, "
                      "team), with value, numerator and denominator.")
def measure_values(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        changes = rebuild_keeping_history(con, measure_values_sql(), context.run_id)
        if changes:
            context.log.info(f"{changes} earlier measure value(s) changed; see audit.measure_value_changes")
        return dg.MaterializeResult(metadata={**table_metadata(con, "marts.measure_values"),
                                              "earlier_values_changed": changes})


@dg.asset(key=table_key("marts.data_holds"), group_name="marts", kinds={"duckdb", "python"}, owners=POLICY_OWNERS,
          code_version=code_version(),
          deps=[*(table_key(f"staging.{c}") for c in CONTRACTS),
                *(table_key(f"measures.{m}") for m in catalogue().measures)],
          description="For every measure: whether its values are held back at their last good version because a "
                      "source it is built from (or the measure itself) failed a blocking check or had a file "
                      "refused; by what, since when and why. Code: quality/holds.py")
def data_holds(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        build_data_holds(con, list(catalogue().measures))
        held = con.execute("SELECT measure_id, held_by FROM marts.data_holds WHERE held_back").fetchall()
        metadata = table_metadata(con, "marts.data_holds")
    if held:
        context.log.warning(f"{len(held)} measure(s) held back: " + "; ".join(f"{m} ({b})" for m, b in held))
    return dg.MaterializeResult(metadata={**metadata, "measures_held_back": len(held)})


# Every SQL model in warehouse/sql/marts; the three dashboard_* marts also have GX suites.
SQL_MART_ASSETS = [sql_model_asset("marts", n, s) for n, s in sql_models(MARTS_DIR).items()]
DASHBOARD_ASSETS = [a for a in SQL_MART_ASSETS if a.key.path[-1].startswith("dashboard_")]
DASHBOARD_KEYS = [a.key for a in DASHBOARD_ASSETS]


GX = " (Great Expectations suites.)"


def _run_gx(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
            marts: list[str], criteria: tuple[str, ...]):
    from quality.gx_marts import outcomes, validate_marts  # lazy: GX costs seconds and ~240 MB to import

    measures = list(catalogue().measures.values())
    owners = {m.id: m.owner_email for m in measures}
    # Only the marts this step's checks are on: Dagster may split the checks into several steps, each run as
    # soon as its own marts are built, and a sensor's run may select some of the marts only.
    selected = context.selected_asset_check_keys
    marts = [m for m in marts if any(dg.AssetCheckKey(table_key(m), c) in selected for c in criteria)]
    on_measure_values = "marts.measure_values" in marts
    dashboards = tuple(m.removeprefix("marts.") for m in marts if m != "marts.measure_values")
    with warehouse.connect() as con:
        report = validate_marts(con, measures if on_measure_values else [], load_settings().quality_dir,
                                dashboards=dashboards)
        docs = {"data_docs": dg.MetadataValue.url(report.docs_index.as_uri()),
                "expectations_run": report.expectations, "suites_validated": report.validated,
                "suites_unchanged_not_rerun": report.unchanged}
        for mart in marts:
            for criterion in criteria:
                if dg.AssetCheckKey(table_key(mart), criterion) not in selected:
                    continue
                found = outcomes(report, mart, criterion, owners, POLICY_OWNERS[0])
                record(con, found, context.run.run_id)
                whole = combine(found, "mart", mart, criterion, POLICY_OWNERS[0], f"gx:{mart}")
                yield check_result(whole, asset_key=table_key(mart), extra_metadata=docs)


@dg.multi_asset_check(specs=criterion_specs(table_key("marts.measure_values"), MEASURE_VALUES_CRITERIA, GX),
                      name="measure_values_expectations", can_subset=True,
                      description="Great Expectations suites per measure on marts.measure_values, with Data Docs.")
def measure_values_expectations(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    yield from _run_gx(context, warehouse, ["marts.measure_values"], MEASURE_VALUES_CRITERIA)


@dg.multi_asset_check(specs=[s for k in DASHBOARD_KEYS for s in criterion_specs(k, DASHBOARD_CRITERIA, GX)],
                      name="dashboard_expectations", can_subset=True,
                      description="Great Expectations suites on the three dashboard marts, with Data Docs.")
def dashboard_expectations(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    yield from _run_gx(context, warehouse, [".".join(k.path) for k in DASHBOARD_KEYS], DASHBOARD_CRITERIA)


@dg.asset(key=table_key("marts.commentary_status"), group_name="marts", kinds={"duckdb", "sql"},
          code_version=code_version(COMMENTARY_SQL.read_text(encoding="utf-8")),
          owners=POLICY_OWNERS,
          deps=[measure_values, table_key("core.measure_commentary"), table_key("core.dim_measure")],
          check_specs=criterion_specs(table_key("marts.commentary_status"), OWNERSHIP_CHECKS),
          description="Each measure's latest period: the owner's commentary and a manager's sign-off, with who "
                      "and when, and what is missing. SQL: quality/commentary_status.sql")
def commentary_status(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        build_table(con, "marts.commentary_status", COMMENTARY_SQL.read_text(encoding="utf-8"))
        found = judge_ownership(con, catalogue())
        record(con, found, context.run_id)
        flagged = con.execute("SELECT count(*) FROM marts.commentary_status WHERE flag IS NOT NULL").fetchone()[0]
        metadata = {**table_metadata(con, "marts.commentary_status"), "measures_flagged": flagged,
                    NIGHT_MONTH: f"{load_settings().as_of:%Y-%m}"}
    results = [check_result(combine([o for o in found if o.criterion == c], "mart", "marts.commentary_status", c,
                                    POLICY_OWNERS[0], c)) for c in OWNERSHIP_CHECKS]
    return dg.MaterializeResult(metadata=metadata, check_results=results)


@dg.asset(key=table_key("marts.quality_scorecard"), group_name="marts", kinds={"duckdb", "sql"},
          code_version=code_version(SCORECARD_SQL.read_text(encoding="utf-8")),
          owners=POLICY_OWNERS, deps=[measure_values, data_holds, *DASHBOARD_ASSETS, commentary_status],
          description="Data quality next to each measure: one row per measure x criterion x run with pass / "
                      "warn / fail, the reason and when it last passed. SQL: quality/scorecard.sql")
def quality_scorecard(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        build_table(con, "marts.quality_scorecard", SCORECARD_SQL.read_text(encoding="utf-8"))
        return dg.MaterializeResult(metadata=table_metadata(con, "marts.quality_scorecard"))


@dg.asset(key=dg.AssetKey(["published", "warehouse"]), group_name="publish", kinds={"duckdb"},
          code_version=code_version(),
          owners=POLICY_OWNERS,
          # Published every night: a day and a bit without a new copy is a warning, two days a failure.
          freshness_policy=dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=48),
                                                          warn_window=dt.timedelta(hours=26)),
          # Every core table too: some (e.g. core.focus_measures) feed only the outputs, not a mart.
          deps=[*CORE_ASSETS, measure_values, data_holds, *SQL_MART_ASSETS, *SYSTEMS_ASSETS, commentary_status,
                quality_scorecard],
          description="Read-only copy of core, marts and audit for BI tools, swapped in atomically. "
                      "Skipped when any blocking check upstream fails, so readers keep the last good data.")
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = load_settings()
    path = settings.published_path
    with warehouse.connect() as con:
        counts = publish(con, path, context.run_id, settings.alerts_path)
    compacted_from = counts.pop(COMPACTED, None)
    size = path.stat().st_size
    context.log.info(f"published {len(counts)} tables to {path} ({size:,} bytes"
                     + (f", compacted from {compacted_from:,})" if compacted_from else ")"))
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path)), "tables": len(counts),
                                          "rows": sum(counts.values()), "bytes": size,
                                          "compacted_from_bytes": compacted_from or 0})
