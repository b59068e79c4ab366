"""Alerts delivered to a real SMTP server on 127.0.0.1 (STARTTLS and login) and to a local HTTP server standing
in for the Teams and Slack webhooks; raised from a real run's failed checks; overdue sources with a frozen
clock; the WARN digest."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import smtplib
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import duckdb
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pipelines.alert_channels import deliver
from pipelines.alert_sensors import overdue_alerts, raise_alerts, send_digest
from pipelines.alerts import Alert, AlertStore, alerts_for_run, digests
from pipelines.definitions import build_definitions
from pipelines.nightly import run_nightly
from tests.conftest import copy_fixture, query, resource_for
from warehouse.db import ensure_schemas
from warehouse.secrets import redact
from warehouse.settings import load_settings

CRM_HEADER = ("Contact Ref,Received,Closed,Channel,Service,Demand Type,Demand Category,Resolved At First Contact,"
              "UPRN,Customer Name,Telephone,Notes")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.logins: list[str] = []
        self.refused: set[str] = set()  # mailboxes the server refuses (a mailbox gone, a typo in the catalogue)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content), session.ssl is not None))
        return "250 OK"


@pytest.fixture
def smtp_server(tmp_path, monkeypatch):
    """aiosmtpd on 127.0.0.1 that insists on STARTTLS and a login, with a certificate from a test CA."""
    ca = trustme.CA()
    server_context = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    inbox = _Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"alerts", b"s3cret")
        if ok:
            inbox.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_context,
                            require_starttls=True, authenticator=authenticate, auth_required=True)
    controller.start()
    for name, value in {"BDC_SMTP_HOST": "127.0.0.1", "BDC_SMTP_PORT": str(port), "BDC_SMTP_USER": "alerts",
                        "BDC_SMTP_PASSWORD": "s3cret", "BDC_SMTP_CA_FILE": str(ca_file),
                        "BDC_SMTP_FROM": "warehouse@bromsgrove.example"}.items():
        monkeypatch.setenv(name, value)
    yield inbox
    controller.stop()


@pytest.fixture
def webhooks(monkeypatch):
    """One local HTTP server for both webhooks: /teams and /slack record the JSON they receive."""
    received: dict[str, list] = {"/teams": [], "/slack": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received[self.path].append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok" if self.path == "/slack" else b"")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("BDC_TEAMS_WEBHOOK_URL", f"{base}/teams")
    monkeypatch.setenv("BDC_SLACK_WEBHOOK_URL", f"{base}/slack")
    yield received
    server.shutdown()


def test_an_alert_reaches_email_teams_and_slack(smtp_server, webhooks, tmp_path, monkeypatch):
    monkeypatch.setenv("BDC_DAGSTER_URL", "https://dagster.bromsgrove.example")
    alert = Alert(kind="check_error", severity="ERROR", title="[ERROR] Contacts received: accurate",
                  body="What failed: 2 of 20 rows failed", recipients=["customer.services@bromsgrove.example",
                                                                       "policy.team@bromsgrove.example"],
                  key_parts=("run-1", "staging/crm_contacts", "accurate"))
    store = AlertStore(tmp_path / "alerts.duckdb")
    assert raise_alerts(store, [alert]) == 1
    assert raise_alerts(store, [alert]) == 0  # the same alert is not sent twice
    [(to, message, tls)] = smtp_server.messages
    assert tls and smtp_server.logins == ["alerts"]
    assert sorted(to) == ["customer.services@bromsgrove.example", "policy.team@bromsgrove.example"]
    assert message["Subject"] == "[ERROR] Contacts received: accurate"
    assert "2 of 20 rows failed" in message.get_payload()
    card = webhooks["/teams"][0]["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == "**[ERROR] Contacts received: accurate**"
    assert "2 of 20 rows failed" in webhooks["/slack"][0]["text"]
    stored = query(tmp_path / "alerts.duckdb", "SELECT kind, delivered FROM audit.alerts")
    assert stored == [("check_error", "email: sent to 2; teams: posted; slack: posted")]


@pytest.fixture
def plain_smtp_server(monkeypatch):
    """aiosmtpd on 127.0.0.1 with no TLS at all (a relay inside the council's network)."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setenv("BDC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BDC_SMTP_PORT", str(controller.port))
    yield inbox
    controller.stop()


@pytest.mark.parametrize("setting", ["false", "FALSE"])
def test_starttls_is_turned_off_only_by_saying_so(plain_smtp_server, tmp_path, monkeypatch, setting):
    alert = Alert(kind="run_failed", severity="ERROR", title="[ERROR] Run of nightly failed", body="x",
                  recipients=["policy.team@bromsgrove.example"], key_parts=("run-3",))
    # By default the channel insists on STARTTLS: a server without it is a failed channel, never plain text.
    assert deliver(alert) == {"email": "failed: STARTTLS extension not supported by server."}
    assert plain_smtp_server.messages == []
    monkeypatch.setenv("BDC_SMTP_STARTTLS", setting)
    assert deliver(alert) == {"email": "sent to 1"}
    [(to, message, tls)] = plain_smtp_server.messages
    assert to == ["policy.team@bromsgrove.example"] and not tls and message["Subject"] == alert.title


def test_a_mail_server_that_never_answers_cannot_hold_the_sensor_for_ever(monkeypatch):
    # smtplib waits for a server's greeting as long as its timeout allows: one that accepts and never answers must
    # not hold the sensor for ever. The channel's SMTP class is replaced by one recording the timeout it is given.
    waited: list = []

    class Recording(smtplib.SMTP):
        def __init__(self, host, port, timeout=socket._GLOBAL_DEFAULT_TIMEOUT):
            waited.append(timeout)
            raise TimeoutError("no greeting")  # what a bounded wait ends in

    monkeypatch.setattr(smtplib, "SMTP", Recording)
    monkeypatch.setenv("BDC_SMTP_HOST", "127.0.0.1")
    alert = Alert(kind="run_failed", severity="ERROR", title="t", body="b", recipients=["p@bromsgrove.example"],
                  key_parts=("run-4",))
    assert deliver(alert) == {"email": "failed: no greeting"}
    [timeout] = waited
    assert isinstance(timeout, int | float) and 0 < timeout <= 60  # bounded: never the default of waiting for ever


def test_a_channel_that_is_down_does_not_lose_the_alert_or_leak_its_webhook(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)  # every library's log too: slack_sdk logs its URL at INFO when it retries
    # A webhook URL is its own credential (Teams' `sig`, Slack's path): planted canaries must not be recorded.
    monkeypatch.setenv("BDC_SLACK_WEBHOOK_URL",
                       f"http://127.0.0.1:{_free_port()}/services/T0CANARY/B0CANARY/slackCanarySecret")
    monkeypatch.setenv("BDC_TEAMS_WEBHOOK_URL", f"http://127.0.0.1:{_free_port()}/workflows/run?api-version=1"
                                                "&sp=%2Ftriggers&sig=teamsCanarySig")
    alert = Alert(kind="run_failed", severity="ERROR", title="[ERROR] Run of nightly failed", body="x",
                  recipients=["policy.team@bromsgrove.example"], key_parts=("run-2",))
    raise_alerts(AlertStore(tmp_path / "alerts.duckdb"), [alert])
    [(delivered,)] = query(tmp_path / "alerts.duckdb", "SELECT delivered FROM audit.alerts")
    assert "teams: failed:" in delivered and "slack: failed:" in delivered
    for canary in ("slackCanarySecret", "B0CANARY", "teamsCanarySig"):
        assert canary not in delivered and canary not in caplog.text, canary


@pytest.mark.night
def test_a_run_with_a_failed_check_alerts_its_owner_and_the_policy_team(warehouse_env, smtp_server, webhooks,
                                                                        ):
    copy_fixture(warehouse_env)
    rows = [f"F{n:02d},10/02/2026 09:00,,{'Fax' if n in (3, 7) else 'Phone'},Waste,Value,Apply,Y,1001,A,1,"
            for n in range(1, 21)]
    late = warehouse_env.landing_dir / "crm_contacts" / "crm_contacts_2026-03.csv"
    late.write_text("\r\n".join([CRM_HEADER, *[r.replace("/02/", "/03/") for r in rows]]) + "\r\n", encoding="cp1252")
    instance = dg.DagsterInstance.ephemeral()
    night = resource_for(warehouse_env, as_of="2026-04-01")  # March's file has arrived: nothing is late
    outcome = run_nightly(build_definitions(night), instance=instance, log_level="ERROR")
    assert outcome.success  # the CRM is held back; the rest of the night is published
    alerts = alerts_for_run(instance, instance.get_run_by_id(outcome.run_id))
    by_kind = {}
    for alert in alerts:
        by_kind.setdefault(alert.kind, []).append(alert)
    [accurate] = [a for a in by_kind["check_error"] if (a.subject, a.criterion) == ("staging/crm_contacts",
                                                                                       "accurate")]
    assert accurate.title == "[ERROR] Customer contact demand log (CRM): accurate"
    assert accurate.recipients == ["customer.services@bromsgrove.example", "policy.team@bromsgrove.example"]
    for text in ("crm_contacts_2026-03.csv: 2 of 20 rows failed (10%, more than 5%)", "Rows failing: 3",
                 "Owner: customer.services@bromsgrove.example", f"/runs/{outcome.run_id}", "Channel Fax"):
        assert text in accurate.body, text
    assert "HELD BACK: Customer contact demand log (CRM) keeps its last good data" in accurate.body
    assert "run_failed" not in by_kind
    store = AlertStore(warehouse_env.alerts_path)
    raise_alerts(store, alerts)
    sent = {message["Subject"] for _, message, _ in smtp_server.messages}
    assert "[ERROR] Customer contact demand log (CRM): accurate" in sent
    assert not any(s.startswith("[WARN]") for s in sent)  # warnings wait for the daily digest
    assert len(webhooks["/slack"]) == len(smtp_server.messages)


def test_warnings_are_collected_into_one_digest_per_person(tmp_path):
    store = AlertStore(tmp_path / "alerts.duckdb")
    owner, policy = "community.safety@bromsgrove.example", "policy.team@bromsgrove.example"
    for n, subject in enumerate(["Recorded crime per 1,000 residents", "Anti-social behaviour incidents"]):
        store.add(Alert(kind="check_warn", severity="WARN", title=f"[WARN] {subject}: reliable", body="volume low",
                        recipients=[owner, policy], key_parts=(n,)))
    pending = store.pending_digest()
    sent = digests(pending, dt.date(2026, 3, 2))
    assert [a.recipients for a in sent] == [[owner], [policy]]
    assert sent[0].title == "[WARN] Data-quality digest for 02 March 2026: 2 warning(s)"
    assert "Recorded crime per 1,000 residents: reliable" in sent[0].body
    store.mark_digested([row[0] for row in pending])
    assert store.pending_digest() == []


def test_the_digest_waits_for_its_hour_keeps_warnings_while_email_is_down_and_sends_once_a_day(
        tmp_path, smtp_server, monkeypatch):
    store = AlertStore(tmp_path / "alerts.duckdb")
    owner, policy = "community.safety@bromsgrove.example", "policy.team@bromsgrove.example"
    at = {"now": dt.datetime(2026, 3, 2, 6, 0)}
    monkeypatch.setattr("pipelines.alerts.clock.timestamp", lambda: at["now"])  # when each alert is raised

    def warn(key: str) -> None:
        store.add(Alert(kind="check_warn", severity="WARN", title=f"[WARN] Measure {key}: reliable",
                        body="volume low", recipients=[owner, policy], key_parts=(key,)))

    def digest(hour: int, minute: int, day: int = 2) -> str:
        at["now"] = dt.datetime(2026, 3, day, hour, minute)
        return send_digest(store, at["now"], hour=7)

    def subjects(since: int = 0) -> list[tuple]:
        return sorted((to[0], m["Subject"]) for to, m, _ in smtp_server.messages[since:])

    warn("A")
    warn("B")
    assert digest(6, 59) == "not digest time yet"
    port = os.environ["BDC_SMTP_PORT"]  # the fixture's mail server, up
    monkeypatch.setenv("BDC_SMTP_PORT", str(_free_port()))  # the mail server is down: nothing listens there
    assert digest(7, 0) == "digest sent to 0 person(s); every channel failed for 2, tried again at the next evaluation"
    assert smtp_server.messages == [] and len(store.pending_digest()) == 2  # not lost
    monkeypatch.setenv("BDC_SMTP_PORT", port)  # back up, but the owner's mailbox is refused
    smtp_server.refused.add(owner)
    assert digest(7, 10) == "digest sent to 1 person(s); every channel failed for 1, tried again at the next evaluation"
    assert subjects() == [(policy, "[WARN] Data-quality digest for 02 March 2026: 2 warning(s)")]
    smtp_server.refused.clear()
    at["now"] = dt.datetime(2026, 3, 2, 7, 15)
    warn("C")  # raised after the Policy Team's digest: it waits for theirs tomorrow, once a day
    assert digest(7, 20) == "digest sent to 1 person(s)"  # the owner's, retried: A, B and C; the team not again
    assert subjects(1) == [(owner, "[WARN] Data-quality digest for 02 March 2026: 3 warning(s)")]
    assert digest(7, 30) == "no warnings waiting" and len(smtp_server.messages) == 2
    assert digest(6, 59, day=3) == "not digest time yet"
    assert digest(7, 0, day=3) == "digest sent to 1 person(s)"
    assert subjects(2) == [(policy, "[WARN] Data-quality digest for 03 March 2026: 1 warning(s)")]
    assert store.pending_digest() == []  # every warning carried to everyone it was for


def test_an_overdue_partner_file_warns_then_errors_naming_partner_and_owner(tmp_path):
    published = tmp_path / "published.duckdb"
    with duckdb.connect(str(published)) as con:
        ensure_schemas(con)
        for month in ("2026-01", "2026-02"):
            con.execute("INSERT INTO audit.loaded_files (source, file_name, file_path, file_sha256, rows_loaded, "
                        "blank_rows, loaded_at) VALUES ('lettings', ?, ?, ?, 10, 0, now())",
                        [f"lettings_return_{month}.csv", f"/landing/lettings_return_{month}.csv", month])

    def lettings_overdue(night: dt.date) -> list:
        alerts = overdue_alerts(load_settings(published_path=published, as_of=night))
        return [a for a in alerts if a.subject == "staging/lettings"]

    on_time = lettings_overdue(dt.date(2026, 4, 15))
    assert on_time == []  # March's return is due on 15 April
    [warn] = lettings_overdue(dt.date(2026, 4, 20))
    assert (warn.severity, warn.kind, warn.criterion) == ("WARN", "source_overdue", "timely")
    assert warn.title == ("[WARN] Housing association lettings from Bromsgrove District Housing Trust (sample "
                          "partner) is overdue")
    partner = "Bromsgrove District Housing Trust (sample partner)"
    lines = warn.body.splitlines()
    assert lines[0] == "WARN: Housing association lettings is overdue."
    assert lines[1].startswith(f"Which: source lettings (criterion timely), from {partner} (")
    assert lines[2:5] == [
        f"What: The March 2026 file from {partner} was due on 15 April 2026 and is 5 day(s) late.",
        "Due: day 15 of the following month; ERROR after 14 days' grace. Latest file received: February 2026",
        "Owner: housing.strategy@bromsgrove.example"]
    assert lines[5].startswith("Landing folder: ") and lines[5].endswith("lettings") and len(lines) == 6
    assert warn.recipients == ["housing.strategy@bromsgrove.example", "policy.team@bromsgrove.example"]
    [error] = lettings_overdue(dt.date(2026, 5, 1))
    assert error.severity == "ERROR" and error.key != warn.key  # alerted again when it becomes an error


def test_every_configured_secret_is_redacted(monkeypatch):
    secrets = {"BDC_PSEUDONYM_KEY": "key-0123456789abcdef0123456789abcdef", "BDC_SMTP_PASSWORD": "smtp-pass-2026",
               "DAGSTER_PG_PASSWORD": "pg-pass-2026",
               "BDC_SLACK_WEBHOOK_URL": "https://hooks.slack.example/services/T000/B000/XXXX"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    text = " ".join(secrets.values()) + " https://teams.example/workflows?api-version=1&sig=abc123"
    redacted = redact(text)
    assert not [v for v in secrets.values() if v in redacted] and "abc123" not in redacted
    assert redacted.count("[redacted]") == 5
