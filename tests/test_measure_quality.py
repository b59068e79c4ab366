"""marts.measure_quality (quality/measure_quality.py): the dashboards' quality status is the worst latest verdict of
each measure's own build checks, with the reasons; timeliness and the GX suites (judged at other moments of the
night) are left out so the status does not depend on step order."""

from __future__ import annotations

import duckdb

from quality.measure_quality import build_measure_quality


def test_the_status_is_the_worst_latest_verdict_of_the_measures_own_checks():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA audit; CREATE SCHEMA marts")
    con.execute("""CREATE TABLE audit.check_results (subject_type VARCHAR, subject VARCHAR, criterion VARCHAR,
                   check_name VARCHAR, status VARCHAR, reason VARCHAR, seq BIGINT, checked_at TIMESTAMP)""")
    con.execute("""INSERT INTO audit.check_results VALUES
        -- missed bins: accurate failed on run 1 and passed on run 2 (latest wins); reliable warns
        ('measure', 'missed_bins', 'accurate', 'accurate', 'fail', 'a ward above the district', 1, '2026-11-01'),
        ('measure', 'missed_bins', 'accurate', 'accurate', 'pass', 'ok', 2, '2026-11-02'),
        ('measure', 'missed_bins', 'reliable', 'reliable', 'warn', 'November rests on 3 records', 2, '2026-11-02'),
        -- a late measure and a failing GX suite do not count here (scorecard only)
        ('measure', 'missed_bins', 'timely', 'timely', 'fail', 'late', 3, '2026-11-03'),
        ('measure', 'missed_bins', 'accurate', 'gx:marts.measure_values', 'fail', 'gx', 3, '2026-11-03'),
        -- lettings: everything passed; another measure's failure is not lettings'
        ('measure', 'lettings_count', 'verifiable', 'verifiable', 'pass', 'ok', 2, '2026-11-02'),
        ('source', 'lettings', 'accurate', 'accurate', 'fail', 'a source', 2, '2026-11-02'),
        -- relet time: two problems, both named, in criterion order
        ('measure', 'relet_mean_days', 'reliable', 'reliable', 'warn', 'few lets', 2, '2026-11-02'),
        ('measure', 'relet_mean_days', 'accurate', 'accurate', 'fail', 'negative days', 2, '2026-11-02')""")
    build_measure_quality(con, ["missed_bins", "lettings_count", "relet_mean_days", "fly_tipping_reports"])
    assert con.execute("SELECT * FROM marts.measure_quality ORDER BY measure_id").fetchall() == [
        ("fly_tipping_reports", "not checked", None),
        ("lettings_count", "pass", None),
        ("missed_bins", "warn", "reliable: November rests on 3 records"),
        ("relet_mean_days", "fail", "accurate: negative days | reliable: few lets")]
