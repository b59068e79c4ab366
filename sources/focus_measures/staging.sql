-- staging.focus_measures: one row per report x period x measure CMT chose to focus on.
WITH focus AS (
    SELECT r.*,
           CASE
               WHEN lower(trim("Report")) = 'cabinet' THEN 'cabinet'
               WHEN lower(trim("Report")) IN ('o&s', 'o & s', 'scrutiny', 'overview and scrutiny',
                                              'overview & scrutiny') THEN 'scrutiny'
           END AS kind,
           uk_month("Period") AS period_start,
           coalesce(renamed.measure_id, lower(clean(r."Measure ID"))) AS current_measure_id  -- a former id: today's
    FROM raw.focus_measures r
    LEFT JOIN core.measure_renames renamed ON renamed.former_id = lower(clean(r."Measure ID"))
)
SELECT
    kind                             AS report,
    period_start,
    current_measure_id               AS measure_id,
    clean("Reason")                  AS reason,
    _source_file, _file_sha256, _row_number,
    reasons([
        CASE WHEN kind IS NULL THEN 'Report ' || coalesce("Report", '(blank)')
                                      || ' is not Cabinet or Overview and Scrutiny' END,
        CASE WHEN period_start IS NULL THEN 'Period ' || coalesce("Period", '(blank)') || ' is not a month (YYYY-MM)'
             WHEN kind = 'cabinet' AND (month(period_start) - 4 + 12) % 2 <> 0
                 THEN 'Period ' || "Period" || ' does not start a Cabinet period (Apr, Jun, Aug, Oct, Dec, Feb)'
             WHEN kind = 'scrutiny' AND (month(period_start) - 4 + 12) % 3 <> 0
                 THEN 'Period ' || "Period" || ' does not start an O&S quarter (Apr, Jul, Oct, Jan)' END,
        CASE WHEN clean("Measure ID") IS NULL THEN 'Measure ID is blank' END
    ])                               AS _reject_reason,
    NULL::VARCHAR                    AS _scope_reason
FROM focus
