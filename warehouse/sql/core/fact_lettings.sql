-- Housing association lettings, with days the home stood empty.
-- incremental: append
SELECT letting_key, tenancy_start_date, void_start_date, tenancy_start_date - void_start_date AS void_days,
       property_type, bedrooms, council_nomination, ward_code, lsoa_code, _source_file, _file_sha256, _row_number
FROM staging.lettings
