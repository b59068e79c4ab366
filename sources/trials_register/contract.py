"""The check-plan-do trials register: trials of new system designs and other recorded system changes."""

from __future__ import annotations

from sources.contract import Cadence, Column, Field, Owner, SourceContract
from sources.fields import KEY, KNOWN_MEASURE, REQUIRED_DATE, TEXT

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
    staged={
        "trial_id": KEY,
        "service": TEXT,
        "start_date": REQUIRED_DATE,
        "description": TEXT,
        "measure_id": Field("string", False),
        "lead_officer": TEXT,
    },
    key=("trial_id", "measure_id"),
    formula_screened=("service", "description", "lead_officer"),
    extra_rules=(KNOWN_MEASURE,),
)
