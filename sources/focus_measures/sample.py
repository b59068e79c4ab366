"""The Corporate Management Team's focus list: the measures each Cabinet (bi-monthly) and Overview and Scrutiny
(quarterly) report highlights beside the standard key organisational measures (seed section 8).

CMT keeps one CSV per report and period in the landing area. A re-delivered list for the same report and period
replaces the earlier one. A report still builds when there is no list for its period.
"""

from __future__ import annotations

from pathlib import Path

from sources.focus_measures.contract import CONTRACT
from sources.sample import SampleContext, add_months, write_delivery
from warehouse.reporting_periods import REPORT_KINDS, latest_ended_period

SAMPLE_FOCUS = {
    "cabinet": [
        (
            "fly_tipping_clearance_days",
            "Clearance times have been longer since the summer; CMT asked "
            "Environmental Services to explain the change.",
        ),
        ("housing_options_end_to_end_days", "Members asked how long homeless households wait for help."),
    ],
    "scrutiny": [("missed_bins", "The Board is reviewing the waste collection round changes.")],
}


def generate(ctx: SampleContext) -> list[Path]:
    """One focus list per report, for the period the next report covers when the sample is fresh."""
    paths = []
    for kind_id, measures in SAMPLE_FOCUS.items():
        period = latest_ended_period(REPORT_KINDS[kind_id], add_months(ctx.end_month, 1))
        label = "Cabinet" if kind_id == "cabinet" else "Overview and Scrutiny"
        rows = [(label, period.key, measure, reason) for measure, reason in measures]
        paths.append(write_delivery(ctx, CONTRACT, f"focus_{kind_id}_{period.key}.csv", rows))
    return paths
