-- staging.benefits_claims: HB and CTR decisions. Names, NI numbers and phones are dropped.
SELECT
    pseudonymise(r."Claim Ref")        AS claim_key,
    upper(clean(r."Claim Type"))       AS claim_type,
    clean(r."Event Type")              AS event_type,
    uk_date(r."Date Received")         AS received_date,
    uk_date(r."All Evidence Date")     AS all_evidence_date,
    uk_date(r."Decision Date")         AS decision_date,
    clean(r."Decision")                AS decision,
    a.uprn, a.ward_code, a.lsoa_code,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN clean(r."Claim Ref") IS NULL THEN 'Claim Ref is blank' END,
        CASE WHEN coalesce(upper(clean(r."Claim Type")), '') NOT IN ('HB', 'CTR') THEN 'Claim Type must be HB or CTR' END,
        CASE WHEN coalesce(clean(r."Event Type"), '') NOT IN ('New claim', 'Change of circumstances')
             THEN 'Event Type must be New claim or Change of circumstances' END,
        CASE WHEN uk_date(r."Date Received") IS NULL THEN 'Date Received is not a date' END,
        CASE WHEN uk_date(r."Decision Date") IS NULL THEN 'Decision Date is not a date' END,
        CASE WHEN uk_date(r."All Evidence Date") NOT BETWEEN uk_date(r."Date Received") AND uk_date(r."Decision Date")
             THEN 'All Evidence Date is outside Date Received to Decision Date' END,
        CASE WHEN clean(r."UPRN") IS NOT NULL AND a.uprn IS NULL THEN 'UPRN is not in the gazetteer' END
    ]) AS _reject_reason,
    NULL::VARCHAR AS _scope_reason
FROM raw.benefits_claims r
LEFT JOIN core.dim_address a ON a.uprn = try_cast(trim(r."UPRN") AS BIGINT)
