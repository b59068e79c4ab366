"""`accurate` for the systems-thinking marts: their totals reconcile with the facts they summarise and their
figures are possible. Each rule is a query returning the rows that break it (none = pass); any row is an
ERROR, because it means the mart's SQL or its input is wrong, and what depends on the mart is held back."""

from __future__ import annotations

import duckdb

from quality.outcome import Outcome, sample_rows, verdict

MONTHLY_TOTALS = """
SELECT month_start, m.n AS in_mart, f.n AS in_{fact}
FROM (SELECT month_start, {measure} AS n FROM {mart} {where} GROUP BY 1) m
FULL JOIN (SELECT {month} AS month_start, {fact_measure} AS n FROM core.{fact} GROUP BY 1) f USING (month_start)
WHERE abs(coalesce(m.n, 0) - coalesce(f.n, 0)) > {tolerance}"""

RULES: dict[str, list[tuple[str, str]]] = {
    "marts.demand_by_service": [
        ("a service's channel rows do not add up to its 'All channels' row", """
            SELECT a.month_start, a.service, a.contacts AS all_channels, sum(c.contacts) AS channels
            FROM marts.demand_by_service a
            JOIN marts.demand_by_service c ON c.month_start = a.month_start AND c.service = a.service
                                           AND c.channel <> 'All channels'
            WHERE a.channel = 'All channels'
            GROUP BY a.month_start, a.service, a.contacts
            HAVING a.contacts <> sum(c.contacts)"""),
        ("value plus failure demand is not all contacts", """
            SELECT month_start, service, channel, contacts, value_demand, failure_demand
            FROM marts.demand_by_service WHERE value_demand + failure_demand <> contacts"""),
        ("a month's contacts differ from the demand log (core.fact_contacts)", MONTHLY_TOTALS.format(
            mart="marts.demand_by_service", measure="sum(contacts)", where="WHERE channel = 'All channels'",
            fact="fact_contacts", month="date_trunc('month', received_date)::DATE", fact_measure="count(*)",
            tolerance=0)),
    ],
    "marts.demand_by_ward": [
        ("a month's wards and no-address row differ from the demand log (core.fact_contacts)", MONTHLY_TOTALS.format(
            mart="marts.demand_by_ward", measure="sum(contacts)", where="", fact="fact_contacts",
            month="date_trunc('month', received_date)::DATE", fact_measure="count(*)", tolerance=0)),
    ],
    "marts.cost_of_service": [
        ("a month's cost differs from the ledger (core.fact_ledger)", MONTHLY_TOTALS.format(
            mart="marts.cost_of_service", measure="sum(ledger_cost)", where="", fact="fact_ledger",
            month="month_start", fact_measure="sum(amount)", tolerance=0.005)),
        ("a failure-demand share outside 0 to 1", """
            SELECT month_start, service, failure_demand_share FROM marts.cost_of_service
            WHERE failure_demand_share < 0 OR failure_demand_share > 1"""),
    ],
    "marts.end_to_end_times": [
        ("the distribution is not in order (0 <= min <= median <= 80th <= 95th percentile <= max)", """
            SELECT service, month_start, min_days, median_days, p80_days, p95_days, max_days
            FROM marts.end_to_end_times
            WHERE NOT (0 <= min_days AND min_days <= median_days AND median_days <= p80_days
                       AND p80_days <= p95_days AND p95_days <= max_days)"""),
    ],
    "marts.measure_spc": [
        ("a mean outside its own process limits", """
            SELECT measure_id, area_type, area_code, period_start, lower_process_limit, mean, upper_process_limit
            FROM marts.measure_spc
            WHERE upper_process_limit IS NOT NULL
              AND NOT (lower_process_limit <= mean AND mean <= upper_process_limit)"""),
        ("a series without exactly one latest point", """
            SELECT measure_id, area_type, area_code, count(*) FILTER (WHERE is_latest) AS latest_points
            FROM marts.measure_spc GROUP BY ALL HAVING count(*) FILTER (WHERE is_latest) <> 1"""),
    ],
}


def judge_mart(con: duckdb.DuckDBPyConnection, mart: str, owner: str) -> Outcome:
    """The `accurate` verdict on one systems-thinking mart from its RULES."""
    errors, sample, failing = [], [], 0
    for rule, sql in RULES[mart]:
        count = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
        if count:
            failing += count
            errors.append(f"{count} row(s): {rule}.")
            sample += sample_rows(con, sql)
    return verdict("mart", mart, "accurate", owner, errors=errors, warnings=[],
                   ok=f"{mart}: {len(RULES[mart])} reconciliation and range rule(s) hold.",
                   rows_failed=failing, sample=sample[:5])
