-- staging.housing_options: closed homelessness cases. Names, dates of birth, phones and notes are dropped.
SELECT
    pseudonymise(r."Case Ref")      AS case_key,
    uk_date(r."Approach Date")      AS approach_date,
    clean(r."Approach Reason")      AS approach_reason,
    clean(r."Outcome")              AS outcome,
    uk_date(r."Outcome Date")       AS outcome_date,
    a.uprn, a.ward_code, a.lsoa_code,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN clean(r."Case Ref") IS NULL THEN 'Case Ref is blank' END,
        CASE WHEN uk_date(r."Approach Date") IS NULL THEN 'Approach Date is not a date' END,
        CASE WHEN uk_date(r."Outcome Date") IS NULL THEN 'Outcome Date is not a date' END,
        CASE WHEN coalesce(clean(r."Outcome"), '') NOT IN ('Prevented', 'Relieved', 'Main duty accepted', 'No duty owed', 'Withdrawn')
             THEN 'Outcome ' || coalesce(r."Outcome", '(blank)') || ' is not a known outcome' END,
        CASE WHEN clean(r."UPRN") IS NOT NULL AND a.uprn IS NULL THEN 'UPRN is not in the gazetteer' END
    ]) AS _reject_reason,
    NULL::VARCHAR AS _scope_reason
FROM raw.housing_options r
LEFT JOIN core.dim_address a ON a.uprn = try_cast(trim(r."UPRN") AS BIGINT)
