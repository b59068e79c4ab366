-- staging.hr_absence: days lost and FTE by employee-month. Names and absence reasons (health data) are dropped.
SELECT
    pseudonymise(r."Employee Number")                  AS employee_key,
    clean(r."Team")                                    AS team_name,
    to_number(r."FTE")                                 AS fte,
    uk_month(r."Month")                               AS month_start,
    to_number(r."Working Days Lost")                   AS days_lost,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN clean(r."Employee Number") IS NULL THEN 'Employee Number is blank' END,
        CASE WHEN clean(r."Team") IS NULL THEN 'Team is blank' END,
        CASE WHEN NOT coalesce(to_number(r."FTE") > 0 AND to_number(r."FTE") <= 1.0, false) THEN 'FTE must be above 0 and at most 1' END,
        CASE WHEN uk_month(r."Month") IS NULL THEN 'Month is not YYYY-MM' END,
        CASE WHEN NOT coalesce(to_number(r."Working Days Lost") >= 0, false) THEN 'Working Days Lost is missing or negative' END
    ]) AS _reject_reason,
    NULL::VARCHAR AS _scope_reason
FROM raw.hr_absence r
