-- staging.census_ts007a: one row per area and age band (unpivoted). Areas outside the district are out of scope.
WITH typed AS (
    SELECT
        upper(clean(r."geography code")) AS area_code,
        CASE WHEN l.lsoa_code IS NOT NULL THEN 'lsoa' WHEN w.ward_code IS NOT NULL THEN 'ward' END AS area_type,
        try_cast(to_number(r."Age: Total; measures: Value") AS BIGINT) AS total,
        r.* EXCLUDE ("date", "geography", "geography code", "Age: Total; measures: Value"),
        CASE WHEN l.lsoa_code IS NULL AND w.ward_code IS NULL
             THEN 'area ' || coalesce(clean(r."geography code"), '(blank)') || ' is not in ' || getvariable('district_name') END AS _scope_reason
    FROM raw.census_ts007a r
    LEFT JOIN core.dim_lsoa l ON l.lsoa_code = upper(clean(r."geography code"))
    LEFT JOIN core.dim_ward w ON w.ward_code = upper(clean(r."geography code"))
),
long AS (
    UNPIVOT typed ON COLUMNS('^Age: ') INTO NAME age_column VALUE residents_text
),
banded AS (
    SELECT *,
        regexp_extract(age_column, '^Age: (.*); measures: Value$', 1) AS age_band,
        try_cast(to_number(residents_text) AS BIGINT) AS residents
    FROM long
)
SELECT
    area_code, area_type, age_band,
    CASE WHEN age_band LIKE '%under' THEN 0 ELSE try_cast(regexp_extract(age_band, '(\d+)', 1) AS INTEGER) END AS age_from,
    CASE WHEN age_band LIKE '%and over' THEN NULL ELSE try_cast(regexp_extract(age_band, '(\d+) years', 1) AS INTEGER) END AS age_to,
    residents,
    _source_file, _file_sha256, _row_number,
    reasons([
        CASE WHEN bool_or(residents IS NULL OR residents < 0) OVER row_window THEN 'an age band count is missing or negative' END,
        CASE WHEN sum(residents) OVER row_window IS DISTINCT FROM any_value(total) OVER row_window
             THEN 'age bands do not add up to the total' END
    ]) AS _reject_reason,
    _scope_reason
FROM banded
WINDOW row_window AS (PARTITION BY _file_sha256, _row_number)
