-- Commentary and manager sign-off per measure and period (seed section 7), with who and when: the latest
-- commentary and the latest sign-off from any return, each with the file it came from. A sign-off covers the
-- latest commentary (sign_off_covers_commentary) when it is on the same line of the same file (by content) and
-- was first given beside that text, or when it was first given on the night the text first arrived or later and
-- is dated on or after it. So a text edited and sent after a sign-off (keeping the template's date), or an old
-- template carrying a sign-off forward beside new text, is not covered; the same text sent again keeps its
-- sign-off. Undated commentary is covered only by a sign-off beside it. The latest loaded sign-off counts.
WITH returned AS (
    SELECT r.*, coalesce(f.load_seq, 0) AS load_seq,  -- load order, not wall-clock time
           coalesce(f.loaded_as_of, DATE '1900-01-01') AS loaded_as_of  -- loads from before the column: one night
    FROM staging.performance_returns r
    JOIN audit.loaded_files f ON f.source = 'performance_returns' AND f.file_sha256 = r._file_sha256
),
commentary AS (  -- the latest text, and the night that text (word for word) first arrived
    SELECT measure_id, period_start, commentary, commentary_by, commentary_date, _source_file AS commentary_file,
           _file_sha256 AS commentary_sha256, _row_number AS commentary_row,
           min(loaded_as_of) OVER (PARTITION BY measure_id, period_start, commentary) AS commentary_night
    FROM returned
    WHERE commentary IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY measure_id, period_start
                               ORDER BY load_seq DESC, commentary_date DESC NULLS LAST, _row_number DESC) = 1
),
sign_off_first AS (  -- each sign-off (person and date) where it first appeared: its night and the text beside it
    SELECT measure_id, period_start, signed_off_by, signed_off_date, loaded_as_of AS sign_off_night,
           commentary AS signed_text
    FROM returned
    WHERE signed_off_by IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY measure_id, period_start, signed_off_by, signed_off_date
                               ORDER BY load_seq, _row_number) = 1
),
sign_off AS (  -- the latest loaded sign-off, judged by where it first appeared
    SELECT r.measure_id, r.period_start, r.signed_off_by, r.signed_off_date, r._source_file AS sign_off_file,
           r._file_sha256 AS sign_off_sha256, r._row_number AS sign_off_row, f.sign_off_night, f.signed_text
    FROM returned r
    JOIN sign_off_first f USING (measure_id, period_start, signed_off_by, signed_off_date)
    WHERE r.signed_off_by IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY r.measure_id, r.period_start
                               ORDER BY r.load_seq DESC, r._row_number DESC) = 1
)
SELECT measure_id, period_start, c.commentary, c.commentary_by, c.commentary_date, c.commentary_file,
       s.signed_off_by, s.signed_off_date, s.sign_off_file,
       coalesce(s.signed_off_by IS NOT NULL AND (
           -- beside the text, and given for it (not carried forward from a template beside other text) ...
           (s.sign_off_sha256 = c.commentary_sha256 AND s.sign_off_row = c.commentary_row
            AND s.signed_text IS NOT DISTINCT FROM c.commentary)
           -- ... or first given on the night the text first arrived or later, and dated on or after it
           OR (s.sign_off_night >= c.commentary_night AND s.signed_off_date >= c.commentary_date)), false)
           AS sign_off_covers_commentary
FROM commentary c
FULL JOIN sign_off s USING (measure_id, period_start)
