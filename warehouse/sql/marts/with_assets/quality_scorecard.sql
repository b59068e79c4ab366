-- Data quality next to each measure: one row per measure x criterion x run (and period where the check
-- judged one), with pass / warn / fail, the reasons, and when that criterion last passed for the measure;
-- `held_back` (now): its published values are the last good ones (marts.data_holds says why).
-- Several checks can judge one criterion (the measure's own check and the Great Expectations suites on the
-- marts); the row takes the worst of them. The latest row of each measure and criterion is the current state:
-- the worst of each check's latest verdict (a check a quiet night did not re-run keeps its last verdict).
WITH latest_of_each_check AS (  -- a check not run tonight (nothing it judges changed) keeps its last verdict
    SELECT * FROM audit.check_results WHERE subject_type = 'measure'
    QUALIFY row_number() OVER (PARTITION BY subject, criterion, check_name
                               ORDER BY coalesce(seq, 0) DESC, checked_at DESC) = 1
),
verdicts AS (  -- per run: the checks that ran; `current`: every check's latest verdict, whichever run gave it
    SELECT run_id, * EXCLUDE (run_id) FROM audit.check_results WHERE subject_type = 'measure'
    UNION ALL
    SELECT 'current' AS run_id, * EXCLUDE (run_id) FROM latest_of_each_check
),
combined AS (
    SELECT subject AS measure_id, criterion, run_id, max(checked_at) AS checked_at, max(period) AS period,
           max(coalesce(seq, 0)) AS seq,  -- results are ordered by it, not by wall-clock time
           CASE max(CASE status WHEN 'fail' THEN 3 WHEN 'warn' THEN 2 ELSE 1 END)
               WHEN 3 THEN 'fail' WHEN 2 THEN 'warn' ELSE 'pass' END AS status,
           string_agg(reason, ' | ' ORDER BY check_name) FILTER (WHERE status <> 'pass') AS problems,
           string_agg(reason, ' | ' ORDER BY check_name) AS reasons,
           sum(rows_failed)::BIGINT AS rows_failed,  -- BIGINT: BI tools and ODBC read HUGEINT poorly
           string_agg(DISTINCT check_name, ', ' ORDER BY check_name) AS checks,
           any_value(owner) AS owner
    FROM verdicts
    GROUP BY ALL
),
results AS (  -- the run rows; the latest one per measure and criterion carries the current verdict
    SELECT r.* REPLACE (coalesce(c.status, r.status) AS status, coalesce(c.problems, r.problems) AS problems,
                        coalesce(c.reasons, r.reasons) AS reasons, coalesce(c.rows_failed, r.rows_failed) AS rows_failed,
                        coalesce(c.checks, r.checks) AS checks),
           row_number() OVER (PARTITION BY r.measure_id, r.criterion ORDER BY r.seq DESC, r.checked_at DESC) = 1
               AS is_latest
    FROM (SELECT * FROM combined WHERE run_id <> 'current') r
    LEFT JOIN (SELECT * FROM combined WHERE run_id = 'current') c
           ON c.measure_id = r.measure_id AND c.criterion = r.criterion AND c.seq = r.seq
)
SELECT r.measure_id, m.title, m.purpose_id, r.criterion, r.run_id, r.checked_at, r.period, r.status,
       coalesce(r.problems, r.reasons) AS reason, r.rows_failed, r.checks, r.owner,
       max(r.checked_at) FILTER (WHERE r.status = 'pass') OVER (
           PARTITION BY r.measure_id, r.criterion ORDER BY r.seq, r.checked_at
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_passed_at,
       r.is_latest,
       coalesce(h.held_back, false) AS held_back, h.held_since_as_of AS held_back_since, h.reason AS held_back_reason
FROM results r
LEFT JOIN core.dim_measure m USING (measure_id)
LEFT JOIN marts.data_holds h USING (measure_id)
ORDER BY r.measure_id, r.criterion, r.seq, r.checked_at
