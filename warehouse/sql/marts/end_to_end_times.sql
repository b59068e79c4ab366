-- End-to-end time from the customer's point of view for each case-based service: days from the customer's
-- first contact to their need being met (claim decided, homelessness case closed, application decided,
-- adaptation completed, fly-tipping cleared), not from when the service's own clock started. The distribution
-- of cases completed in each month: median, 80th and 95th percentiles (linear interpolation, as Excel's
-- PERCENTILE.INC). marts.end_to_end_spc charts the monthly median.
WITH cases AS (
    SELECT CASE service
               WHEN 'benefits' THEN 'Benefits new claims'
               WHEN 'housing_options' THEN 'Homelessness cases'
               WHEN 'planning' THEN 'Planning applications'
               WHEN 'disabled_facilities_grants' THEN 'Disabled facilities grants'
               WHEN 'street_scene' THEN 'Fly-tipping clearance'
           END                                     AS service,
           end_date,
           end_date - first_contact_date           AS days
    FROM core.fact_cases
    WHERE end_date IS NOT NULL AND first_contact_date IS NOT NULL
      AND (service <> 'benefits' OR case_type = 'new claim')
      AND (service <> 'street_scene' OR case_type = 'fly_tipping')
)
SELECT service,
       date_trunc('month', end_date)::DATE                                      AS month_start,
       (date_trunc('month', end_date) + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS month_end,
       count(*)                                                                 AS cases_completed,
       quantile_cont(days, 0.5)                                                 AS median_days,
       quantile_cont(days, 0.8)                                                 AS p80_days,
       quantile_cont(days, 0.95)                                                AS p95_days,
       min(days)                                                                AS min_days,
       max(days)                                                                AS max_days
FROM cases
WHERE service IS NOT NULL
GROUP BY ALL
ORDER BY service, month_start
