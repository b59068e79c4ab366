-- One row per customer contact (the demand log), with the area it concerns.
-- incremental: append
SELECT contact_key, received_at, closed_at, received_at::DATE AS received_date, channel, service, demand_type,
       demand_category, resolved_first_contact, uprn, ward_code, lsoa_code,
       _source_file, _file_sha256, _row_number
FROM staging.crm_contacts
