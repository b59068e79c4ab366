-- staging.police_street: crimes and ASB in the district's LSOAs. Other districts and "No location" rows are out of scope.
SELECT
    clean(r."Crime ID")                             AS crime_id,  -- police.uk's public hash, not personal data
    uk_month(r."Month")                            AS month_start,
    clean(r."Crime type")                           AS crime_type,
    clean(r."Crime type") = 'Anti-social behaviour' AS is_asb,
    clean(r."Last outcome category")                AS last_outcome,
    l.lsoa_code, l.ward_code,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN uk_month(r."Month") IS NULL THEN 'Month is not YYYY-MM' END,
        CASE WHEN clean(r."Crime type") IS NULL THEN 'Crime type is blank' END,
        CASE WHEN clean(r."Crime ID") IS NULL AND clean(r."Crime type") <> 'Anti-social behaviour'
             THEN 'Crime ID is blank on a crime that is not anti-social behaviour' END
    ]) AS _reject_reason,
    CASE WHEN clean(r."LSOA code") IS NULL THEN 'no location: the police could not place it in an LSOA'
         WHEN l.lsoa_code IS NULL THEN 'outside ' || getvariable('district_name') || ' (' || coalesce(clean(r."LSOA name"), r."LSOA code") || ')' END
        AS _scope_reason
FROM raw.police_street r
LEFT JOIN core.dim_lsoa l ON l.lsoa_code = upper(clean(r."LSOA code"))
