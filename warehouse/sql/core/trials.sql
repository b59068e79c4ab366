-- Check-plan-do trials and system changes (the trials register), one row per trial x measure it should move.
SELECT trial_id, service, start_date, description, measure_id, lead_officer, _source_file, _file_sha256, _row_number
FROM staging.trials_register
