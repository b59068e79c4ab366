-- staging.ons_lookup: The district's LSOAs and their wards. Other districts' rows are out of scope.
SELECT
    upper(clean("LSOA21CD")) AS lsoa_code,
    clean("LSOA21NM")        AS lsoa_name,
    upper(clean("WD24CD"))   AS ward_code,
    clean("WD24NM")          AS ward_name,
    upper(clean("LAD24CD"))  AS lad_code,
    _source_file, _file_sha256, _row_number,
    reasons([
        CASE WHEN NOT regexp_full_match(coalesce(upper(clean("LSOA21CD")), ''), '[EW]01\d{6}') THEN 'LSOA21CD is not an LSOA code' END,
        CASE WHEN NOT regexp_full_match(coalesce(upper(clean("WD24CD")), ''), '[EW]05\d{6}') THEN 'ward code is not an ONS ward code' END
    ]) AS _reject_reason,
    CASE WHEN upper(clean("LAD24CD")) IS DISTINCT FROM getvariable('district_code')
         THEN 'LSOA in another local authority (' || coalesce(clean("LAD24NM"), '?') || ')' END AS _scope_reason
FROM raw.ons_lookup
