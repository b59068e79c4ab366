"""Every row-level rule the sources declare, enumerated from where each is declared once:

- **staging**: each reason of a source's staging SQL (`sources/<name>/staging.sql`), one per THEN (or ELSE) of
  every CASE in its `reasons([...]) AS _reject_reason` list, parsed with sqlglot. A reason's literal text must
  appear exactly; the parts concatenated from data (`'Report Type ' || coalesce(r."Report Type", '(blank)') ||
  ' is not known'`) match anything. The reason reaches `audit.quarantine.reason`, several joined by '; '.
- **row**: each pandera row rule `sources/rules.py` `row_rules` generates from a contract (`unique_key`,
  `<column>_not_in_future`, `in_delivery_period`, `<later>_not_before_<earlier>`, `<column>_not_a_formula`)
  and its `extra_rules`. A failing row's check name reaches `audit.quarantine.failed_checks` (several joined
  by '; ', beside `conform` for a staging-SQL reason), its reason text `audit.quarantine.reason`.

`_scope_reason` (a row that is not for this warehouse, recorded in `audit.out_of_scope`) is not a rule here.

    python -m tests.declared_rules   # lists them
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import sqlglot
from sqlglot import exp

from sources import CONTRACTS
from sources.contract import SourceContract
from sources.rules import row_rules

DYNAMIC = "…"  # how a part concatenated from data is shown in a staging reason's name


@dataclass(frozen=True)
class DeclaredRule:
    source: str
    kind: Literal["staging", "row"]
    name: str  # the staging reason with DYNAMIC for its data parts, or the row rule's check name
    pattern: str  # a regular expression one whole reason (staging) or check name (row) matches

    def triggered_by(self, reason: str, failed_checks: str | None) -> bool:
        """Whether a quarantined row of this source (its reason and failed checks) failed this rule."""
        text = reason if self.kind == "staging" else (failed_checks or "")
        # Several reasons (checks) are joined by '; '; a reason may itself hold '; ', so match it whole between
        # separators rather than splitting.
        return re.search(f"(?:^|; )(?:{self.pattern})(?:; |$)", text, flags=re.DOTALL) is not None

    def __str__(self) -> str:
        return f"{self.source} {self.kind}: {self.name}"


def _parts(node: exp.Expression) -> list[str | None]:
    """A reason expression as its concatenated parts: literal text, or None for a part taken from data."""
    if isinstance(node, exp.DPipe):
        return _parts(node.this) + _parts(node.expression)
    if isinstance(node, exp.Concat):
        return [part for e in node.expressions for part in _parts(e)]
    if isinstance(node, exp.Literal) and node.is_string:
        return [node.this]
    if isinstance(node, exp.Paren):
        return _parts(node.this)
    return [None]


def staging_reasons(contract: SourceContract) -> list[DeclaredRule]:
    """The reasons of the source's staging SQL, in declaration order."""
    tree = sqlglot.parse_one(contract.staging_sql(), dialect="duckdb")
    where = contract.staging_sql_path
    aliased = [a.this for a in tree.find_all(exp.Alias) if a.alias == "_reject_reason"]
    if len(aliased) != 1:
        raise ValueError(f"{where}: expected one column named _reject_reason, found {len(aliased)}")
    reject = aliased[0]
    if isinstance(reject, exp.Null) or (isinstance(reject, exp.Cast) and isinstance(reject.this, exp.Null)):
        return []  # the source rejects no row by its SQL (its row rules may)
    if not (isinstance(reject, exp.Anonymous) and reject.name.lower() == "reasons" and len(reject.expressions) == 1
            and isinstance(reject.expressions[0], exp.Array)):
        raise ValueError(f"{where}: _reject_reason is not reasons([CASE ..., ...]): {reject.sql('duckdb')[:200]}")
    rules = []
    for case in reject.expressions[0].expressions:
        if not isinstance(case, exp.Case):
            raise ValueError(f"{where}: a reasons() item is not a CASE: {case.sql('duckdb')}")
        outcomes = [when.args["true"] for when in case.args["ifs"]]
        if case.args.get("default") is not None:
            outcomes.append(case.args["default"])
        for outcome in outcomes:
            parts = _parts(outcome)
            if not any(parts):
                raise ValueError(f"{where}: a reason with no literal text: {outcome.sql('duckdb')}")
            name = "".join(DYNAMIC if p is None else p for p in parts)
            pattern = "".join(".*?" if p is None else re.escape(p) for p in parts)
            rules.append(DeclaredRule(contract.name, "staging", name, pattern))
    return rules


def contract_row_rules(contract: SourceContract) -> list[DeclaredRule]:
    """The pandera row rules generated from the contract's declaration, then its extra rules."""
    return [DeclaredRule(contract.name, "row", rule.name, re.escape(rule.name)) for rule in row_rules(contract)]


def declared_rules() -> list[DeclaredRule]:
    """Every declared rule of every source in sources.CONTRACTS."""
    rules = []
    for contract in CONTRACTS.values():
        rules += staging_reasons(contract) + contract_row_rules(contract)
    return rules


if __name__ == "__main__":
    found = declared_rules()
    for rule in found:
        print(rule)
    kinds = {kind: sum(r.kind == kind for r in found) for kind in ("staging", "row")}
    print(f"{len(found)} rules: {kinds['staging']} staging-SQL reasons, {kinds['row']} row rules, "
          f"{len(CONTRACTS)} sources")
