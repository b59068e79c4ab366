-- CMT's focus measures per report and period: the list in the latest-loaded file for that report and period
-- (a re-delivered list replaces the earlier one, so a measure taken off the list goes).
WITH latest_file AS (
    SELECT s.report, s.period_start, s._file_sha256
    FROM staging.focus_measures s
    JOIN audit.loaded_files f ON f.source = 'focus_measures' AND f.file_sha256 = s._file_sha256
    QUALIFY row_number() OVER (PARTITION BY s.report, s.period_start
                               ORDER BY f.load_seq DESC NULLS LAST, s._source_file DESC) = 1
)
SELECT DISTINCT ON (s.report, s.period_start, s.measure_id)
       s.report, s.period_start, s.measure_id, s.reason, s._source_file, s._file_sha256, s._row_number
FROM staging.focus_measures s
JOIN latest_file l USING (report, period_start, _file_sha256)
ORDER BY s.report, s.period_start, s.measure_id, s._row_number
