-- Dashboard, part 2: every measure by the team and service area that owns it, by locality and (where the
-- data allows) by ward or team, for use across the whole system. `period_complete`, `provisional`, `awaiting`
-- and `is_latest` (the latest complete period) as in dashboard_strategic; `spc_verdict`: the area's SPC chart
-- on that period, where the area has enough points for one; `quality_status` as in dashboard_strategic.
SELECT
    t.service_area, t.team_id, t.team_name,
    m.measure_id, m.title, m.level, m.purpose_id, m.unit, m.improvement, m.owner_name,
    v.area_type, v.area_code,
    coalesce(a.area_name, area_team.team_name) AS area_name,
    v.period_start, v.period_end, v.value, v.numerator, v.denominator,
    lag(v.value) OVER (PARTITION BY v.measure_id, v.area_type, v.area_code ORDER BY v.period_start) AS previous_value,
    c.period_complete, c.provisional, c.period_status, c.awaiting,
    c.period_complete AND v.period_start = max(v.period_start) FILTER (WHERE c.period_complete)
        OVER (PARTITION BY v.measure_id) AS is_latest,
    s.point_type AS spc_verdict,
    q.quality_status, q.quality_problems,
    coalesce(h.held_back, false) AS held_back, h.held_since_as_of AS held_back_since, h.reason AS held_back_reason
FROM marts.measure_values v
JOIN core.dim_measure m USING (measure_id)
JOIN core.dim_team t ON t.team_id = m.team_id
JOIN marts.period_completeness c ON c.measure_id = v.measure_id AND c.period_start = v.period_start
LEFT JOIN marts.measure_spc s ON s.measure_id = v.measure_id AND s.area_type = v.area_type
    AND s.area_code = v.area_code AND s.period_start = v.period_start
LEFT JOIN core.dim_area a ON a.area_type = v.area_type AND a.area_code = v.area_code
LEFT JOIN core.dim_team area_team ON v.area_type = 'team' AND area_team.team_id = v.area_code
LEFT JOIN marts.data_holds h ON h.measure_id = v.measure_id
LEFT JOIN marts.measure_quality q ON q.measure_id = v.measure_id
ORDER BY t.service_area, t.team_id, m.measure_id, v.area_type, v.area_code, v.period_start
