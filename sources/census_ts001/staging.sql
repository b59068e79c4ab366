-- staging.census_ts001: usual residents per LSOA and ward. Areas outside the district are out of scope.
SELECT
    upper(clean(r."geography code"))   AS area_code,
    CASE WHEN l.lsoa_code IS NOT NULL THEN 'lsoa' WHEN w.ward_code IS NOT NULL THEN 'ward' END AS area_type,
    try_cast(r."date" AS INTEGER)      AS census_year,
    try_cast(to_number(r."Residence type: Total; measures: Value") AS BIGINT)                        AS usual_residents,
    try_cast(to_number(r."Residence type: Lives in a household; measures: Value") AS BIGINT)         AS in_households,
    try_cast(to_number(r."Residence type: Lives in a communal establishment; measures: Value") AS BIGINT) AS in_communal,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN try_cast(to_number(r."Residence type: Total; measures: Value") AS BIGINT) IS NULL
             THEN 'usual residents total is not a whole number' END,
        CASE WHEN to_number(r."Residence type: Total; measures: Value") < 0 THEN 'negative count' END,
        CASE WHEN to_number(r."Residence type: Total; measures: Value")
                  <> to_number(r."Residence type: Lives in a household; measures: Value")
                   + to_number(r."Residence type: Lives in a communal establishment; measures: Value")
             THEN 'household + communal does not equal the total' END
    ]) AS _reject_reason,
    CASE WHEN l.lsoa_code IS NULL AND w.ward_code IS NULL
         THEN 'area ' || coalesce(clean(r."geography code"), '(blank)') || ' is not in ' || getvariable('district_name') END AS _scope_reason
FROM raw.census_ts001 r
LEFT JOIN core.dim_lsoa l ON l.lsoa_code = upper(clean(r."geography code"))
LEFT JOIN core.dim_ward w ON w.ward_code = upper(clean(r."geography code"))
