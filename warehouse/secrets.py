"""Secrets never recorded: the alert channels' webhook URLs (their path and query are the credential), the SMTP
password and the pseudonymisation keys are taken out of any text before it is logged or stored (a channel's
error in audit.alerts, an exception message)."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

SECRET_VARIABLES = ("BDC_PSEUDONYM_KEY", "BDC_SMTP_PASSWORD", "DAGSTER_PG_PASSWORD",  # the last: deploy/dagster.yaml
                    "BDC_LAKE_S3_SECRET", "PGPASSWORD")  # the lake's object store and PostgreSQL catalog
SECRET_URL_VARIABLES = ("BDC_TEAMS_WEBHOOK_URL", "BDC_SLACK_WEBHOOK_URL")
# Credentials carried in any URL's query string (Teams Workflows' `sig`, tokens, keys), configured or not.
SECRET_PARAMETER = re.compile(r"(?i)\b(sig|signature|token|key|code|password|secret)=[^&\s'\"<>]+")


def _secret_strings() -> list[str]:
    found = [os.environ.get(name, "") for name in SECRET_VARIABLES]
    found += [value for name, value in os.environ.items() if name.startswith("BDC_PSEUDONYM_KEY_")]  # a council's
    for name in SECRET_URL_VARIABLES:
        url = os.environ.get(name, "")
        if url:
            parts = urlsplit(url)
            path_and_query = parts.path + (f"?{parts.query}" if parts.query else "")
            found += [url, path_and_query, parts.path if len(parts.path) > 1 else "", parts.query]
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def redact(text: str) -> str:
    """`text` with every configured secret (and any credential-like URL parameter) replaced by [redacted]."""
    for secret in _secret_strings():
        text = text.replace(secret, "[redacted]")
    return SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}=[redacted]", text)
