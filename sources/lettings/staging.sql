-- staging.lettings: homes let by the housing association. Tenant names and phones are dropped.
SELECT
    pseudonymise(r."Letting Ref")           AS letting_key,
    clean(r."Property Type")                AS property_type,
    try_cast(trim(r."Bedrooms") AS INTEGER) AS bedrooms,
    uk_date(r."Void Start Date")            AS void_start_date,
    uk_date(r."Tenancy Start Date")         AS tenancy_start_date,
    yes_no(r."Council Nomination")          AS council_nomination,
    a.uprn, a.ward_code, a.lsoa_code,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN clean(r."Letting Ref") IS NULL THEN 'Letting Ref is blank' END,
        CASE WHEN uk_date(r."Tenancy Start Date") IS NULL THEN 'Tenancy Start Date is not a date' END,
        -- a void start that is there but no date must not pass for a first let (no void: not a re-let)
        CASE WHEN clean(r."Void Start Date") IS NOT NULL AND uk_date(r."Void Start Date") IS NULL
             THEN 'Void Start Date is not a date' END,
        CASE WHEN a.uprn IS NULL THEN 'UPRN is blank or not in the gazetteer' END
    ]) AS _reject_reason,
    NULL::VARCHAR AS _scope_reason
FROM raw.lettings r
LEFT JOIN core.dim_address a ON a.uprn = try_cast(trim(r."UPRN") AS BIGINT)
