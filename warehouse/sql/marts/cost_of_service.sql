-- The true cost of each service per month (seed section 10): ledger cost, cost per transaction (a customer
-- contact about the service), and the estimated cost of failure demand: the failure-demand share of the
-- service's contacts x its ledger cost (each contact costs, on average, the cost per transaction to handle).
-- Cost centres not mapped to a service are one row, "Unallocated cost centres", so each month adds up to the ledger.
WITH ledger AS (
    SELECT month_start, coalesce(service, 'Unallocated cost centres') AS service, sum(amount) AS ledger_cost,
           count(DISTINCT cost_centre) AS cost_centres
    FROM core.fact_ledger
    GROUP BY ALL
),
demand AS (
    SELECT month_start, service, contacts, value_demand, failure_demand, failure_demand_pct / 100 AS failure_share
    FROM marts.demand_by_service
    WHERE channel = 'All channels'
)
SELECT month_start, service,
       l.ledger_cost,
       l.cost_centres,
       d.contacts                                        AS transactions,
       d.value_demand,
       d.failure_demand,
       l.ledger_cost / nullif(d.contacts, 0)             AS cost_per_transaction,
       l.ledger_cost / nullif(d.value_demand, 0)         AS cost_per_value_transaction,
       d.failure_share                                   AS failure_demand_share,
       d.failure_share * l.ledger_cost                   AS failure_demand_cost
FROM ledger l
FULL JOIN demand d USING (month_start, service)
WHERE month_start IN (SELECT month_start FROM ledger)
ORDER BY month_start, service
