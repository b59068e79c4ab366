-- staging.crm_contacts: one row per customer contact. Names, phone numbers and notes are dropped.
SELECT
    pseudonymise(r."Contact Ref")               AS contact_key,
    uk_timestamp(r."Received")                  AS received_at,
    uk_timestamp(r."Closed")                    AS closed_at,
    lower(clean(r."Channel"))                   AS channel,
    clean(r."Service")                          AS service,
    lower(clean(r."Demand Type"))               AS demand_type,
    clean(r."Demand Category")                  AS demand_category,
    yes_no(r."Resolved At First Contact")       AS resolved_first_contact,
    a.uprn, a.ward_code, a.lsoa_code,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN clean(r."Contact Ref") IS NULL THEN 'Contact Ref is blank' END,
        CASE WHEN uk_timestamp(r."Received") IS NULL THEN 'Received is not a date and time' END,
        CASE WHEN clean(r."Closed") IS NOT NULL AND uk_timestamp(r."Closed") IS NULL THEN 'Closed is not a date and time' END,
        CASE WHEN lower(clean(r."Channel")) NOT IN ('phone', 'face to face', 'email', 'web form', 'letter')
             OR clean(r."Channel") IS NULL THEN 'Channel ' || coalesce(r."Channel", '(blank)') || ' is not a known channel' END,
        CASE WHEN lower(clean(r."Demand Type")) NOT IN ('value', 'failure') OR clean(r."Demand Type") IS NULL
             THEN 'Demand Type must be Value or Failure' END,
        CASE WHEN yes_no(r."Resolved At First Contact") IS NULL THEN 'Resolved At First Contact must be Y or N' END,
        CASE WHEN clean(r."UPRN") IS NOT NULL AND a.uprn IS NULL THEN 'UPRN is not in the gazetteer' END
    ]) AS _reject_reason,
    NULL::VARCHAR AS _scope_reason
FROM raw.crm_contacts r
LEFT JOIN core.dim_address a ON a.uprn = try_cast(trim(r."UPRN") AS BIGINT)
