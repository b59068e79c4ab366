-- staging.trials_register: one row per trial x measure it should move (a row naming three measures gives three).
WITH named AS (
    SELECT r.*, lower(nullif(trim(unnest(string_split(coalesce(r."Measures", ''), ';'))), '')) AS named_id
    FROM raw.trials_register r
), trials AS (  -- a former measure id is staged under the measure's id today
    SELECT n.*, coalesce(renamed.measure_id, n.named_id) AS measure_id
    FROM named n LEFT JOIN core.measure_renames renamed ON renamed.former_id = n.named_id
)
SELECT
    clean("Trial ID")                AS trial_id,
    clean("Service")                 AS service,
    uk_date("Start Date")            AS start_date,
    clean("Description")             AS description,
    measure_id,
    clean("Lead Officer")            AS lead_officer,
    _source_file, _file_sha256, _row_number,
    reasons([
        CASE WHEN clean("Trial ID") IS NULL THEN 'Trial ID is blank' END,
        CASE WHEN uk_date("Start Date") IS NULL THEN 'Start Date ' || coalesce("Start Date", '(blank)') || ' is not a date' END,
        CASE WHEN measure_id IS NULL THEN 'Measures is blank: name the catalogue ids the trial should move' END
    ])                               AS _reject_reason,
    NULL::VARCHAR                    AS _scope_reason
FROM trials
