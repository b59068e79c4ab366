-- Dashboard, part 1: strategic measures by council and strategic purpose (Enabling included). `held_back`:
-- the values are the last good ones, because a source behind them failed a blocking check (marts.data_holds).
-- `period_complete`: every source behind the value has delivered the period (else it is still in progress and
-- `awaiting` names what is missing); `provisional`: shown though a source is missing past its grace;
-- `is_latest`: the latest complete period (a month in progress never headlines); `spc_verdict`: what the
-- council-wide SPC chart says of the period (null for a period in progress, which is not charted);
-- `quality_status`: the worst verdict of the measure's own checks (marts.measure_quality).
SELECT
    p.purpose_id, p.purpose_title, p.purpose_owner,
    m.measure_id, m.title, m.unit, m.improvement, m.owner_name, m.owner_email,
    v.period_start, v.period_end, v.value, v.numerator, v.denominator,
    lag(v.value) OVER (PARTITION BY v.measure_id ORDER BY v.period_start) AS previous_value,
    c.period_complete, c.provisional, c.period_status, c.awaiting,
    c.period_complete AND v.period_start = max(v.period_start) FILTER (WHERE c.period_complete)
        OVER (PARTITION BY v.measure_id) AS is_latest,
    s.point_type AS spc_verdict, s.limits_method AS spc_limits_method,
    q.quality_status, q.quality_problems,
    coalesce(h.held_back, false) AS held_back, h.held_since_as_of AS held_back_since, h.reason AS held_back_reason
FROM marts.measure_values v
JOIN core.dim_measure m USING (measure_id)
JOIN core.dim_purpose p USING (purpose_id)
JOIN marts.period_completeness c USING (measure_id, period_start)
LEFT JOIN marts.measure_spc s ON s.measure_id = v.measure_id AND s.area_type = v.area_type
    AND s.area_code = v.area_code AND s.period_start = v.period_start
LEFT JOIN marts.data_holds h USING (measure_id)
LEFT JOIN marts.measure_quality q USING (measure_id)
WHERE m.level = 'strategic' AND v.area_type = 'district'
ORDER BY p.purpose_id, m.measure_id, v.period_start
