"""A source's criteria (quality/source_checks.py) on a hand-made warehouse, no night, each at its edges: timely
on the due day, the day after, the last day of grace and the day after it; reliable at exactly +/-50 % of the
usual size and one row beyond; accurate at exactly 5 % of a 20-row file and one row beyond; verifiable and
well_defined scoped to the night's files. tests/test_quality_criteria.py judges a whole night's sources."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from quality import source_checks
from sources import CONTRACTS
from warehouse.db import ensure_schemas

CRM = CONTRACTS["crm_contacts"]  # monthly, due on the 5th, 14 days' grace; volumes within 50 %; 5 % of 20 rows


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_schemas(con)
    return con


def _deliver(con: duckdb.DuckDBPyConnection, *files: tuple[str, int], run_id: str = "run-1") -> None:
    """(file name, rows) delivered, in order, by one run."""
    for name, rows in files:
        con.execute("""INSERT INTO audit.loaded_files (source, file_name, file_path, file_sha256, rows_loaded,
                       blank_rows, loaded_at, run_id) VALUES ('crm_contacts', ?, ?, ?, ?, 0, '2026-04-01', ?)""",
                    [name, f"landing/crm_contacts/{name}", f"sha-{name}", rows, run_id])


def _problems(outcome) -> tuple[str, list[str]]:
    return outcome.status, outcome.problems


def test_timely_on_the_due_day_the_day_after_the_last_day_of_grace_and_the_day_after_it(con) -> None:
    _deliver(con, ("crm_contacts_2026-01.csv", 30), ("crm_contacts_2026-02.csv", 30))
    # The March file is due on 5 April; 14 days' grace runs to 19 April.
    assert source_checks.timely(con, CRM, dt.date(2026, 4, 5)).status == "pass"
    late = "The March 2026 file from {} was due on 05 April 2026 and is {} day(s) late."
    provider = "Bromsgrove District Council, Customer Access and Financial Support"
    assert _problems(source_checks.timely(con, CRM, dt.date(2026, 4, 6))) == ("warn", [late.format(provider, 1)])
    assert _problems(source_checks.timely(con, CRM, dt.date(2026, 4, 19))) == ("warn", [late.format(provider, 14)])
    assert _problems(source_checks.timely(con, CRM, dt.date(2026, 4, 20))) == ("fail", [late.format(provider, 15)])
    assert source_checks.timely(con, CRM, dt.date(2026, 4, 20)).period == dt.date(2026, 2, 1)


def test_timely_names_a_gap_counts_an_empty_month_s_repeated_file_and_fails_with_no_file(con) -> None:
    assert _problems(source_checks.timely(con, CRM, dt.date(2026, 4, 5))) == (
        "fail", ["No Customer contact demand log (CRM) file has been received yet."])
    _deliver(con, ("crm_contacts_2025-11.csv", 0), ("crm_contacts_2026-01.csv", 30))
    # February's file: the same header-only bytes as November's, so recorded as a duplicate, not loaded again.
    con.execute("""INSERT INTO audit.duplicate_deliveries (source, file_path, file_sha256, duplicate_of, seen_at,
                   run_id) VALUES ('crm_contacts',
                   'landing/crm_contacts/crm_contacts_2026-02.csv', 'sha-crm_contacts_2025-11.csv',
                   'crm_contacts_2025-11.csv', '2026-03-02', 'run-2')""")
    assert _problems(source_checks.timely(con, CRM, dt.date(2026, 3, 5))) == (
        "warn", ["Missing month(s) between deliveries: December 2025."])


@pytest.mark.parametrize(("latest", "status"), [(150, "pass"), (151, "warn"), (50, "pass"), (49, "warn")])
def test_reliable_at_exactly_half_the_usual_size_either_way_and_one_row_beyond(con, latest, status) -> None:
    # The usual: the median of the earlier deliveries, 90, 100, 100, 110 -> 100; more than 50 rows off warns.
    _deliver(con, *[(f"crm_contacts_2026-0{m}.csv", n) for m, n in ((1, 90), (2, 100), (3, 110), (4, 100))],
             ("crm_contacts_2026-05.csv", latest))
    outcome = source_checks.reliable(con, CRM)
    assert outcome.status == status
    if status == "warn":
        assert outcome.problems == [f"crm_contacts_2026-05.csv has {latest} rows; the usual delivery has about 100 "
                                    "(more than 50% different)."]
    assert outcome.period == dt.date(2026, 5, 1)


def test_reliable_leaves_small_or_few_deliveries_alone_and_counts_repeated_keys(con) -> None:
    _deliver(con, *[(f"crm_contacts_2026-0{m}.csv", 19) for m in range(1, 5)], ("crm_contacts_2026-05.csv", 200))
    assert source_checks.reliable(con, CRM).status == "pass"  # usually 19 rows, under 20: not judged by size
    con.execute("UPDATE audit.loaded_files SET rows_loaded = rows_loaded + 1 WHERE file_name < 'crm_contacts_2026-05'")
    assert source_checks.reliable(con, CRM).status == "warn"  # usually 20 rows: judged (200 is 180 rows off)
    con.execute("DELETE FROM audit.loaded_files")
    _deliver(con, *[(f"crm_contacts_2026-0{m}.csv", 100) for m in range(1, 3)], ("crm_contacts_2026-03.csv", 500))
    assert source_checks.reliable(con, CRM).status == "pass"  # three deliveries: no usual yet
    _deliver(con, ("crm_contacts_2026-04.csv", 500))
    assert source_checks.reliable(con, CRM).status == "warn"  # the fourth is judged: usual 100 (of 100, 100, 500)
    con.execute("DELETE FROM audit.loaded_files")
    for row in (3, 4):
        con.execute("""INSERT INTO audit.quarantine VALUES ('crm_contacts', 'f.csv', 'sha', ?, 'repeats a key',
                       'run-1', '2026-04-01', 'unique_key')""", [row])
    outcome = source_checks.reliable(con, CRM)
    assert _problems(outcome) == ("warn", ["2 row(s) repeated a key already delivered and were quarantined."])
    assert outcome.rows_failed == 2 and [s["row_number"] for s in outcome.sample] == [3, 4]


def _conserve(con: duckdb.DuckDBPyConnection, file: str, raw: int, quarantined: int, run_id: str = "run-1",
              balanced: bool = True) -> None:
    con.execute("INSERT INTO audit.row_conservation VALUES ('crm_contacts', ?, ?, ?, ?, ?, 0, ?, '2026-04-01', ?)",
                [f"landing/crm_contacts/{file}", f"sha-{file}", raw, raw - quarantined, quarantined, balanced, run_id])


@pytest.mark.parametrize(("raw", "quarantined", "status", "problem"), [
    (20, 1, "warn", "1 row(s) in 1 file(s) were quarantined."),                      # 5 %: not more than 5 %
    (20, 2, "fail", "b.csv: 2 of 20 rows failed (10%, more than 5%)."),             # 10 %
    (21, 2, "fail", "b.csv: 2 of 21 rows failed (10%, more than 5%)."),             # 9.5 %
    (19, 19, "warn", "19 row(s) in 1 file(s) were quarantined."),                    # under 20 rows: only warns
    (20, 0, "pass", None)])
def test_accurate_fails_a_file_only_beyond_its_share(con, raw, quarantined, status, problem) -> None:
    _conserve(con, "b.csv", raw, quarantined)
    outcome = source_checks.accurate(con, CRM)
    assert _problems(outcome) == (status, [problem] if problem else [])
    if status == "pass":
        assert outcome.summary == "No rows were quarantined."
    assert outcome.rows_failed == quarantined


def test_accurate_adds_up_files_and_names_each_failing_one(con) -> None:
    _conserve(con, "a.csv", 100, 5)
    _conserve(con, "b.csv", 40, 3)
    outcome = source_checks.accurate(con, CRM)
    assert _problems(outcome) == ("fail", ["b.csv: 3 of 40 rows failed (8%, more than 5%)."])
    assert outcome.rows_failed == 8


def _lineage_tables(con: duckdb.DuckDBPyConnection) -> None:
    for layer in ("raw", "staging"):
        con.execute(f"CREATE TABLE {layer}.crm_contacts (_file_sha256 VARCHAR, _row_number BIGINT)")


def test_verifiable_fails_an_unbalanced_file_and_an_untraced_row_of_the_night_only(con) -> None:
    _lineage_tables(con)
    _conserve(con, "old.csv", 2, 0, run_id="run-0")
    _conserve(con, "new.csv", 3, 1, run_id="run-1")
    con.execute("INSERT INTO raw.crm_contacts VALUES ('sha-old.csv', 1), ('sha-new.csv', 1), ('sha-new.csv', 2)")
    # old.csv's row 2 and new.csv's row 5 are staged without a raw row.
    con.execute("""INSERT INTO staging.crm_contacts VALUES ('sha-old.csv', 1), ('sha-old.csv', 2), ('sha-new.csv', 1),
                   ('sha-new.csv', 5)""")
    assert _problems(source_checks.verifiable(con, CRM, "run-1")) == (
        "fail", ["1 staged row(s) do not trace back to a raw row."])
    assert source_checks.verifiable(con, CRM).rows_failed == 2  # every file: old.csv's row too
    _conserve(con, "lost.csv", 4, 0, run_id="run-1", balanced=False)
    outcome = source_checks.verifiable(con, CRM, "run-1")
    assert _problems(outcome) == ("fail", ["1 file(s) lost or gained rows between raw and staging.",
                                           "1 staged row(s) do not trace back to a raw row."])
    assert outcome.rows_failed == 2 and outcome.sample[0]["source_file"] == "landing/crm_contacts/lost.csv"
    con.execute("DELETE FROM staging.crm_contacts WHERE _row_number > 1 OR _file_sha256 = 'sha-old.csv'")
    con.execute("DELETE FROM audit.row_conservation WHERE NOT balanced")
    assert _problems(passed := source_checks.verifiable(con, CRM)) == ("pass", [])
    assert passed.summary == "Every delivered row is accounted for and traceable to its file."


def test_verifiable_counts_every_unbalanced_file_not_only_the_examples(con) -> None:
    _lineage_tables(con)
    for n in range(7):  # more files than an outcome shows as examples (5)
        _conserve(con, f"lost-{n}.csv", 4, 0, balanced=False)
    outcome = source_checks.verifiable(con, CRM, "run-1")
    assert _problems(outcome) == ("fail", ["7 file(s) lost or gained rows between raw and staging."])
    assert outcome.rows_failed == 7 and len(outcome.sample) == 5


STAGED = """CREATE TABLE staging.crm_contacts (contact_key VARCHAR, received_at TIMESTAMP, closed_at TIMESTAMP,
            channel VARCHAR, service VARCHAR, demand_type VARCHAR, demand_category VARCHAR,
            resolved_first_contact BOOLEAN, uprn BIGINT, ward_code VARCHAR, lsoa_code VARCHAR, _file_sha256 VARCHAR,
            _row_number BIGINT)"""


def _staged_row(key: str, file: str, channel: str = "phone", ward: str | None = "E05007836") -> list:
    return [key, dt.datetime(2026, 1, 5, 9), None, channel, "Waste", "value", "Missed bin", True, 1001, ward,
            None, f"sha-{file}", 1]


def test_well_defined_counts_failing_values_of_the_night_s_files_without_quoting_them(con) -> None:
    con.execute(STAGED)
    rows = [_staged_row("k1", "old.csv", channel="FAXSECRET"), _staged_row("k2", "new.csv"),
            _staged_row("k3", "new.csv", ward="NOT-A-WARD"), _staged_row("k4", "new.csv", channel="FAXSECRET")]
    con.executemany("INSERT INTO staging.crm_contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    _conserve(con, "old.csv", 1, 0, run_id="run-0")
    _conserve(con, "new.csv", 3, 0, run_id="run-1")
    outcome = source_checks.well_defined(con, CRM, "run-1")
    assert outcome.status == "fail"
    assert len(outcome.problems) == 2
    channel = next(p for p in outcome.problems if p.startswith("Column channel fails isin("))
    ward = next(p for p in outcome.problems if p.startswith("Column ward_code fails str_matches("))
    assert channel.endswith(": 1 value(s); query staging.crm_contacts for them.")  # k4 only: k1 is last night's
    assert ward.endswith(": 1 value(s); query staging.crm_contacts for them.")
    assert sorted(failure["column"] for failure in outcome.sample) == ["channel", "ward_code"]  # where to look
    assert "FAXSECRET" not in repr(outcome) and "NOT-A-WARD" not in repr(outcome)
    con.execute("UPDATE staging.crm_contacts SET channel = 'phone', ward_code = 'E05007836'")
    assert source_checks.well_defined(con, CRM, "run-1").status == "pass"
    assert source_checks.well_defined(con, CRM).summary == "staging.crm_contacts matches its contract (11 columns)."


def test_well_defined_doubts_the_night_s_odd_files_and_formulas(con) -> None:
    con.execute(STAGED)
    _deliver(con, ("crm_contacts_2026-01.csv", 3), run_id="run-0")
    _deliver(con, ("crm_contacts_2026-02.csv", 3), ("crm_contacts_2026-03.csv", 0), run_id="run-1")
    con.execute("UPDATE audit.loaded_files SET notes = 'an unexpected column: Extra' WHERE file_name LIKE '%-01%'")
    con.execute("UPDATE audit.loaded_files SET notes = 'no rows' WHERE file_name LIKE '%-03%'")
    for row in (2, 3):
        con.execute("""INSERT INTO audit.quarantine VALUES ('crm_contacts', 'f.csv', 'sha', ?, 'formula',
                       'run-1', '2026-04-01', 'not_a_formula')""", [row])
    outcome = source_checks.well_defined(con, CRM, "run-1")
    assert _problems(outcome) == ("warn", [
        "crm_contacts_2026-03.csv: no rows.",
        "2 row(s) held a spreadsheet formula in a text field and were quarantined."])
    assert outcome.rows_failed == 2


def test_relevant_names_the_measures_a_source_feeds() -> None:
    outcome = source_checks.relevant(CRM)  # the CRM log feeds core.fact_contacts, which four measures read
    assert outcome.status == "pass"
    assert {"contacts_received", "failure_demand_pct", "online_contact_pct", "resolved_first_contact_pct"} <= set(
        outcome.details["measures"])
    assert "marts.measure_values" in outcome.details["marts"]


def test_a_delivery_is_judged_on_five_criteria_in_order_each_on_the_night_s_files(con) -> None:
    # Last night's file left a bad channel and an untraced row behind; tonight's file is clean. Judged for tonight
    # (the run's files), well_defined and verifiable pass; reliable passes (one delivery); accurate has nothing
    # quarantined; relevant: the CRM log feeds measures.
    con.execute(STAGED)
    con.execute("CREATE TABLE raw.crm_contacts (_file_sha256 VARCHAR, _row_number BIGINT)")
    _deliver(con, ("old.csv", 1), run_id="run-0")
    _deliver(con, ("new.csv", 1), run_id="run-1")
    _conserve(con, "old.csv", 1, 0, run_id="run-0")
    _conserve(con, "new.csv", 1, 0, run_id="run-1")
    con.executemany("INSERT INTO staging.crm_contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [_staged_row("k1", "old.csv", channel="FAXSECRET"), _staged_row("k2", "new.csv")])
    con.execute("INSERT INTO raw.crm_contacts VALUES ('sha-new.csv', 1)")
    judged = source_checks.judge_source(con, CRM, "run-1")
    assert [(o.criterion, o.status) for o in judged] == [
        ("relevant", "pass"), ("well_defined", "pass"), ("reliable", "pass"), ("verifiable", "pass"),
        ("accurate", "pass")]
    assert all((o.subject, o.owner) == ("crm_contacts", CRM.owner.email) for o in judged)


def test_well_defined_names_a_repeated_key_as_the_table_s_and_a_missing_column_by_name(con) -> None:
    con.execute(STAGED)
    con.executemany("INSERT INTO staging.crm_contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [_staged_row("k1", "new.csv"), _staged_row("k1", "new.csv")])  # one key twice tonight
    _conserve(con, "new.csv", 2, 0)
    repeated = "Column (table) fails multiple_fields_uniqueness: 1 value(s); query staging.crm_contacts for them."
    assert _problems(source_checks.well_defined(con, CRM, "run-1")) == ("fail", [repeated])
    con.execute("ALTER TABLE staging.crm_contacts DROP COLUMN channel")  # a staging model that lost a column
    assert _problems(source_checks.well_defined(con, CRM, "run-1")) == (
        "fail", ["Column channel is missing from staging.crm_contacts.", repeated])


def test_reliable_compares_with_the_twelve_deliveries_before_the_latest_only(con) -> None:
    # 14 monthly files. January 2025 (100 rows) is the 13th before the latest: outside the window. The twelve
    # before the latest, six of 100 and six of 200, have a median of 150; the latest, 220, is 47 % above: in line.
    # (With January counted the median would be 100, and 220 would be 120 % above.)
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02"]
    sizes = [100, *[100, 200] * 6, 220]
    _deliver(con, *[(f"crm_contacts_{m}.csv", n) for m, n in zip(months, sizes, strict=True)])
    assert _problems(source_checks.reliable(con, CRM)) == ("pass", [])
    assert source_checks.reliable(con, CRM).summary == "14 deliveries; volumes in line and keys unique."
