-- staging.llpg: addresses by UPRN, conformed to the ward and LSOA dimensions. The address text is dropped.
SELECT
    try_cast(trim("UPRN") AS BIGINT) AS uprn,
    upper(clean("Postcode"))          AS postcode,
    upper(clean("Ward Code"))         AS ward_code,
    upper(clean("LSOA Code"))         AS lsoa_code,
    upper(clean("Classification"))    AS classification,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN try_cast(trim("UPRN") AS BIGINT) IS NULL THEN 'UPRN is not a number' END,
        CASE WHEN w.ward_code IS NULL THEN 'Ward Code ' || coalesce(clean("Ward Code"), '(blank)') || ' is not a ' || getvariable('district_name') || ' ward' END,
        CASE WHEN l.lsoa_code IS NULL THEN 'LSOA Code ' || coalesce(clean("LSOA Code"), '(blank)') || ' is not a ' || getvariable('district_name') || ' LSOA' END
    ]) AS _reject_reason,
    -- Each delivery is a full snapshot: rows of older snapshots are superseded, not lost.
    CASE WHEN r._file_sha256 <> latest.sha THEN 'superseded by a later gazetteer snapshot' END AS _scope_reason
FROM raw.llpg r
-- The last loaded, in load order; a file loaded before load_seq was recorded (an upgraded warehouse) counts as older.
CROSS JOIN (SELECT file_sha256 AS sha FROM audit.loaded_files WHERE source = 'llpg'
            ORDER BY load_seq DESC NULLS LAST LIMIT 1) latest
LEFT JOIN core.dim_ward w ON w.ward_code = upper(clean(r."Ward Code"))
LEFT JOIN core.dim_lsoa l ON l.lsoa_code = upper(clean(r."LSOA Code"))
