"""The Corporate Management Team's focus list: the measures each Cabinet (bi-monthly) and Overview and Scrutiny
(quarterly) report highlights beside the standard key organisational measures (seed section 8)."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import KNOWN_MEASURE, REQUIRED_DATE, TEXT

CONTRACT = SourceContract(
    name="focus_measures",
    title="CMT focus measures for Cabinet and O&S reports",
    kind="reference",
    provider="Bromsgrove District Council, Corporate Management Team",
    system="Policy Team spreadsheet",
    format="csv",
    file_glob="focus_*.csv",
    columns=(
        Column("Report", description="Cabinet, or Overview and Scrutiny (also: O&S, Scrutiny)"),
        Column(
            "Period",
            description="First month of the reporting period, YYYY-MM (Cabinet: Apr, Jun, Aug, Oct, "
            "Dec, Feb; O&S: Apr, Jul, Oct, Jan)",
        ),
        Column("Measure ID", description="Catalogue id of the measure to focus on"),
        Column("Reason", required=False, description="Why CMT chose it, in a sentence for Members"),
    ),
    cadence=Cadence("ad hoc"),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="Focus measures per report period (seed section 8); reports build without one.",
    staged={
        "report": Field("string", False, isin=("cabinet", "scrutiny")),
        "period_start": REQUIRED_DATE,
        "measure_id": Field("string", False),
        "reason": TEXT,
    },
    key=("report", "period_start", "measure_id"),
    key_scope="each file",
    formula_screened=("reason",),
    extra_rules=(KNOWN_MEASURE,),
)
