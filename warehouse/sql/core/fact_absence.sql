-- Sickness absence by employee-month, with the team as the catalogue names it.
-- incremental: append
SELECT a.employee_key, a.month_start, a.team_name, t.team_id, a.fte, a.days_lost,
       a._source_file, a._file_sha256, a._row_number
FROM staging.hr_absence a
LEFT JOIN core.dim_team t ON lower(t.hr_team_name) = lower(a.team_name)
