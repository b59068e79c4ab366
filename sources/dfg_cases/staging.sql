-- staging.dfg_cases: completed disabled facilities grants. Names, phones and notes are dropped.
SELECT
    pseudonymise(r."Case Ref")    AS case_key,
    uk_date(r."Referral Date")    AS referral_date,
    uk_date(r."Approval Date")    AS approval_date,
    uk_date(r."Completion Date")  AS completion_date,
    clean(r."Adaptation")         AS adaptation,
    to_number(r."Grant Amount")   AS grant_amount,
    a.uprn, a.ward_code, a.lsoa_code,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN clean(r."Case Ref") IS NULL THEN 'Case Ref is blank' END,
        CASE WHEN uk_date(r."Referral Date") IS NULL THEN 'Referral Date is not a date' END,
        CASE WHEN uk_date(r."Completion Date") IS NULL THEN 'Completion Date is not a date' END,
        CASE WHEN to_number(r."Grant Amount") < 0 THEN 'Grant Amount is negative' END,
        CASE WHEN a.uprn IS NULL THEN 'UPRN is blank or not in the gazetteer' END
    ]) AS _reject_reason,
    NULL::VARCHAR AS _scope_reason
FROM raw.dfg_cases r
LEFT JOIN core.dim_address a ON a.uprn = try_cast(trim(r."UPRN") AS BIGINT)
