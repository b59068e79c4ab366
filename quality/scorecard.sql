-- Data quality next to each measure: one row per measure x criterion x run (and period where the check
-- judged one), with pass / warn / fail, the reasons, and when that criterion last passed for the measure.
-- Several checks can judge one criterion (the measure's own check and the Great Expectations suites on the
-- marts); the row takes the worst of them.
WITH results AS (
    SELECT subject AS measure_id, criterion, run_id, max(checked_at) AS checked_at, max(period) AS period,
           CASE max(CASE status WHEN 'fail' THEN 3 WHEN 'warn' THEN 2 ELSE 1 END)
               WHEN 3 THEN 'fail' WHEN 2 THEN 'warn' ELSE 'pass' END AS status,
           string_agg(reason, ' | ' ORDER BY check_name) FILTER (WHERE status <> 'pass') AS problems,
           string_agg(reason, ' | ' ORDER BY check_name) AS reasons,
           sum(rows_failed) AS rows_failed,
           string_agg(DISTINCT check_name, ', ') AS checks,
           any_value(owner) AS owner
    FROM audit.check_results
    WHERE subject_type = 'measure'
    GROUP BY ALL
)
SELECT r.measure_id, m.title, m.purpose_id, r.criterion, r.run_id, r.checked_at, r.period, r.status,
       coalesce(r.problems, r.reasons) AS reason, r.rows_failed, r.checks, r.owner,
       max(r.checked_at) FILTER (WHERE r.status = 'pass') OVER (
           PARTITION BY r.measure_id, r.criterion ORDER BY r.checked_at
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_passed_at,
       r.checked_at = max(r.checked_at) OVER (PARTITION BY r.measure_id, r.criterion) AS is_latest
FROM results r
LEFT JOIN core.dim_measure m USING (measure_id)
ORDER BY r.measure_id, r.criterion, r.checked_at
