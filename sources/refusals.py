"""Refused landing files, remembered across runs (`audit.refused_files`).

A file that cannot be loaded (unreadable, in the wrong encoding, missing a column, truncated) is refused and
its source is held back at its last good data (quality/holds.py) while the refusal is outstanding. It is
resolved when the file no longer fails (fixed in place, or removed from the landing folder) or when a later
delivery for the same period (the same delivery key, e.g. `..._2026-11-corrected.csv`) was loaded after it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import clock


def record_refusals(con: duckdb.DuckDBPyConnection, source: str, refused: list[tuple[Path, str, str]],
                    run_id: str) -> dict[str, str]:
    """Record this run's refusals of `source` ((path, problem, delivery key) for every file that failed) and
    resolve the earlier ones that no longer stand. Called after every scan of the source's landing folder.
    Returns the files that failed again but were already replaced (path -> how), which hold nothing back."""
    now = clock.timestamp()
    failing = {str(path) for path, _, _ in refused}
    for path, problem, key in refused:
        stat = path.stat() if path.exists() else None
        con.execute("""
            INSERT INTO audit.refused_files (source, file_name, file_path, delivery_key, size_bytes, file_modified_ns,
                problem, first_refused_at, first_refused_seq, first_run_id, last_refused_at, last_run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (source, file_path) DO UPDATE SET
                problem = excluded.problem, size_bytes = excluded.size_bytes,
                file_modified_ns = excluded.file_modified_ns, delivery_key = excluded.delivery_key,
                last_refused_at = excluded.last_refused_at, last_run_id = excluded.last_run_id,
                -- refused again after it had been resolved: a new refusal
                first_refused_at = CASE WHEN refused_files.resolved_at IS NULL THEN refused_files.first_refused_at
                                        ELSE excluded.first_refused_at END,
                first_refused_seq = CASE WHEN refused_files.resolved_at IS NULL THEN refused_files.first_refused_seq
                                         ELSE excluded.first_refused_seq END,
                first_run_id = CASE WHEN refused_files.resolved_at IS NULL THEN refused_files.first_run_id
                                    ELSE excluded.first_run_id END,
                resolved_at = NULL, resolution = NULL""",
                    [source, path.name, str(path), key, stat.st_size if stat else None,
                     stat.st_mtime_ns if stat else None, problem, now, clock.next_build_seq(con), run_id, now, run_id])
    # A later delivery for the same period: loaded after the refusal, or delivered after the refused file (both
    # can arrive before one load, which takes them in delivery order).
    later = """FROM audit.loaded_files l WHERE l.source = r.source AND l.delivery_key = r.delivery_key
               AND (l.load_seq > r.first_refused_seq OR l.file_modified_ns > r.file_modified_ns)"""
    con.execute(f"""
        UPDATE audit.refused_files r SET resolved_at = ?, resolution = coalesce(
            (SELECT 'replaced by ' || max(l.file_name) || ', a later delivery for ' || r.delivery_key {later}),
            'no longer refused: loaded after a fix, or removed')
        WHERE r.source = ? AND r.resolved_at IS NULL
          AND (NOT list_contains(?::VARCHAR[], r.file_path) OR EXISTS (SELECT 1 {later}))""",
                [now, source, sorted(failing)])
    return dict(con.execute("""SELECT file_path, resolution FROM audit.refused_files WHERE source = ?
                               AND resolved_at IS NOT NULL AND list_contains(?::VARCHAR[], file_path)""",
                            [source, sorted(failing)]).fetchall())


def outstanding_refusals(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple[str, str]]:
    """(file name, problem) of every refusal of `source` not yet resolved."""
    return con.execute("""SELECT file_name, problem FROM audit.refused_files WHERE source = ? AND resolved_at IS NULL
                          ORDER BY file_name""", [source]).fetchall()
