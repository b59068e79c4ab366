-- Dashboard, part 1: strategic measures by council and strategic purpose (Enabling included).
SELECT
    p.purpose_id, p.purpose_title, p.purpose_owner,
    m.measure_id, m.title, m.unit, m.improvement, m.owner_name, m.owner_email,
    v.period_start, v.period_end, v.value, v.numerator, v.denominator,
    lag(v.value) OVER (PARTITION BY v.measure_id ORDER BY v.period_start) AS previous_value,
    v.period_start = max(v.period_start) OVER (PARTITION BY v.measure_id) AS is_latest
FROM marts.measure_values v
JOIN core.dim_measure m USING (measure_id)
JOIN core.dim_purpose p USING (purpose_id)
WHERE m.level = 'strategic' AND v.area_type = 'district'
ORDER BY p.purpose_id, m.measure_id, v.period_start
