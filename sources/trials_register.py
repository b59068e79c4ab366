"""The check-plan-do trials register: trials of new system designs and other recorded system changes.

Maintained by the Policy Team as one CSV in the landing area (edit it in place; the new version replaces the
old). Each row names the measures the change should move, separated by semicolons; the SPC of each of those
measures is rebased at the trial's start, and marts.trial_outcomes says whether the new design shows a signal.
"""

from __future__ import annotations

from pathlib import Path

from sources.contract import Cadence, Column, Owner, SourceContract
from sources.sample import SampleContext, add_months, write_delivery

CONTRACT = SourceContract(
    name="trials_register",
    title="Check-plan-do trials and system changes",
    kind="reference",
    provider="Bromsgrove District Council, Policy Team",
    system="Policy Team spreadsheet",
    format="csv",
    file_glob="trials*.csv",
    columns=(
        Column("Trial ID", description="Short unique name of the trial or change"),
        Column("Service", description="Service or team whose system changed"),
        Column("Start Date", description="When the new design started (dd/mm/yyyy)"),
        Column("Description", description="What changed, in plain words"),
        Column("Measures", description="Catalogue ids of the measures it should move, separated by ;"),
        Column("Lead Officer", required=False, description="Who leads the trial (a job title)"),
    ),
    several_rows_per_line=True,
    cadence=Cadence("ad hoc"),
    owner=Owner(team="policy", email="policy.team@bromsgrove.example"),
    description="Trials register (seed section 3): SPC rebases at each start; trial_outcomes judges each.",
)


def generate(ctx: SampleContext) -> list[Path]:
    # The CRM sample's failure demand falls when this redesign starts, twelve months before the end.
    start = add_months(ctx.end_month, -11)
    rows = [("CPD-01", "Customer Services", f"{start:%d/%m/%Y}",
             "Redesigned first contact: advisers resolve benefits and council tax queries end to end instead of "
             "passing them to the back office", "failure_demand_share; resolved_first_contact_pct",
             "Head of Customer Services")]
    return [write_delivery(ctx, CONTRACT, "trials.csv", rows)]
