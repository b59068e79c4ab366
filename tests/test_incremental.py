"""An incremental night: one new month of deliveries added to the history changes only the periods it reaches,
and the warehouse it leaves equals a full rebuild from every file.

The landing files are the sample scaled down to 4,000 contacts (all 20 sources, 36 months to October 2026).
October's deliveries are held back, the history is loaded (as on 28 October), then October's files arrive and
the nightly job runs again (as on 28 November). A third warehouse is built from scratch from all the files on
the same date: staging, the audit trail and every measure value must match it. The October contact count is
worked out here from the CRM file itself, not from the pipeline.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from sources.sample.scale import deliver, generate_scaled_sample, hold_back_month
from tests.conftest import query

END_MONTH = dt.date(2026, 10, 1)
NIGHT = "2026-10"
APPENDED_MODELS = ("core.fact_absence", "core.fact_cases", "core.fact_contacts", "core.fact_crime",
                   "core.fact_lettings")
APPEND_ONLY = ("benefits_claims", "crm_contacts", "dfg_cases", "housing_options", "hr_absence", "lettings",
               "planning_applications", "police_street", "waste_reports")


def _run(run_pipeline, monkeypatch: pytest.MonkeyPatch, data_dir: Path, as_of: str):
    monkeypatch.setenv("BDC_DATA_DIR", str(data_dir))
    monkeypatch.setenv("BDC_AS_OF", as_of)
    outcome = run_pipeline()
    assert outcome.success, outcome.checks_errored
    return outcome


def _october_contacts(crm_file: Path, gazetteer: Path) -> int:
    """Contacts received in October 2026 that staging keeps: a blank UPRN or one in the gazetteer."""
    with gazetteer.open(encoding="utf-8-sig", newline="") as handle:
        uprns = {row["UPRN"].strip() for row in csv.DictReader(handle)}
    with crm_file.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.DictReader(handle))
    kept = [r for r in rows if not r["UPRN"].strip() or r["UPRN"].strip() in uprns]
    return sum(1 for r in kept if r["Received"][3:10] == "10/2026")


@pytest.fixture(scope="module")
def sample_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("sample") / "landing"
    generate_scaled_sample(landing, 4_000, END_MONTH)
    return landing


def test_one_new_month_changes_only_its_periods_and_equals_a_full_rebuild(
        sample_landing: Path, tmp_path: Path, run_pipeline, monkeypatch: pytest.MonkeyPatch):
    nightly, rebuild = tmp_path / "nightly", tmp_path / "rebuild"
    shutil.copytree(sample_landing, nightly / "landing")
    shutil.copytree(sample_landing, rebuild / "landing")
    night = hold_back_month(nightly / "landing", tmp_path / "night", NIGHT)
    assert {p.relative_to(tmp_path / "night").parts[0] for p in night} >= set(APPEND_ONLY)

    _run(run_pipeline, monkeypatch, nightly, "2026-10-28")
    published = nightly / "published" / "bromsgrove.duckdb"
    before = tmp_path / "before.duckdb"
    shutil.copy(published, before)

    assert len(deliver(tmp_path / "night", nightly / "landing")) == len(night)  # October's files arrive
    _run(run_pipeline, monkeypatch, nightly, "2026-11-28")
    working = nightly / "warehouse" / "working.duckdb"
    modes = dict(query(working, "SELECT source, mode FROM audit.staging_state"))
    assert {s: modes[s] for s in APPEND_ONLY} == dict.fromkeys(APPEND_ONLY, "incremental")
    built = dict(query(working, "SELECT table_name, mode FROM audit.model_state"))
    assert {t: built[t] for t in APPENDED_MODELS} == dict.fromkeys(APPENDED_MODELS, "append")
    loaded = query(working, "SELECT count(*) FROM audit.loaded_files WHERE run_id = "
                            "(SELECT run_id FROM audit.staging_state WHERE source = 'crm_contacts')")[0][0]
    assert loaded == len(night)  # only the new files were loaded

    # Only periods the October files reach changed (October, or later: fly-tipping reported in October and
    # cleared in November counts in November); every period that ended before October is exactly as it was.
    changed = query(published, f"""
        ATTACH '{before}' AS before (READ_ONLY);
        SELECT DISTINCT n.measure_id, n.period_start, n.period_end
        FROM marts.measure_values n LEFT JOIN before.marts.measure_values b
             USING (measure_id, period_start, area_type, area_code)
        WHERE b.measure_id IS NULL OR n.value IS DISTINCT FROM b.value""")
    assert changed
    assert [c for c in changed if c[2] < dt.date(2026, 10, 1)] == []
    assert {c[0] for c in changed if c[1] == dt.date(2026, 10, 1)} >= {"contacts_received", "asb_incidents"}
    removed = query(published, f"""
        ATTACH '{before}' AS before (READ_ONLY);
        SELECT count(*) FROM before.marts.measure_values b ANTI JOIN marts.measure_values n
        USING (measure_id, period_start, area_type, area_code)""")[0][0]
    assert removed == 0

    october = _october_contacts(nightly / "landing" / "crm_contacts" / f"crm_contacts_{NIGHT}.csv",
                                next((nightly / "landing" / "llpg").glob("*.csv")))
    assert query(published, """SELECT value FROM marts.measure_values WHERE measure_id = 'contacts_received'
                               AND period_start = DATE '2026-10-01' AND area_type = 'district'""") == [(october,)]

    # The same warehouse as a full rebuild from every file, judged on the same night.
    _run(run_pipeline, monkeypatch, rebuild, "2026-11-28")
    full = rebuild / "warehouse" / "working.duckdb"
    assert set(dict(query(full, "SELECT source, mode FROM audit.staging_state")).values()) == {"full"}
    for source in APPEND_ONLY:
        assert _differences(working, full, f"staging.{source}", "* EXCLUDE (_source_file)") == (0, 0), source
    for model in APPENDED_MODELS:
        assert _differences(working, full, model, "* EXCLUDE (_source_file)") == (0, 0), model
    assert _differences(working, full, "audit.quarantine", "source, file_sha256, row_number, reason, failed_checks") \
        == (0, 0)
    assert _differences(working, full, "audit.row_conservation",
                        "source, file_sha256, raw_rows, staged_rows, quarantined, out_of_scope, balanced") == (0, 0)
    assert _differences(working, full, "marts.measure_values",
                        "measure_id, period_start, area_type, area_code, round(value, 9), round(numerator, 9), "
                        "round(denominator, 9), observations") == (0, 0)


def _differences(first: Path, second: Path, table: str, columns: str) -> tuple[int, int]:
    """Rows of `table` only in the first warehouse, and only in the second (multiset difference)."""
    return query(first, f"""
        ATTACH '{second}' AS other (READ_ONLY);
        SELECT (SELECT count(*) FROM (SELECT {columns} FROM {table} EXCEPT ALL SELECT {columns} FROM other.{table})),
               (SELECT count(*) FROM (SELECT {columns} FROM other.{table} EXCEPT ALL SELECT {columns} FROM {table}))
        """)[0]
