-- Census 2021 residents by five-year age band: ward as published, locality and district as sums of wards.
WITH ward AS (
    SELECT area_code AS ward_code, age_band, age_from, age_to, residents
    FROM staging.census_ts007a WHERE area_type = 'ward'
)
SELECT 'ward' AS area_type, ward_code AS area_code, age_band, age_from, age_to, residents FROM ward
UNION ALL
SELECT 'locality', w.locality_code, age_band, age_from, age_to, sum(residents)::BIGINT
FROM ward JOIN core.dim_ward w USING (ward_code) GROUP BY ALL
UNION ALL
SELECT 'district', getvariable('district_code'), age_band, age_from, age_to, sum(residents)::BIGINT FROM ward GROUP BY ALL
