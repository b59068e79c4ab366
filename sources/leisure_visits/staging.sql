-- staging.leisure_visits: visits by site, activity and month.
SELECT
    date_trunc('month', uk_date(r."Month"))::DATE          AS month_start,
    clean(r."Site")                                        AS site,
    w.ward_code,
    clean(r."Activity")                                    AS activity,
    try_cast(to_number(r."Visits") AS BIGINT)              AS visits,
    try_cast(to_number(r."Concession Visits") AS BIGINT)   AS concession_visits,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN uk_date(r."Month") IS NULL THEN 'Month is not a date' END,
        CASE WHEN clean(r."Site") IS NULL THEN 'Site is blank' END,
        CASE WHEN w.ward_code IS NULL THEN 'Site Ward Code ' || coalesce(r."Site Ward Code", '(blank)') || ' is not a ' || getvariable('district_name') || ' ward' END,
        CASE WHEN NOT coalesce(to_number(r."Visits") >= 0, false) THEN 'Visits is missing or negative' END,
        CASE WHEN to_number(r."Concession Visits") > to_number(r."Visits") THEN 'Concession Visits exceed Visits' END
    ]) AS _reject_reason,
    NULL::VARCHAR AS _scope_reason
FROM raw.leisure_visits r
LEFT JOIN core.dim_ward w ON w.ward_code = upper(clean(r."Site Ward Code"))
