-- Crimes and anti-social behaviour incidents recorded in the district, by month and LSOA.
-- incremental: append
SELECT crime_id, month_start, crime_type, is_asb, last_outcome, lsoa_code, ward_code,
       _source_file, _file_sha256, _row_number
FROM staging.police_street
