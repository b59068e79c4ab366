"""Landing sources: one folder per source, `sources/<name>/` with its contract (`contract.py`), staging SQL
(`staging.sql`) and sample generator (`sample.py`). Adding a source is its folder plus a line in ALL_SOURCES."""

from __future__ import annotations

from types import ModuleType

from sources import (
    benefits_claims,
    census_ts001,
    census_ts007a,
    crm_contacts,
    dfg_cases,
    finance_ledger,
    focus_measures,
    housing_options,
    hr_absence,
    imd2019,
    leisure_visits,
    lettings,
    llpg,
    localities,
    ons_lookup,
    performance_returns,
    planning_applications,
    police_street,
    trials_register,
    waste_reports,
)
from sources.contract import SourceContract
from warehouse.council import Council

# Reference data first: the generator and the docs list them in this order.
ALL_SOURCES: tuple[ModuleType, ...] = (
    localities, ons_lookup, llpg, census_ts001, census_ts007a, imd2019,
    crm_contacts, housing_options, benefits_claims, planning_applications, dfg_cases, waste_reports, hr_absence,
    finance_ledger, police_street, lettings, leisure_visits, trials_register,
    performance_returns, focus_measures,
)
CONTRACTS: dict[str, SourceContract] = {m.CONTRACT.name: m.CONTRACT for m in ALL_SOURCES}


def check_council_thresholds(council: Council) -> None:
    """Refuse a council profile whose `thresholds.sources` names a source there is no contract for: a misspelt
    name would otherwise change nothing, silently."""
    unknown = sorted(set(council.thresholds.sources) - set(CONTRACTS))
    if unknown:
        raise ValueError(f"councils/{council.id}.yaml: thresholds.sources names no source: {', '.join(unknown)} "
                         f"(the sources are {', '.join(sorted(CONTRACTS))})")
