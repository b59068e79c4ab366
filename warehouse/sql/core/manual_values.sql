-- Values officers submit in their team's performance return for measures no system records, one per measure
-- and period: the one in the latest-loaded return (a corrected return replaces the earlier value).
SELECT r.measure_id, r.period_start, r.manual_value AS value, r.commentary_by AS submitted_by,
       f.loaded_at AS submitted_at, r._source_file, r._file_sha256, r._row_number
FROM staging.performance_returns r
JOIN audit.loaded_files f ON f.source = 'performance_returns' AND f.file_sha256 = r._file_sha256
WHERE r.manual_value IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY r.measure_id, r.period_start  -- load order, not wall-clock time
                           ORDER BY f.load_seq DESC NULLS LAST, f.loaded_at DESC, r._source_file DESC,
                                    r._row_number DESC) = 1
