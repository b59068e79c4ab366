-- Addresses (UPRN) from the current gazetteer snapshot, with their ward and LSOA.
SELECT uprn, postcode, ward_code, lsoa_code, classification FROM staging.llpg
