"""The six criteria as Dagster asset checks: specs for an asset, and results from quality Outcomes."""

import dagster as dg

from quality import holds
from quality.outcome import CRITERIA, Outcome

CRITERION_DESCRIPTIONS = {
    "relevant": "Relevant: linked to a purpose and used by a measure or dashboard (nothing orphaned).",
    "well_defined": "Well defined: complete definition, and the data matches its contract (types, codes, "
                    "no ambiguous categories).",
    "timely": "Timely: delivered on its cadence and recent enough to act on, with no missing period.",
    "reliable": "Reliable: volumes in line with history, no duplicate keys, definition unchanged mid-series.",
    "verifiable": "Verifiable: every value traces back to the delivered rows it came from, and recomputing "
                  "from them gives the same figure.",
    "accurate": "Accurate: values possible for what they measure (ranges, numerator within denominator, dates "
                "not in the future, totals reconcile).",
    "commentary": "Commentary: the owner has commented on the measure's latest period (seed section 7).",
    "sign_off": "Sign-off: a manager has confirmed the latest period's data and commentary (seed section 7).",
}
# Lateness and ownership are reported (WARN, then ERROR after a grace period) but never hold anything back:
# the last good data stays, marked late, on the Dashboard.
NOT_BLOCKING = holds.NOT_BLOCKING
HOLDS_BACK = (" An ERROR holds this data back at its last good version (quality/holds.py): what reads it keeps "
              "what last passed, and the rest of the warehouse is still refreshed and published.")


def criterion_specs(key: dg.AssetKey, criteria: tuple[str, ...] = CRITERIA, judged_by: str = "",
                    holds_back: bool = False) -> list[dg.AssetCheckSpec]:
    """One check per criterion on `key`. On a source or a measure (`holds_back`) an ERROR rolls that subject back
    to its last good data instead of stopping the run, so no check there is Dagster-blocking; on a mart, every
    criterion but the non-blocking ones blocks what depends on it (the published copy)."""
    return [dg.AssetCheckSpec(c, asset=key, blocking=not holds_back and c not in NOT_BLOCKING,
                              description=f"{CRITERION_DESCRIPTIONS[c]}{judged_by}"
                                          f"{HOLDS_BACK if holds_back and c not in NOT_BLOCKING else ''}")
            for c in criteria]


def check_result(outcome: Outcome, asset_key: dg.AssetKey | None = None,
                 extra_metadata: dict[str, object] | None = None, held: bool = False) -> dg.AssetCheckResult:
    """An Outcome as the Dagster check result the Policy Team reads: plain-English description and the
    subject, period, problems, failing row count, sample and owner as metadata. `held`: the subject was held
    back at its last good data tonight (said in the description of each failing blocking check)."""
    severity = dg.AssetCheckSeverity.ERROR if outcome.status == "fail" else dg.AssetCheckSeverity.WARN
    metadata: dict[str, object] = {
        "criterion": outcome.criterion,
        "status": outcome.status,
        outcome.subject_type: outcome.title or outcome.subject,
        "period": f"{outcome.period:%B %Y}" if outcome.period else "all periods",
        "what_failed": dg.MetadataValue.md("\n".join(f"- {p}" for p in outcome.problems) or "nothing"),
        "rows_failed": outcome.rows_failed,
        "owner": outcome.owner,
        "held_back": held,
    }
    if outcome.sample:
        metadata["sample"] = dg.MetadataValue.json(outcome.sample)
    description = outcome.summary
    if held and holds.blocking_failures([outcome]):  # a WARN never holds anything back
        description = (f"HELD BACK: {outcome.subject} keeps its last good data; what depends on it was not "
                       f"changed by this delivery. {description}")
    return dg.AssetCheckResult(
        check_name=outcome.criterion, asset_key=asset_key, passed=outcome.passed, severity=severity,
        description=description, metadata={**metadata, **(extra_metadata or {})})
