"""quality/holds.py on a hand-made warehouse, no night: what a blocking failure rolls back, what it records (since
when, why, which files, the failed rows), how a second failure keeps the first one's date, and what releases it.
tests/test_holds.py runs the same promises through whole nights; this module is the fast tier's (make mutants)."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from quality.holds import blocking_failures, build_data_holds, held_files, judged_build, open_holds, reads_source
from quality.outcome import Outcome
from warehouse.catalogue import catalogue
from warehouse.db import ensure_schemas

NIGHT_1, NIGHT_2, NIGHT_3 = dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 11, 4)


def _outcome(criterion: str, status: str, summary: str) -> Outcome:
    return Outcome("source", "waste_reports", criterion, status, summary, "owner@example.org")


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """Street-scene reports with two rows staged from file aaa; file bbb (3 rows) loaded into raw since, not staged;
    file ccc refused; one old quarantined row of aaa."""
    con = duckdb.connect()
    ensure_schemas(con)
    con.execute("CREATE TABLE staging.waste_reports (report_ref VARCHAR, _file_sha256 VARCHAR)")
    con.execute("INSERT INTO staging.waste_reports VALUES ('W1', 'aaa'), ('W2', 'aaa')")
    con.execute("""INSERT INTO audit.row_conservation VALUES
                   ('waste_reports', 'landing/waste_2026-09.csv', 'aaa', 3, 2, 1, 0, true, '2026-10-02', 'run-0')""")
    con.execute("""INSERT INTO audit.quarantine (source, source_file, file_sha256, row_number, reason, run_id,
                   recorded_at, failed_checks) VALUES ('waste_reports', 'landing/waste_2026-09.csv', 'aaa', 3,
                   'UPRN is not a number', 'run-0', '2026-10-02', 'conform')""")
    con.execute("""INSERT INTO audit.loaded_files BY NAME SELECT * FROM (VALUES
                   ('waste_reports', 'waste_2026-09.csv', 'landing/waste_2026-09.csv', 'aaa', 3, 0,
                    TIMESTAMP '2026-10-02', 'run-0'),
                   ('waste_reports', 'waste_2026-10.csv', 'landing/waste_2026-10.csv', 'bbb', 3, 0,
                    TIMESTAMP '2026-11-02', 'run-1'),
                   ('waste_reports', 'waste_empty.csv', 'landing/waste_empty.csv', 'eee', 0, 0,
                    TIMESTAMP '2026-11-02', 'run-1'),
                   ('planning_applications', 'planning_2026-10.csv', 'landing/planning_2026-10.csv', 'ppp', 4, 0,
                    TIMESTAMP '2026-11-02', 'run-1'))
                   t(source, file_name, file_path, file_sha256, rows_loaded, blank_rows, loaded_at, run_id)""")
    con.execute("""INSERT INTO audit.refused_files (source, file_name, file_path, problem, first_refused_at,
                   first_refused_seq, last_refused_at) VALUES
                   ('waste_reports', 'waste_2026-11.csv', 'landing/waste_2026-11.csv', 'not UTF-8', '2026-11-02', 1,
                    '2026-11-02'),
                   ('waste_reports', 'waste_old.csv', 'landing/waste_old.csv', 'truncated', '2026-09-02', 0,
                    '2026-09-02')""")
    con.execute("UPDATE audit.refused_files SET resolved_at = '2026-10-02' WHERE file_name = 'waste_old.csv'")
    return con


def _stage_file_bbb(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """What staging bbb writes: one row staged, two rows of bbb quarantined (in the transaction judged_build opens)."""
    con.execute("INSERT INTO staging.waste_reports VALUES ('W3', 'bbb')")
    con.execute("""INSERT INTO audit.quarantine (source, source_file, file_sha256, row_number, reason, run_id,
                   recorded_at, failed_checks) VALUES
                   ('waste_reports', 'landing/waste_2026-10.csv', 'bbb', 1, 'Reported At is not a date', ?,
                    '2026-11-02', 'conform'),
                   ('waste_reports', 'landing/waste_2026-10.csv', 'bbb', 2, 'UPRN is not a number', ?,
                    '2026-11-02', 'conform')""", [run_id, run_id])


def _refs(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT report_ref FROM staging.waste_reports ORDER BY 1").fetchall()]


def test_only_blocking_failures_hold_back() -> None:
    outcomes = [_outcome("accurate", "fail", "2 of 3 rows failed"), _outcome("timely", "fail", "late"),
                _outcome("reliable", "warn", "volume"), _outcome("verifiable", "pass", "ok"),
                _outcome("commentary", "fail", "no commentary"), _outcome("sign_off", "fail", "not signed off"),
                _outcome("well_defined", "fail", "bad type")]
    assert [o.criterion for o in blocking_failures(outcomes)] == ["accurate", "well_defined"]


def test_a_failed_build_rolls_back_records_the_hold_and_a_passing_one_releases_it(con) -> None:
    # Night 1: accurate fails (blocking), timely fails (never blocking): rolled back, held since night 1.
    with judged_build(con, "source", "waste_reports", "run-1", NIGHT_1) as gate:
        _stage_file_bbb(con, "run-1")
        gate.hold_for([_outcome("accurate", "fail", "2 of 3 rows failed"), _outcome("timely", "fail", "late")])
    assert gate.held and gate.reasons == ["accurate: 2 of 3 rows failed"]
    assert _refs(con) == ["W1", "W2"]  # the last good rows
    [(kind, subject, since, since_as_of, reason)] = open_holds(con)
    assert (kind, subject, since_as_of, reason) == ("source", "waste_reports", NIGHT_1, "accurate: 2 of 3 rows failed")
    assert since == gate.since
    # bbb was loaded but not staged (eee loaded no rows; aaa is staged); the 2026-11 file is refused, the old one
    # was resolved.
    assert json.loads(con.execute("SELECT files FROM audit.holds").fetchone()[0]) == [
        {"file": "waste_2026-10.csv", "sha256": "bbb", "why": "loaded, not staged"},
        {"file": "waste_2026-11.csv", "why": "refused"}]
    # What to fix: the attempt's two failed rows of bbb (rolled back from the quarantine), not aaa's old one.
    assert con.execute("SELECT file_sha256, row_number, reason, run_id FROM audit.held_rows ORDER BY 2").fetchall() \
        == [("bbb", 1, "Reported At is not a date", "run-1"), ("bbb", 2, "UPRN is not a number", "run-1")]
    assert con.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0] == 1

    # Night 2: fails again, for another reason: still one hold, still since night 1; the reason is tonight's.
    with judged_build(con, "source", "waste_reports", "run-2", NIGHT_2) as again:
        _stage_file_bbb(con, "run-2")
        again.hold_for([_outcome("verifiable", "fail", "1 row untraced"), _outcome("accurate", "fail", "2 of 3")])
    assert again.since == since
    assert con.execute("""SELECT held_since, held_since_as_of, held_since_run, last_held_run, last_held_as_of, reason,
                          released_at FROM audit.holds""").fetchall() == [
        (since, NIGHT_1, "run-1", "run-2", NIGHT_2, "verifiable: 1 row untraced | accurate: 2 of 3", None)]
    assert con.execute("SELECT DISTINCT run_id FROM audit.held_rows").fetchall() == [("run-2",)]

    # Night 3: passes: committed, released on night 3, nothing held, no failed rows kept.
    with judged_build(con, "source", "waste_reports", "run-3", NIGHT_3) as passed:
        con.execute("INSERT INTO staging.waste_reports VALUES ('W3', 'bbb')")
        passed.hold_for([_outcome("timely", "fail", "late"), _outcome("reliable", "warn", "volume")])
    assert not passed.held and passed.since is None
    assert _refs(con) == ["W1", "W2", "W3"]
    assert open_holds(con) == []
    assert con.execute("SELECT released_as_of, released_run, released_at IS NOT NULL FROM audit.holds").fetchall() \
        == [(NIGHT_3, "run-3", True)]
    assert con.execute("SELECT count(*) FROM audit.held_rows").fetchone()[0] == 0


def test_a_first_build_held_back_leaves_an_empty_table_with_its_columns(con) -> None:
    con.execute("""INSERT INTO audit.held_rows VALUES ('waste_reports', 'f', 'bbb', 1, 'kept', NULL, NULL,
                   '2026-11-02')""")
    with judged_build(con, "measure", "missed_bins", "run-1", NIGHT_1) as gate:
        con.execute("CREATE TABLE measures.missed_bins AS SELECT DATE '2026-10-01' AS period_start, 7 AS value")
        gate.hold_for([Outcome("measure", "missed_bins", "accurate", "fail", "value in the future", "o")])
    assert gate.held
    assert con.execute("SELECT count(*) FROM measures.missed_bins").fetchone()[0] == 0
    assert [d[0] for d in con.execute("SELECT * FROM measures.missed_bins").description] == ["period_start", "value"]
    assert con.execute("SELECT subject_type, subject, files FROM audit.holds").fetchall() == [
        ("measure", "missed_bins", None)]
    assert con.execute("SELECT count(*) FROM audit.held_rows").fetchone()[0] == 1  # a measure keeps no source rows


def test_an_exception_rolls_back_and_records_no_hold(con) -> None:
    with pytest.raises(RuntimeError, match="boom"), judged_build(con, "source", "waste_reports", "run-1", NIGHT_1):
        con.execute("INSERT INTO staging.waste_reports VALUES ('W3', 'bbb')")
        raise RuntimeError("boom")
    assert _refs(con) == ["W1", "W2"]
    assert open_holds(con) == []


def test_held_files_names_loaded_unstaged_and_refused_files_of_that_source_only(con) -> None:
    assert held_files(con, "planning_applications") == [
        {"file": "planning_2026-10.csv", "sha256": "ppp", "why": "loaded, not staged"}]
    con.execute("""INSERT INTO audit.row_conservation VALUES
                   ('waste_reports', 'landing/waste_2026-10.csv', 'bbb', 3, 3, 0, 0, true, '2026-11-02', 'run-1')""")
    assert held_files(con, "waste_reports") == [{"file": "waste_2026-11.csv", "why": "refused"}]


@pytest.fixture
def fact_cases(con) -> str:
    """core.fact_cases from two sources: planning file ppp (2 decisions), waste file www (1 report)."""
    con.execute("""CREATE TABLE core.fact_cases AS SELECT * FROM (VALUES
                   ('planning', DATE '2026-10-01', 'ppp'), ('planning', DATE '2026-10-01', 'ppp'),
                   ('street_scene', DATE '2026-10-01', 'www')) t(case_type, period_start, _file_sha256)""")
    con.execute("""INSERT INTO audit.row_conservation VALUES
                   ('planning_applications', 'p.csv', 'ppp', 2, 2, 0, 0, true, '2026-11-02', 'run-1'),
                   ('waste_reports_x', 'w.csv', 'www', 1, 1, 0, 0, true, '2026-11-02', 'run-1')""")
    return "SELECT period_start, count(*) AS value FROM core.fact_cases WHERE case_type = 'planning' GROUP BY 1"


def test_a_measure_reads_a_source_only_when_its_rows_reach_the_measure(con, fact_cases) -> None:
    assert reads_source(con, fact_cases, "planning_applications")
    assert not reads_source(con, fact_cases, "waste_reports_x")  # its rows are filtered out by case_type
    assert reads_source(con, fact_cases, "lettings")  # nothing staged: cannot tell, so yes
    con.execute("CREATE TABLE core.no_lineage AS SELECT 'planning' AS case_type")
    assert reads_source(con, "SELECT case_type FROM core.no_lineage WHERE false", "waste_reports_x")


def test_data_holds_name_each_measure_held_back_by_its_source_or_itself(con) -> None:
    con.execute("""INSERT INTO audit.holds (subject_type, subject, held_since, held_since_as_of, reason) VALUES
                   ('source', 'lettings', '2026-11-03 02:00', '2026-11-03', 'accurate: 9 of 10 rows failed'),
                   ('measure', 'relet_mean_days', '2026-11-01 02:00', '2026-11-01', 'accurate: negative days'),
                   ('measure', 'missed_bins', '2026-10-30 02:00', '2026-10-30', 'verifiable: mismatch')""")
    con.execute("""INSERT INTO audit.holds (subject_type, subject, held_since, held_since_as_of, reason, released_at)
                   VALUES ('measure', 'planning_decisions', '2026-10-01', '2026-10-01', 'old', '2026-10-02')""")
    measure_ids = sorted(catalogue().measures)
    assert build_data_holds(con, measure_ids) == 25
    rows = {r[0]: r[1:] for r in con.execute("SELECT * FROM marts.data_holds").fetchall()}
    # Lettings feeds core.fact_lettings, which two measures read (nothing staged: both are reached).
    assert rows["lettings_count"] == (True, "source lettings", dt.datetime(2026, 11, 3, 2), NIGHT_2,
                                      "source lettings: accurate: 9 of 10 rows failed")
    assert rows["relet_mean_days"] == (
        True, "measure relet_mean_days; source lettings", dt.datetime(2026, 11, 1, 2), dt.date(2026, 11, 1),
        "measure relet_mean_days: accurate: negative days || source lettings: accurate: 9 of 10 rows failed")
    assert rows["missed_bins"][:2] == (True, "measure missed_bins")
    held = sorted(m for m, r in rows.items() if r[0])
    assert held == ["lettings_count", "missed_bins", "relet_mean_days"]  # a released hold holds nothing
    assert rows["planning_decisions"] == (False, None, None, None, None)
