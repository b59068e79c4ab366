-- staging.localities: one row per ward with its locality.
SELECT
    upper(clean("Ward Code"))                      AS ward_code,
    clean("Ward Name")                             AS ward_name,
    clean("Locality")                              AS locality_name,
    lower(regexp_replace(clean("Locality"), '[^A-Za-z0-9]+', '_', 'g')) AS locality_code,
    _source_file, _file_sha256, _row_number,
    reasons([
        CASE WHEN NOT regexp_full_match(coalesce(upper(clean("Ward Code")), ''), 'E05\d{6}') THEN 'Ward Code is not an ONS ward code (E05 and six digits)' END,
        CASE WHEN clean("Locality") IS NULL THEN 'Locality is blank' END
    ])                                             AS _reject_reason,
    NULL::VARCHAR                                  AS _scope_reason
FROM raw.localities
