-- For each measure, its latest ended period (by the night's as_of) with a council-wide value, no longer in
-- progress (marts.period_completeness: every source has delivered it, or it is provisional), and whether that
-- period has the owner's commentary and a manager's sign-off (seed section 7). An owner is not asked to explain a
-- month whose data is still arriving. `flag` says what is missing, for the Policy Team; the commentary and
-- sign_off checks on this mart put the same in the quality scorecard.
WITH latest AS (
    SELECT measure_id, max(period_start) AS period_start
    FROM marts.measure_values
    JOIN marts.period_completeness c USING (measure_id, period_start, period_end)
    WHERE area_type = 'district' AND value IS NOT NULL AND period_end < getvariable('as_of') AND c.period_complete
    GROUP BY measure_id
)
SELECT m.measure_id, m.title, m.team_id, m.owner_name, m.owner_email, m.is_manual,
       l.period_start                                                AS latest_period,
       c.commentary, c.commentary_by, c.commentary_date,
       c.signed_off_by, c.signed_off_date,
       c.commentary IS NOT NULL                                      AS has_commentary,
       coalesce(c.sign_off_covers_commentary, false)                 AS has_sign_off,
       CASE
           WHEN l.period_start IS NULL THEN 'no value yet'
           WHEN c.commentary IS NULL AND c.signed_off_by IS NULL
               THEN 'no commentary and no sign-off for ' || strftime(l.period_start, '%B %Y')
           WHEN c.commentary IS NULL THEN 'no commentary for ' || strftime(l.period_start, '%B %Y')
           WHEN c.signed_off_by IS NULL THEN 'not signed off for ' || strftime(l.period_start, '%B %Y')
           WHEN NOT c.sign_off_covers_commentary
               THEN 'the sign-off does not cover the latest commentary for ' || strftime(l.period_start, '%B %Y')
       END                                                           AS flag
FROM core.dim_measure m
LEFT JOIN latest l USING (measure_id)
LEFT JOIN core.measure_commentary c ON c.measure_id = m.measure_id AND c.period_start = l.period_start
ORDER BY flag IS NULL, m.team_id, m.measure_id
