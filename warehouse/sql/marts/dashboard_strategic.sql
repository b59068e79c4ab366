-- Dashboard, part 1: strategic measures by council and strategic purpose (Enabling included). `held_back`:
-- the values are the last good ones, because a source behind them failed a blocking check (marts.data_holds).
SELECT
    p.purpose_id, p.purpose_title, p.purpose_owner,
    m.measure_id, m.title, m.unit, m.improvement, m.owner_name, m.owner_email,
    v.period_start, v.period_end, v.value, v.numerator, v.denominator,
    lag(v.value) OVER (PARTITION BY v.measure_id ORDER BY v.period_start) AS previous_value,
    v.period_start = max(v.period_start) OVER (PARTITION BY v.measure_id) AS is_latest,
    coalesce(h.held_back, false) AS held_back, h.held_since_as_of AS held_back_since, h.reason AS held_back_reason
FROM marts.measure_values v
JOIN core.dim_measure m USING (measure_id)
JOIN core.dim_purpose p USING (purpose_id)
LEFT JOIN marts.data_holds h USING (measure_id)
WHERE m.level = 'strategic' AND v.area_type = 'district'
ORDER BY p.purpose_id, m.measure_id, v.period_start
