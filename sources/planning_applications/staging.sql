-- staging.planning_applications: decided applications. Applicant, agent and proposal text are dropped.
SELECT
    clean(r."Application Number")   AS application_number,  -- public register reference, not personal
    clean(r."Application Type")     AS application_type,
    uk_date(r."Date Received")      AS received_date,
    uk_date(r."Date Valid")         AS valid_date,
    uk_date(r."Decision Date")      AS decision_date,
    clean(r."Decision")             AS decision,
    coalesce(yes_no(r."Extension Agreed"), false) AS extension_agreed,
    a.uprn, a.ward_code, a.lsoa_code,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN clean(r."Application Number") IS NULL THEN 'Application Number is blank' END,
        CASE WHEN coalesce(clean(r."Application Type"), '') NOT IN ('Major', 'Minor', 'Other')
             THEN 'Application Type must be Major, Minor or Other' END,
        CASE WHEN uk_date(r."Date Valid") IS NULL THEN 'Date Valid is not a date' END,
        CASE WHEN uk_date(r."Decision Date") IS NULL THEN 'Decision Date is not a date' END,
        CASE WHEN clean(r."UPRN") IS NOT NULL AND a.uprn IS NULL THEN 'UPRN is not in the gazetteer' END
    ]) AS _reject_reason,
    NULL::VARCHAR AS _scope_reason
FROM raw.planning_applications r
LEFT JOIN core.dim_address a ON a.uprn = try_cast(trim(r."UPRN") AS BIGINT)
