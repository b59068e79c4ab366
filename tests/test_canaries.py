"""Personal data never leaves the working warehouse, tested the attacker's way. The bundled sample plants
canaries (sources/sample/canaries.py: a name, a note, a date of birth, a phone and an NI number) in the first
record of every delivery. The sample is run as `make run` runs it (a Dagster instance on disk, the outputs job),
then again with a headerless file whose first line is a canary record (it is refused). Everything a person other
than the operator can open is then scanned: every text cell of the published copy, every file of Dagster's
storage (event log, run and compute logs), the GX project and Data Docs, the outputs (site, open data, partner
packs, HTML reports, return templates) and the runs' own output. The working warehouse and the landing folder
are the operator's and hold personal data by design.

Not covered here: PDF reports (BDC_REPORTS_PDF=false; they are rendered from the HTML scanned) and alert
payloads (tests/test_alerts.py checks that webhook secrets are not recorded)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from sources.sample.canaries import (
    CANARY_DATE_OF_BIRTH,
    CANARY_NAME,
    CANARY_NI_NUMBER,
    CANARY_PHONE,
    CANARY_TEXT,
    PATTERNS,
    find,
)

SQL_PATTERN = "|".join(f"(?:{p.pattern})" for p in PATTERNS.values())  # RE2 reads the same syntax


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAGSTER_HOME": str(root / "dagster"), "BDC_REPORTS_PDF": "false"}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "--data-dir", str(root / "data"), *args],
                          env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("canaries")
    (root / "dagster").mkdir()
    first = _cli(root, "run", "--sample")
    assert first.returncode == 0, first.stderr[-3000:]
    landing = root / "data" / "landing" / "crm_contacts"
    delivered = sorted(landing.glob("crm_contacts_*.csv"))[-1]
    lines = delivered.read_text(encoding="cp1252").splitlines(keepends=True)
    assert find(lines[1])  # the first record carries the canaries
    (landing / "crm_contacts_2030-01.csv").write_text("".join(lines[1:]), encoding="cp1252")  # no header row
    second = _cli(root, "run", "--skip-outputs")  # the first run's outputs are scanned
    (root / "runs.log").write_text("\n".join([first.stdout, first.stderr, second.stdout, second.stderr]))
    assert "crm_contacts_2030-01.csv" in second.stdout + second.stderr  # refused, and said so
    return root


def _files_found(folder: Path) -> list[str]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as workbook:
                text = "\n".join(workbook.read(n).decode("utf-8", "replace") for n in workbook.namelist())
        elif path.suffix == ".parquet":
            text = str(duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall())
        else:
            text = path.read_bytes().decode("latin-1")
        found += [f"{path.relative_to(folder)}: {hit}" for hit in find(text)[:3]]
    return found


def test_the_sql_scan_sees_every_canary():
    """The published copy is scanned in SQL (RE2): the joined pattern must match what the sample plants."""
    for value in (CANARY_NAME, CANARY_TEXT, CANARY_DATE_OF_BIRTH, CANARY_PHONE, CANARY_NI_NUMBER):
        assert duckdb.execute("SELECT regexp_matches(?, ?)", [value, SQL_PATTERN]).fetchone() == (True,), value
        assert find(value), value


def test_the_published_copy_holds_no_canary(scanned):
    found = []
    with duckdb.connect(str(scanned / "data" / "published" / "bromsgrove.duckdb"), read_only=True) as con:
        columns = con.execute("SELECT table_schema || '.' || table_name, column_name FROM information_schema.columns "
                              "WHERE data_type = 'VARCHAR'").fetchall()
        for table, column in columns:
            hits = con.execute(f'SELECT "{column}" FROM {table} WHERE regexp_matches("{column}", ?) LIMIT 3',
                               [SQL_PATTERN]).fetchall()
            found += [f"{table}.{column}: {find(value)}" for (value,) in hits]
    assert len(columns) > 100 and not found, found


def test_dagster_storage_and_the_run_logs_hold_no_canary(scanned):
    assert any((scanned / "dagster").rglob("*.db"))  # the event log and run storage were written
    found = _files_found(scanned / "dagster") + [f"runs.log: {hit}" for hit in find((scanned / "runs.log").read_text())]
    assert not found, found


def test_the_outputs_and_data_docs_hold_no_canary(scanned):
    outputs, quality = scanned / "data" / "outputs", scanned / "data" / "quality"
    assert any(outputs.rglob("*.html")) and any(quality.rglob("*.json"))
    found = _files_found(outputs) + _files_found(quality)
    assert not found, found
