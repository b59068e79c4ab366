"""Personal data never leaves the working warehouse, tested the attacker's way. The bundled sample plants
canaries (sources/sample/canaries.py: a name, a note, a date of birth, a phone and an NI number) in the first
record of every delivery. The sample is run as `make run` runs it (a Dagster instance on disk, the outputs job)
on the next 1st of a month (faketime), then again with a headerless file whose first line is a canary record
(it is refused). Everything a person other than the operator can open is then scanned: every text cell of the
BI and analyst copies, every file of Dagster's storage (event log, run and compute logs), the GX project and
Data Docs, the outputs (site, open data, partner packs, reports as HTML and PDF text, return templates), the
runs' own output, and the alerts the runs raise (the payloads a Teams webhook received, audit.alerts), for the
canaries and for fake secrets planted in the alert settings (and the key). The working warehouse and the
landing folder are the operator's and hold personal data by design.
Last, an attacker works at every figure the site and the partner packs withheld (tests/disclosure_attack.py)
and must recover none.

Not covered here: e-mail (the alert body is the one posted to Teams)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from pypdf import PdfReader

from pipelines.alert_sensors import raise_alerts
from pipelines.alerts import AlertStore, alerts_for_run
from sources.sample.canaries import (
    CANARY_DATE_OF_BIRTH,
    CANARY_NAME,
    CANARY_NI_NUMBER,
    CANARY_PHONE,
    CANARY_TEXT,
    PATTERNS,
    find,
)
from tests.disclosure_attack import recovered
from tests.test_awkward_days import FAKETIME, FIRST_OF_A_MONTH, assert_a_clean_night, run_sample_on

SQL_PATTERN = "|".join(f"(?:{p.pattern})" for p in PATTERNS.values())  # RE2 reads the same syntax


# Fake secrets in the alert settings: none may appear in any artefact (nor the tests' pseudonymisation key).
SECRETS = {"BDC_SMTP_PASSWORD": "CanarySmtpPassw0rd",
           "BDC_SLACK_WEBHOOK_URL": "http://127.0.0.1:9/services/CanarySlackToken0",  # port 9: nobody listens
           "BDC_PSEUDONYM_KEY": os.environ["BDC_PSEUDONYM_KEY"]}
TEAMS_SIG = "CanaryTeamsSig0"  # the local Teams receiver's URL carries it as its `sig=` credential
SECRET_VALUES = ("CanarySmtpPassw0rd", "CanarySlackToken0", TEAMS_SIG, os.environ["BDC_PSEUDONYM_KEY"])


def hits(text: str) -> list[str]:
    """The canaries and planted secrets in `text`."""
    return find(text) + [f"secret {value[:12]}..." for value in SECRET_VALUES if value in text]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    """The sample run as `make run` runs it, on the next 1st of a month (the awkward night test_awkward_days
    leaves to this module), then a headerless delivery an hour later; then the runs' alerts are raised as the
    alert sensors would, to a local Teams receiver (whose payloads are kept) and a Slack that is down."""
    if FAKETIME is None:
        pytest.skip("Debian's faketime is not installed (make test installs it)")
    root = tmp_path_factory.mktemp("canaries")
    first = run_sample_on(FIRST_OF_A_MONTH, root, "--sample", **SECRETS)  # with the PDF reports
    assert_a_clean_night(first, root / "data" / "published" / "bromsgrove.duckdb", FIRST_OF_A_MONTH)
    landing = root / "data" / "landing" / "crm_contacts"
    delivered = sorted(landing.glob("crm_contacts_*.csv"))[-1]
    lines = delivered.read_text(encoding="cp1252").splitlines(keepends=True)
    assert find(lines[1])  # the first record carries the canaries
    (landing / "crm_contacts_2030-01.csv").write_text("".join(lines[1:]), encoding="cp1252")  # no header row
    second = run_sample_on(FIRST_OF_A_MONTH + dt.timedelta(hours=1), root, "--skip-outputs",  # outputs: the first's
                           **SECRETS)
    (root / "runs.log").write_text("\n".join([first.stdout, first.stderr, second.stdout, second.stderr]))
    (root / "first.stdout").write_text(first.stdout)  # what `make run` shows (tested below)
    (root / "first.stderr").write_text(first.stderr)
    assert "crm_contacts_2030-01.csv" in second.stdout + second.stderr  # refused, and said so
    payloads = _raise_the_runs_alerts(root)
    (root / "alert-payloads.json").write_text(json.dumps(payloads))
    return root


def _raise_the_runs_alerts(root: Path) -> list:
    """Every alert the two runs raise, delivered as the sensors deliver them; returns what Teams received."""
    received: list = []

    class Teams(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Teams)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(root / "dagster"))
        for name, value in SECRETS.items():
            env.setenv(name, value)
        env.setenv("BDC_TEAMS_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/workflows?sig={TEAMS_SIG}")
        store = AlertStore(root / "data" / "warehouse" / "alerts.duckdb")
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs()
            raised = sum(raise_alerts(store, alerts_for_run(instance, run)) for run in runs)
    server.shutdown()
    assert len(runs) >= 3 and raised > 0 and received  # the nightly runs and the outputs run; an ERROR was posted
    return received


def _files_found(folder: Path) -> list[str]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as workbook:
                text = "\n".join(workbook.read(n).decode("utf-8", "replace") for n in workbook.namelist())
        elif path.suffix == ".pdf":
            text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        elif path.suffix == ".parquet":
            text = str(duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall())
        else:
            text = path.read_bytes().decode("latin-1")
        found += [f"{path.relative_to(folder)}: {hit}" for hit in hits(text)[:3]]
    return found


def test_the_sql_scan_sees_every_canary():
    """The published copy is scanned in SQL (RE2): the joined pattern must match what the sample plants."""
    for value in (CANARY_NAME, CANARY_TEXT, CANARY_DATE_OF_BIRTH, CANARY_PHONE, CANARY_NI_NUMBER):
        assert duckdb.execute("SELECT regexp_matches(?, ?)", [value, SQL_PATTERN]).fetchone() == (True,), value
        assert find(value), value


@pytest.mark.parametrize("copy", ["published", "analyst"])
def test_the_published_copies_hold_no_canary(scanned, copy):
    found = []
    with duckdb.connect(str(scanned / "data" / copy / "bromsgrove.duckdb"), read_only=True) as con:
        columns = con.execute("SELECT table_schema || '.' || table_name, column_name FROM information_schema.columns "
                              "WHERE data_type = 'VARCHAR'").fetchall()
        for table, column in columns:
            rows = con.execute(f'SELECT "{column}" FROM {table} WHERE regexp_matches("{column}", ?) LIMIT 3',
                               [SQL_PATTERN]).fetchall()
            found += [f"{table}.{column}: {hits(value)}" for (value,) in rows]
    assert len(columns) > 100 and not found, found


def test_dagster_storage_and_the_run_logs_hold_no_canary(scanned):
    assert any((scanned / "dagster").rglob("*.db"))  # the event log and run storage were written
    assert any((scanned / "data" / "logs").glob("run-*.log"))  # the nightly command's own log files
    found = _files_found(scanned / "dagster") + [f"runs.log: {hit}" for hit in hits((scanned / "runs.log").read_text())]
    found += _files_found(scanned / "data" / "logs")
    assert not found, found


def test_the_outputs_and_data_docs_hold_no_canary(scanned):
    outputs, quality = scanned / "data" / "outputs", scanned / "data" / "quality"
    assert any(outputs.rglob("*.html")) and any(outputs.rglob("*.pdf")) and any(quality.rglob("*.json"))
    found = _files_found(outputs) + _files_found(quality)
    assert not found, found


def test_alert_payloads_and_audit_alerts_hold_no_canary_or_secret(scanned):
    payloads = json.loads((scanned / "alert-payloads.json").read_text())
    assert any("crm_contacts_2030-01.csv" in json.dumps(p) for p in payloads)  # the refusal was alerted
    with duckdb.connect(str(scanned / "data" / "warehouse" / "alerts.duckdb"), read_only=True) as con:
        stored = con.execute("SELECT * FROM audit.alerts").fetchall()
    assert any("slack" in str(row) and "failed" in str(row).lower() for row in stored)  # Slack was down
    found = hits(json.dumps(payloads)) + hits(str(stored))
    assert not found, found


def _sample_truth(published: Path) -> tuple[dict, dict[str, str], dict[str, str]]:
    """The true figures behind the sample's outputs (every area of each level a measure publishes; an area with
    no row had no records: zero), its units and its area parents, as the attacker is given them."""
    with duckdb.connect(str(published), read_only=True) as con:
        units = dict(con.execute("SELECT measure_id, unit FROM core.dim_measure").fetchall())
        parents = dict(con.execute("SELECT area_code, parent_code FROM core.dim_area "
                                   "WHERE parent_code IS NOT NULL").fetchall())
        rows = con.execute("""
            WITH levels AS (SELECT DISTINCT measure_id, area_type FROM marts.measure_values),
                 months AS (SELECT DISTINCT measure_id, period_start FROM marts.measure_values),
                 ratio AS (SELECT measure_id, bool_or(denominator IS NOT NULL) AS has_denominator
                           FROM marts.measure_values GROUP BY ALL)
            SELECT measure_id, period_start::VARCHAR, area_type, area_code,
                   coalesce(v.value, CASE WHEN m.unit = 'count' THEN 0 END),
                   coalesce(v.numerator, CASE WHEN v.measure_id IS NULL THEN 0 END),
                   coalesce(v.denominator, CASE WHEN v.measure_id IS NULL AND r.has_denominator THEN 0 END)
            FROM months JOIN levels USING (measure_id) JOIN core.dim_area a USING (area_type)
            JOIN core.dim_measure m USING (measure_id) JOIN ratio r USING (measure_id)
            LEFT JOIN marts.measure_values v USING (measure_id, period_start, area_type, area_code)""").fetchall()
    truth = {tuple(r[:4]): {"value": r[4], "numerator": r[5], "denominator": r[6]} for r in rows}
    return truth, units, parents


def test_an_attacker_recovers_no_withheld_figure_from_the_site_and_partner_packs(scanned):
    """Everything published outside the council that night (open data, every partner pack), attacked together by
    differencing, complements and shared counts (tests/disclosure_attack.py): nothing withheld is recovered."""
    outputs = scanned / "data" / "outputs"
    files = [outputs / "site" / "data" / "measure-values.csv", *sorted((outputs / "partners").rglob("*.csv"))]
    releases = [list(csv.DictReader(path.open(encoding="utf-8"))) for path in files]
    assert len(releases) > 5 and sum(r["suppressed"] == "true" for r in releases[0]) > 50
    truth, units, parents = _sample_truth(scanned / "data" / "published" / "bromsgrove.duckdb")
    assert recovered([(truth, releases)], units, parents) == []


def test_the_run_ends_with_its_summaries_and_no_library_chatter(scanned: Path):
    # What the person at the terminal reads last: the night's summary (each failing check with its reason), then
    # the outputs'; the libraries' INFO lines (GX, its database migrations, the PDF renderer) are not shown.
    out, err = (scanned / "first.stdout").read_text(), (scanned / "first.stderr").read_text()
    assert out.index("Nightly load SUCCEEDED") < out.index("Published warehouse") < out.index("Outputs built in")
    *summaries, last = out.rstrip().splitlines()
    assert summaries[-2].startswith("  ") and last.startswith("Full log (every file loaded): ")  # outputs, then log
    warned = [line for line in out.splitlines() if line.startswith("  WARN:  ")]
    assert warned and all(len(line.split(": ", 2)) == 3 for line in warned), warned  # name: reason
    for library in ("great_expectations", "alembic", "weasyprint", "fontTools", "sources.reader"):
        assert f"INFO {library}" not in err, library  # (a line per file loaded is in the log file)
