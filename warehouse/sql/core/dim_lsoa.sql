-- LSOAs of the district and their best-fit ward (ONS lookup).
SELECT lsoa_code, lsoa_name, ward_code FROM staging.ons_lookup
