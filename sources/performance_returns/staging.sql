-- staging.performance_returns: one row per measure x period that an officer filled something in for.
-- Rows left blank (no manual value, commentary or sign-off) are out of scope, not errors.
WITH parsed AS (
    SELECT r.*,
           coalesce(renamed.measure_id, lower(clean(r."Measure ID")))              AS measure_key,  -- former ids too
           coalesce(uk_month(r."Period"),
                    date_trunc('month', uk_date(r."Period"))::DATE)                 AS period_month,
           to_number(r."Manual Value")                                              AS manual_number,
           uk_date(r."Commentary Date")                                             AS commentary_day,
           uk_date(r."Sign-off Date")                                               AS sign_off_day
    FROM raw.performance_returns r
    LEFT JOIN core.measure_renames renamed ON renamed.former_id = lower(clean(r."Measure ID"))
)
SELECT
    p.measure_key                    AS measure_id,
    p.period_month                   AS period_start,
    p.manual_number                  AS manual_value,
    clean(p."Commentary")            AS commentary,
    clean(p."Commentary By")         AS commentary_by,
    p.commentary_day                 AS commentary_date,
    clean(p."Signed Off By")         AS signed_off_by,
    p.sign_off_day                   AS signed_off_date,
    p._source_file, p._file_sha256, p._row_number,
    reasons([
        CASE WHEN p.measure_key IS NULL THEN 'Measure ID is blank' END,
        CASE WHEN p.period_month IS NULL THEN 'Period ' || coalesce(p."Period", '(blank)') || ' is not a month (YYYY-MM)' END,
        CASE WHEN clean(p."Manual Value") IS NOT NULL AND p.manual_number IS NULL
             THEN 'Manual Value ' || p."Manual Value" || ' is not a number' END,
        CASE WHEN clean(p."Manual Value") IS NOT NULL AND m.measure_id IS NOT NULL AND NOT m.is_manual
             THEN 'Manual Value given for ' || p.measure_key || ', which comes from a system: leave it blank' END,
        CASE WHEN clean(p."Commentary Date") IS NOT NULL AND p.commentary_day IS NULL
             THEN 'Commentary Date ' || p."Commentary Date" || ' is not a date' END,
        CASE WHEN clean(p."Sign-off Date") IS NOT NULL AND p.sign_off_day IS NULL
             THEN 'Sign-off Date ' || p."Sign-off Date" || ' is not a date' END,
        CASE WHEN clean(p."Commentary") IS NOT NULL AND clean(p."Commentary By") IS NULL
             THEN 'Commentary has no Commentary By: say who wrote it' END,
        CASE WHEN (clean(p."Signed Off By") IS NULL) <> (clean(p."Sign-off Date") IS NULL)
             THEN 'Sign-off needs both Signed Off By and Sign-off Date' END
    ])                               AS _reject_reason,
    CASE WHEN clean(p."Manual Value") IS NULL AND clean(p."Commentary") IS NULL AND clean(p."Signed Off By") IS NULL
              AND clean(p."Sign-off Date") IS NULL AND clean(p."Commentary By") IS NULL
         THEN 'nothing entered for this measure' END
                                     AS _scope_reason
FROM parsed p
LEFT JOIN core.dim_measure m ON m.measure_id = p.measure_key
