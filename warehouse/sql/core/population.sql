-- Census 2021 usual residents by area: LSOA and ward as published, locality and district as the sum of wards
-- (BIGINT: a sum is HUGEINT in DuckDB, which Power BI and ODBC read poorly).
WITH ward AS (
    SELECT area_code AS ward_code, usual_residents FROM staging.census_ts001 WHERE area_type = 'ward'
)
SELECT 'lsoa' AS area_type, area_code, usual_residents, 2021 AS census_year
FROM staging.census_ts001 WHERE area_type = 'lsoa'
UNION ALL
SELECT 'ward', ward_code, usual_residents, 2021 FROM ward
UNION ALL
SELECT 'locality', w.locality_code, sum(usual_residents)::BIGINT, 2021
FROM ward JOIN core.dim_ward w USING (ward_code) GROUP BY w.locality_code
UNION ALL
SELECT 'district', getvariable('district_code'), sum(usual_residents)::BIGINT, 2021 FROM ward
