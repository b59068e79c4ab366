"""A measure's timeliness and reliability (quality/measure_checks.py) at their edges, and one verdict over many
(quality/outcome.py `combine`), on hand-made values, no night."""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pytest

from quality.measure_checks import definition_hash, reliable, timely, well_defined
from quality.outcome import Outcome, combine, record, verdict
from quality.ownership import judge_ownership
from warehouse import clock
from warehouse.catalogue import catalogue
from warehouse.db import ensure_schemas

CONTACTS = catalogue().measures["contacts_received"]  # monthly; 45 days after a period ends, then 30 days' grace


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_schemas(con)  # the audit tables: no source staged, so every period counts as delivered
    con.execute("""CREATE TABLE measures.contacts_received AS SELECT m AS period_start, last_day(m) AS period_end,
                   'district' AS area_type, 10.0 AS value, 10 AS observations
                   FROM (SELECT unnest([DATE '2026-06-01', DATE '2026-07-01', DATE '2026-08-01',
                                        DATE '2026-09-01']) AS m)""")
    return con


def test_a_measure_is_late_45_days_after_its_period_and_fails_30_days_later(con) -> None:
    # September ends on 30 September: due by 14 November (45 days); a fail after 14 December (30 days more).
    late = ("The latest value is for the period ending 30 September 2026; a newer one was due by 14 November 2026 "
            "(allowed: 45 days after a period ends).")
    on_time = timely(con, CONTACTS, dt.date(2026, 11, 14))
    assert (on_time.status, on_time.summary) == ("pass", "Latest value is for September 2026; the next is due by "
                                                         "14 November 2026.")
    assert (timely(con, CONTACTS, dt.date(2026, 11, 15)).status, timely(con, CONTACTS, dt.date(2026, 11, 15)).problems
            ) == ("warn", [late])
    assert timely(con, CONTACTS, dt.date(2026, 12, 14)).status == "warn"
    assert (timely(con, CONTACTS, dt.date(2026, 12, 15)).status, timely(con, CONTACTS, dt.date(2026, 12, 15)).problems
            ) == ("fail", [late])
    assert timely(con, CONTACTS, dt.date(2026, 12, 15)).period == dt.date(2026, 9, 1)


def test_a_missing_period_is_named_and_no_values_at_all_fail(con) -> None:
    con.execute("DELETE FROM measures.contacts_received WHERE period_start IN ('2026-07-01', '2026-08-01')")
    outcome = timely(con, CONTACTS, dt.date(2026, 11, 1))
    assert (outcome.status, outcome.problems, outcome.rows_failed) == (
        "warn", ["2 period(s) between June 2026 and September 2026 have no value."], 2)
    gappy = dataclasses.replace(CONTACTS, quality=dataclasses.replace(CONTACTS.quality, allow_gaps=True))
    assert timely(con, gappy, dt.date(2026, 11, 1)).status == "pass"  # a measure whose periods may be empty
    con.execute("DROP TABLE measures.contacts_received")
    assert timely(con, CONTACTS, dt.date(2026, 11, 1)).problems == [
        "There are no values yet: its sources delivered nothing usable."]


def _outcome(subject: str, status: str, problems: list[str], owner: str, rows: int = 0) -> Outcome:
    return Outcome("measure", subject, "accurate", status, " ".join(problems) or "ok", owner, problems=problems,
                   rows_failed=rows, sample=[{"subject": subject}])


def test_one_verdict_over_many_is_the_worst_with_each_failing_subject_named() -> None:
    outcomes = [_outcome("a", "pass", [], "a@x", 9), _outcome("b", "warn", ["b1", "b2"], "b@x", 2),
                _outcome("c", "fail", ["c1"], "c@x", 3), _outcome("d", "warn", ["d1"], "b@x", 4)]
    merged = combine(outcomes, "mart", "marts.measure_values", "accurate", "policy@x", "gx:marts.measure_values")
    assert (merged.status, merged.owner, merged.rows_failed, merged.check_name) == (
        "fail", "b@x, c@x", 9, "gx:marts.measure_values")
    assert merged.problems == ["b: b1", "b: b2", "c: c1", "d: d1"]
    assert merged.summary == "3 of 4 failed. b: b1 b: b2 c: c1"
    assert [s["subject"] for s in merged.sample] == ["b", "c", "d"]
    clean = combine(outcomes[:1], "mart", "m", "accurate", "policy@x", "gx")
    assert (clean.status, clean.summary, clean.owner, clean.rows_failed) == ("pass", "All 1 passed.", "policy@x", 0)
    assert combine([], "mart", "m", "accurate", "policy@x", "gx").status == "pass"


@pytest.mark.parametrize(("latest", "status"), [(15, "pass"), (16, "warn"), (5, "pass"), (4, "warn")])
def test_reliable_at_half_the_usual_volume_either_way(con, latest, status) -> None:
    # June to August rest on 10 records each (the usual: median 10); September on `latest`. contacts_received
    # judges volumes from a usual of 20 (min_volume), so the test's usual is made 10 x 2 = 20 and latest x 2.
    con.execute("UPDATE measures.contacts_received SET observations = CASE WHEN period_start = '2026-09-01' "
                "THEN ? ELSE 10 END * 2", [latest])
    outcome = reliable(con, CONTACTS, "run-1")
    assert (outcome.status, outcome.period) == (status, dt.date(2026, 9, 1))
    if status == "pass":
        assert outcome.summary == "Volumes in line with history; definition unchanged."
    else:
        assert outcome.problems == [f"September 2026 rests on {latest * 2} records; usually about 20 (more than 50% "
                                    "different)."]


