-- staging.trials_register: one row per trial x measure it should move (a row naming three measures gives three).
WITH trials AS (
    SELECT r.*, trim(unnest(string_split(coalesce(r."Measures", ''), ';'))) AS measure_id
    FROM raw.trials_register r
)
SELECT
    clean("Trial ID")                AS trial_id,
    clean("Service")                 AS service,
    uk_date("Start Date")            AS start_date,
    clean("Description")             AS description,
    lower(nullif(measure_id, ''))    AS measure_id,
    clean("Lead Officer")            AS lead_officer,
    _source_file, _file_sha256, _row_number,
    reasons([
        CASE WHEN clean("Trial ID") IS NULL THEN 'Trial ID is blank' END,
        CASE WHEN uk_date("Start Date") IS NULL THEN 'Start Date ' || coalesce("Start Date", '(blank)') || ' is not a date' END,
        CASE WHEN nullif(measure_id, '') IS NULL THEN 'Measures is blank: name the catalogue ids the trial should move' END
    ])                               AS _reject_reason,
    NULL::VARCHAR                    AS _scope_reason
FROM trials
