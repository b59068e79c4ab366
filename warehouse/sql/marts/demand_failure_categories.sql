-- The top failure-demand categories per service over the latest 12 months of contacts: what customers had
-- to contact us about because something was not done, or not done right. Rank 1 is the largest.
WITH latest AS (
    SELECT date_trunc('month', max(received_date))::DATE AS last_month FROM core.fact_contacts
),
failure AS (
    SELECT c.service, c.demand_category, l.last_month
    FROM core.fact_contacts c, latest l
    WHERE c.demand_type = 'failure' AND c.received_date >= l.last_month - INTERVAL 11 MONTH
)
SELECT service,
       demand_category,
       count(*)                                                              AS contacts,
       100.0 * count(*) / sum(count(*)) OVER (PARTITION BY service)          AS share_of_service_failure_pct,
       rank() OVER (PARTITION BY service ORDER BY count(*) DESC)             AS rank_in_service,
       (any_value(last_month) - INTERVAL 11 MONTH)::DATE                     AS window_start,
       (any_value(last_month) + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE     AS window_end
FROM failure
GROUP BY service, demand_category
ORDER BY service, rank_in_service, demand_category
