"""Alert channels, each on only when its environment variables are set: email over SMTP (STARTTLS and login),
a Microsoft Teams Workflows webhook (dagster-msteams) and a Slack incoming webhook (slack_sdk, which
dagster-slack brings). A channel that fails is reported in the result, never raised: the alert is stored and
logged whatever happens to its delivery."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from email.message import EmailMessage

from pipelines.alerts import Alert
from warehouse.council import load_council
from warehouse.secrets import redact

log = logging.getLogger(__name__)
# slack_sdk logs the webhook URL (its credential) at INFO when it retries, and urllib3 the path and query at
# DEBUG: only their warnings, which name no URL, are let through.
for _chatty in ("slack_sdk", "urllib3"):
    logging.getLogger(_chatty).setLevel(logging.WARNING)


def send_email(alert: Alert) -> str | None:
    """Email the alert's recipients. Off unless BDC_SMTP_HOST is set."""
    host = os.environ.get("BDC_SMTP_HOST")
    if not host:
        return None
    port = int(os.environ.get("BDC_SMTP_PORT", "587"))
    message = EmailMessage()
    message["Subject"] = alert.title
    sender = os.environ.get("BDC_SMTP_FROM") or load_council().mailbox("performance.warehouse@bromsgrove.example")
    message["From"] = sender
    message["To"] = ", ".join(alert.recipients)
    message.set_content(alert.body)
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        if os.environ.get("BDC_SMTP_STARTTLS", "true").lower() != "false":
            context = ssl.create_default_context(cafile=os.environ.get("BDC_SMTP_CA_FILE"))
            smtp.starttls(context=context)
        if os.environ.get("BDC_SMTP_USER"):
            smtp.login(os.environ["BDC_SMTP_USER"], os.environ.get("BDC_SMTP_PASSWORD", ""))
        smtp.send_message(message)
    return f"sent to {len(alert.recipients)}"


def send_teams(alert: Alert) -> str | None:
    """Post an adaptive card to a Teams Workflows webhook. Off unless BDC_TEAMS_WEBHOOK_URL is set."""
    url = os.environ.get("BDC_TEAMS_WEBHOOK_URL")
    if not url:
        return None
    from dagster_msteams.adaptive_card import AdaptiveCard
    from dagster_msteams.client import TeamsClient

    card = AdaptiveCard()
    card.add_attachment(f"**{alert.title}**")
    card.add_attachment(alert.body)
    card.add_attachment(f"To: {', '.join(alert.recipients)}")
    TeamsClient(hook_url=url, timeout=30).post_message(card.payload)
    return "posted"


def send_slack(alert: Alert) -> str | None:
    """Post to a Slack incoming webhook. Off unless BDC_SLACK_WEBHOOK_URL is set."""
    url = os.environ.get("BDC_SLACK_WEBHOOK_URL")
    if not url:
        return None
    from slack_sdk.webhook import WebhookClient

    response = WebhookClient(url, timeout=30).send(
        text=f"{alert.title}\n{alert.body}\nTo: {', '.join(alert.recipients)}")
    if response.status_code != 200:
        raise RuntimeError(f"Slack answered {response.status_code}: {response.body}")
    return "posted"


CHANNELS = {"email": send_email, "teams": send_teams, "slack": send_slack}


def deliver(alert: Alert) -> dict[str, str]:
    """Send on every configured channel; channel -> 'sent...'/'posted' or 'failed: reason'."""
    outcome = {}
    for name, send in CHANNELS.items():
        try:
            result = send(alert)
        except Exception as exc:  # a channel down must not lose the alert or stop the others
            reason = redact(str(exc))  # a webhook's URL is its credential: never logged or stored
            log.error("alert channel %s failed for %r: %s", name, alert.title, reason)
            outcome[name] = f"failed: {reason}"[:300]
            continue
        if result is not None:
            outcome[name] = result
    return outcome
