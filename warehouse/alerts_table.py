"""The alerts table (audit.alerts): written in the alerts database by pipelines/alerts.py, and copied into the
published copies, which hold it (empty) even before the first alert is raised."""

from __future__ import annotations


def alerts_ddl(database: str | None = None) -> str:
    """The schema and table of alerts, in `database` (an attached one) or the connection's own."""
    prefix = f"{database}." if database else ""
    return f"""
CREATE SCHEMA IF NOT EXISTS {prefix}audit;
CREATE TABLE IF NOT EXISTS {prefix}audit.alerts (
    alert_key      VARCHAR PRIMARY KEY,  -- the same problem is alerted once (e.g. one check in one run)
    raised_at      TIMESTAMP NOT NULL,
    kind           VARCHAR NOT NULL,     -- check_error, check_warn, run_failed, source_overdue
    severity       VARCHAR NOT NULL,     -- ERROR or WARN
    title          VARCHAR NOT NULL,
    body           VARCHAR NOT NULL,
    recipients     VARCHAR NOT NULL,     -- emails, comma-separated
    run_id         VARCHAR,
    subject        VARCHAR,              -- source, measure or mart
    criterion      VARCHAR,
    delivered      VARCHAR,              -- channel: outcome, for each channel tried
    digest_sent_at TIMESTAMP             -- WARN alerts: when the daily digest carried it
);
"""
