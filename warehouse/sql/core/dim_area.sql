-- Every reporting area, one row each: the district, localities, wards and LSOAs, with their parent.
SELECT 'district' AS area_type, getvariable('district_code') AS area_code, getvariable('district_area_name') AS area_name,
       NULL AS parent_code
UNION ALL
SELECT DISTINCT 'locality', locality_code, locality_name, getvariable('district_code') FROM core.dim_ward
UNION ALL
SELECT 'ward', ward_code, ward_name, locality_code FROM core.dim_ward
UNION ALL
SELECT 'lsoa', lsoa_code, lsoa_name, ward_code FROM core.dim_lsoa
