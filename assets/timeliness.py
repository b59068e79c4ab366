"""Timeliness, judged every night: whether each monthly source delivered on its cadence and each measure's
latest value is recent enough. It depends on the night (`as_of`), not on the data, so it runs even on a night
when nothing arrived and nothing else is rebuilt (pipelines/selection.py), as one step for every subject."""

import dagster as dg

from assets.checks import check_result, criterion_specs
from assets.common import run_settings, table_key, table_of
from quality import measure_checks, source_checks
from quality.outcome import record
from sources import CONTRACTS
from warehouse.catalogue import catalogue
from warehouse.resource import WarehouseResource
from warehouse.settings import SettingsResource

MONTHLY_SOURCES = [c for c in CONTRACTS.values() if c.cadence.frequency == "monthly"]
JUDGED = " (Judged every night against the night's date.)"
SPECS = [*(s for c in MONTHLY_SOURCES for s in criterion_specs(table_key(f"staging.{c.name}"), ("timely",), JUDGED)),
         *(s for m in catalogue().measures for s in criterion_specs(table_key(f"measures.{m}"), ("timely",), JUDGED))]
CHECK_KEYS = [spec.key for spec in SPECS]


@dg.multi_asset_check(specs=SPECS, name="timeliness", can_subset=True,
                      description="Every night: monthly sources delivered by their due day (WARN, then ERROR after "
                                  "the grace days) with no month missing; each measure's latest period recent enough.")
def timeliness(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, settings: SettingsResource):
    resolved = run_settings(settings, warehouse)
    as_of, prefix = resolved.as_of, resolved.asset_prefix
    selected = {dg.AssetCheckKey(table_key(table_of(k.asset_key)), k.name) for k in context.selected_asset_check_keys}
    with warehouse.connect() as con:
        outcomes = [source_checks.timely(con, c, as_of) for c in MONTHLY_SOURCES
                    if _selected(selected, "staging", c.name)]
        outcomes += [measure_checks.timely(con, m, as_of) for m in catalogue().measures.values()
                     if _selected(selected, "measures", m.id)]
        record(con, outcomes, context.run.run_id)
    for outcome in outcomes:
        kind = "staging" if outcome.subject_type == "source" else "measures"
        yield check_result(outcome, asset_key=table_key(f"{kind}.{outcome.subject}", prefix))


def _selected(selected: set[dg.AssetCheckKey], schema: str, name: str) -> bool:
    return dg.AssetCheckKey(table_key(f"{schema}.{name}"), "timely") in selected
