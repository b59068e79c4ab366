-- Case-based services in one shape: when the customer first made contact, when the service's own clock
-- started, when it ended (need met or decided), the outcome, and whether it was in time.
-- incremental: append
SELECT 'housing_options' AS service, 'homelessness case' AS case_type, case_key,
       approach_date AS first_contact_date, approach_date AS clock_start_date, outcome_date AS end_date,
       outcome, NULL::BOOLEAN AS in_time, ward_code, lsoa_code, _source_file, _file_sha256, _row_number
FROM staging.housing_options
UNION ALL
SELECT 'benefits', lower(event_type), claim_key, received_date, all_evidence_date, decision_date, decision, NULL,
       ward_code, lsoa_code, _source_file, _file_sha256, _row_number
FROM staging.benefits_claims
UNION ALL
SELECT 'planning', lower(application_type), application_number, received_date, valid_date, decision_date, decision,
       decision_date - valid_date <= CASE application_type WHEN 'Major' THEN 91 ELSE 56 END OR extension_agreed,
       ward_code, lsoa_code, _source_file, _file_sha256, _row_number
FROM staging.planning_applications
UNION ALL
SELECT 'disabled_facilities_grants', lower(adaptation), case_key, referral_date, approval_date, completion_date,
       'completed', NULL, ward_code, lsoa_code, _source_file, _file_sha256, _row_number
FROM staging.dfg_cases
UNION ALL
SELECT 'street_scene', report_group, report_key, reported_at::DATE, reported_at::DATE, completed_at::DATE,
       CASE WHEN completed_at IS NULL THEN 'open' ELSE 'completed' END, NULL,
       ward_code, lsoa_code, _source_file, _file_sha256, _row_number
FROM staging.waste_reports
