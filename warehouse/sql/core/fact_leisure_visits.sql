-- Leisure visits by month, site and activity.
SELECT month_start, site, activity, visits, concession_visits, ward_code, _source_file, _file_sha256, _row_number
FROM staging.leisure_visits
