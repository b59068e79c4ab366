-- staging.imd2019: deprivation by LSOA of the district. Other districts' LSOAs are out of scope.
SELECT
    upper(clean(r."LSOA code (2011)")) AS lsoa_code,
    to_number(r."Index of Multiple Deprivation (IMD) Score") AS imd_score,
    try_cast(to_number(r."Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)") AS INTEGER) AS imd_rank,
    try_cast(to_number(r."Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)") AS INTEGER) AS imd_decile,
    to_number(r."Income Score (rate)") AS income_score,
    to_number(r."Employment Score (rate)") AS employment_score,
    r._source_file, r._file_sha256, r._row_number,
    reasons([
        CASE WHEN l.lsoa_code IS NULL THEN 'LSOA is not in the ' || getvariable('district_name') || ' geography lookup' END,
        CASE WHEN try_cast(to_number(r."Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)") AS INTEGER) NOT BETWEEN 1 AND 10
             THEN 'IMD decile is not between 1 and 10' END
    ]) AS _reject_reason,
    CASE WHEN upper(clean(r."Local Authority District code (2019)")) IS DISTINCT FROM getvariable('district_code')
         THEN 'LSOA in another local authority' END AS _scope_reason
FROM raw.imd2019 r
LEFT JOIN core.dim_lsoa l ON l.lsoa_code = upper(clean(r."LSOA code (2011)"))
