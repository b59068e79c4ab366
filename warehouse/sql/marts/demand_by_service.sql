-- Demand from the customer's side (seed section 3): contacts by month, service and channel, split into value
-- and failure demand, with the share resolved at first contact. Rows with channel 'All channels' total each
-- service's month.
SELECT date_trunc('month', received_date)::DATE                                AS month_start,
       service,
       CASE WHEN GROUPING(channel) = 1 THEN 'All channels' ELSE channel END     AS channel,
       count(*)                                                                AS contacts,
       count(*) FILTER (WHERE demand_type = 'value')                           AS value_demand,
       count(*) FILTER (WHERE demand_type = 'failure')                         AS failure_demand,
       100.0 * count(*) FILTER (WHERE demand_type = 'failure') / count(*)      AS failure_demand_pct,
       count(*) FILTER (WHERE resolved_first_contact)                          AS resolved_first_contact,
       100.0 * count(*) FILTER (WHERE resolved_first_contact) / count(*)       AS resolved_first_contact_pct
FROM core.fact_contacts
GROUP BY GROUPING SETS ((date_trunc('month', received_date), service, channel),
                        (date_trunc('month', received_date), service))
ORDER BY month_start, service, channel
