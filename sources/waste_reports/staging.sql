-- staging.waste_reports: missed bins and fly-tips. Reporter names, phones and descriptions are dropped.
SELECT
    pseudonymise(r."Report Ref")      AS report_key,
    clean(r."Report Type")            AS report_type,
    CASE WHEN clean(r."Report Type") LIKE 'Missed bin%' THEN 'missed_bin'
         WHEN clean(r."Report Type") = 'Fly-tipping' THEN 'fly_tipping' END AS report_group,
    uk_timestamp(r."Reported At")     AS reported_at,
    uk_timestamp(r."Completed At")    AS completed_at,
    a.uprn, a.ward_code, a.lsoa_code,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN clean(r."Report Ref") IS NULL THEN 'Report Ref is blank' END,
        CASE WHEN coalesce(clean(r."Report Type"), '') NOT IN ('Missed bin - residual', 'Missed bin - recycling',
             'Missed bin - garden', 'Fly-tipping') THEN 'Report Type ' || coalesce(r."Report Type", '(blank)') || ' is not known' END,
        CASE WHEN uk_timestamp(r."Reported At") IS NULL THEN 'Reported At is not a date and time' END,
        -- a completion time that is there but no time must not pass for a report still open
        CASE WHEN clean(r."Completed At") IS NOT NULL AND uk_timestamp(r."Completed At") IS NULL
             THEN 'Completed At is not a date and time' END,
        CASE WHEN clean(r."UPRN") IS NOT NULL AND a.uprn IS NULL THEN 'UPRN is not in the gazetteer' END
    ]) AS _reject_reason,
    NULL::VARCHAR AS _scope_reason
FROM raw.waste_reports r
LEFT JOIN core.dim_address a ON a.uprn = try_cast(trim(r."UPRN") AS BIGINT)
