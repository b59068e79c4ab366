-- Demand per 1,000 residents by ward and month (Census 2021 usual residents). Contacts with no address in the
-- district have their own row (ward_code empty) so the wards and that row add up to all contacts.
WITH counts AS (
    SELECT date_trunc('month', received_date)::DATE AS month_start, ward_code,
           count(*) AS contacts, count(*) FILTER (WHERE demand_type = 'failure') AS failure_demand
    FROM core.fact_contacts
    GROUP BY ALL
),
months AS (SELECT DISTINCT month_start FROM counts)
SELECT m.month_start, w.ward_code, w.ward_name, w.locality_name,
       coalesce(c.contacts, 0)                                         AS contacts,
       coalesce(c.failure_demand, 0)                                   AS failure_demand,
       p.usual_residents                                               AS residents,
       1000.0 * coalesce(c.contacts, 0) / nullif(p.usual_residents, 0)       AS contacts_per_1000,
       1000.0 * coalesce(c.failure_demand, 0) / nullif(p.usual_residents, 0) AS failure_demand_per_1000
FROM months m
CROSS JOIN core.dim_ward w
LEFT JOIN counts c ON c.month_start = m.month_start AND c.ward_code = w.ward_code
LEFT JOIN core.population p ON p.area_type = 'ward' AND p.area_code = w.ward_code
UNION ALL
SELECT month_start, NULL, 'No address in the district', NULL, contacts, failure_demand, NULL, NULL, NULL
FROM counts
WHERE ward_code IS NULL
ORDER BY month_start, ward_code NULLS LAST