def test_reliable_records_a_definition_and_doubts_a_change_without_a_rebase(con) -> None:
    assert reliable(con, CONTACTS, "run-1").status == "pass"  # its definition, recorded the first time
    assert con.execute("SELECT definition FROM audit.measure_definitions WHERE measure_id = 'contacts_received'"
                       ).fetchall() == [(definition_hash(CONTACTS),)]
    changed = dataclasses.replace(CONTACTS, sql=CONTACTS.sql + " -- and something else")
    [problem] = reliable(con, changed, "run-2").problems
    assert problem.startswith(f"The measure's SQL changed (definition {definition_hash(changed)}) without a "
                              "recorded rebase")


def test_ownership_doubts_a_missing_commentary_and_sign_off_of_the_latest_period() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("""CREATE TABLE marts.commentary_status AS SELECT * FROM (VALUES
                   ('missed_bins', DATE '2026-10-01', true, true, 'A Writer', 'A Manager', NULL),
                   ('lettings_count', DATE '2026-10-01', false, false, NULL, NULL, 'not signed off'),
                   ('relet_mean_days', NULL, false, false, NULL, NULL, NULL))
                   t(measure_id, latest_period, has_commentary, has_sign_off, commentary_by, signed_off_by, flag)""")
    found = {(o.subject, o.criterion): (o.status, o.summary) for o in judge_ownership(con, catalogue())}
    owner = catalogue().measures["lettings_count"].owner_name
    assert found == {
        ("missed_bins", "commentary"): ("pass", "October 2026: commented by A Writer."),
        ("missed_bins", "sign_off"): ("pass", "October 2026: signed off by A Manager."),
        ("lettings_count", "commentary"): (
            "warn", f"No commentary for October 2026: {owner} to add it in the team's return."),
        ("lettings_count", "sign_off"): (
            "warn", "October 2026: not signed off; a manager to sign off data and commentary."),
        ("relet_mean_days", "commentary"): ("pass", "No value yet."),
        ("relet_mean_days", "sign_off"): ("pass", "No value yet.")}
    assert {(o.title, o.period) for o in judge_ownership(con, catalogue()) if o.subject == "lettings_count"} == {
        (catalogue().measures["lettings_count"].title, dt.date(2026, 10, 1))}  # the measure named; the month judged


def test_a_recorded_outcome_keeps_its_examples_as_json_and_none_as_null(con, monkeypatch) -> None:
    monkeypatch.setattr(clock, "timestamp", lambda: dt.datetime(2026, 11, 12, 2, 30))
    record(con, [_outcome("a", "fail", ["a failed"], "x@bromsgrove.example", rows=1),
                 dataclasses.replace(_outcome("b", "pass", [], "y@bromsgrove.example"), sample=[]),
                 dataclasses.replace(_outcome("c", "warn", ["c late"], "z@bromsgrove.example"),
                                     sample=[{"period": dt.date(2026, 10, 1)}])], "run-7")
    assert con.execute("SELECT run_id, checked_at, subject, status, rows_failed, reason, sample FROM "
                       "audit.check_results ORDER BY subject").fetchall() == [
        ("run-7", dt.datetime(2026, 11, 12, 2, 30), "a", "fail", 1, "a failed", '[{"subject": "a"}]'),
        ("run-7", dt.datetime(2026, 11, 12, 2, 30), "b", "pass", 0, "ok", None),
        ("run-7", dt.datetime(2026, 11, 12, 2, 30), "c", "warn", 0, "c late", '[{"period": "2026-10-01"}]')]


def test_an_outcome_of_an_unknown_criterion_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="^unknown criterion 'timeliness'$"):
        Outcome("measure", "a", "timeliness", "pass", "ok", "x@bromsgrove.example")


def test_well_defined_names_an_unknown_area_and_an_incomplete_entry(con) -> None:
    con.execute("CREATE TABLE core.dim_area AS SELECT 'district' AS area_type, 'E07000234' AS area_code")
    con.execute("CREATE TABLE core.dim_team (team_id VARCHAR)")
    con.execute("ALTER TABLE measures.contacts_received ADD COLUMN area_code VARCHAR DEFAULT 'E07000234'")
    outcome = well_defined(con, CONTACTS)
    assert (outcome.subject_type, outcome.subject, outcome.criterion, outcome.status) == (
        "measure", "contacts_received", "well_defined", "pass")
    con.execute("INSERT INTO measures.contacts_received VALUES ('2026-10-01', '2026-10-31', 'ward', 3, 3, 'W99')")
    eight_words = dataclasses.replace(CONTACTS, definition="Contacts received by the council in the month.")
    assert well_defined(con, eight_words).problems[:1] == [  # 8 words are enough: only the unknown area is named
        "Values for areas the warehouse does not know: [{'area_type': 'ward', 'area_code': 'W99'}]."]
    vague = dataclasses.replace(CONTACTS, definition="Contacts received by the council each month.",
                                owner_email="customer services")  # 7 words
    outcome = well_defined(con, vague)
    assert outcome.status == "fail" and outcome.problems == [
        "The definition has fewer than 8 words: say what is counted.",
        "Owner email 'customer services' is not an address.",
        "Values for areas the warehouse does not know: [{'area_type': 'ward', 'area_code': 'W99'}]."]
    assert outcome.sample == [{"area_type": "ward", "area_code": "W99"}]


def test_a_verdict_s_summary_is_its_first_three_problems_in_order() -> None:
    outcome = verdict("measure", "a", "accurate", "x@bromsgrove.example", errors=["One.", "Two."], warnings=["Three."],
                      ok="Fine.")
    assert (outcome.status, outcome.summary) == ("fail", "One. Two. Three.")
    four = verdict("measure", "a", "accurate", "x@bromsgrove.example", errors=[], warnings=["1.", "2.", "3.", "4."],
                   ok="Fine.")
    assert (four.status, four.summary) == ("warn", "1. 2. 3. (and 1 more)")
