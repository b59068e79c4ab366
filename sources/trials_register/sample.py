"""The check-plan-do trials register: trials of new system designs and other recorded system changes.

Maintained by the Policy Team as one CSV in the landing area (edit it in place; the new version replaces the
old). Each row names the measures the change should move, separated by semicolons; the SPC of each of those
measures is rebased at the trial's start, and marts.trial_outcomes says whether the new design shows a signal.
"""

from __future__ import annotations

from pathlib import Path

from sources.sample import SampleContext, add_months, write_delivery
from sources.trials_register.contract import CONTRACT


def generate(ctx: SampleContext) -> list[Path]:
    # The CRM sample's failure demand falls when this redesign starts, twelve months before the end.
    start = add_months(ctx.end_month, -11)
    rows = [
        (
            "CPD-01",
            "Customer Services",
            f"{start:%d/%m/%Y}",
            "Redesigned first contact: advisers resolve benefits and council tax queries end to end instead of "
            "passing them to the back office",
            "failure_demand_pct; resolved_first_contact_pct",
            "Head of Customer Services",
        )
    ]
    return [write_delivery(ctx, CONTRACT, "trials.csv", rows)]
