"""Which files a source has delivered, for judging months delivered (timeliness, completeness).

`audit.loaded_files` holds each distinct file once (keyed by its SHA-256), so a second file with the same bytes
is recorded in `audit.duplicate_deliveries` and not loaded again. For a file with rows that is right (the same
rows must not count twice), but two months with nothing to report send the same bytes: a header only. The
later empty month is still that month's delivery, so it counts here, with the night it was seen.
"""

from __future__ import annotations

DELIVERIES = """(
    SELECT source, file_name, file_sha256, loaded_at, loaded_as_of FROM audit.loaded_files
    UNION ALL  -- an empty month's file: the same header-only bytes as an earlier empty month's
    SELECT d.source, regexp_extract(d.file_path, '[^/\\\\]+$'), d.file_sha256, d.seen_at, d.seen_as_of
    FROM audit.duplicate_deliveries d
    JOIN audit.loaded_files l ON l.source = d.source AND l.file_sha256 = d.file_sha256
    WHERE l.rows_loaded = 0
)"""
"""SQL relation: every delivery of a source, one row per file (source, file_name, file_sha256, loaded_at,
loaded_as_of), including empty months' files whose bytes were already loaded under another name."""
