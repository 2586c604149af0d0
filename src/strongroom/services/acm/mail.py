"""E-mail validation mail: the approval message ACM sends to a domain's five standard addresses.

The relay is `STRONGROOM_SMTP_URL` (`smtp://host:port`, `smtp+starttls://…`, `smtps://…`,
optionally `user:password@`); the sender `STRONGROOM_SMTP_FROM`. Without a relay nothing is sent
(and the operator is told once per message in the log, without the link).
"""

from __future__ import annotations

import logging
import os
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

SMTP_URL_ENV = "STRONGROOM_SMTP_URL"
SMTP_FROM_ENV = "STRONGROOM_SMTP_FROM"
DEFAULT_SENDER = "no-reply@certificates.strongroom.invalid"


@dataclass(frozen=True)
class Approval:
    """One approval request: what the mail says and where its link leads."""

    domain_name: str
    validation_domain: str
    account_id: str
    region: str
    certificate_id: str
    link: str
    expires_at: datetime
    renewal: bool = False


def render(approval: Approval, recipient: str) -> EmailMessage:
    message = EmailMessage()
    action = "renewal of a certificate" if approval.renewal else "a certificate"
    message["Subject"] = f"Certificate approval for {approval.domain_name}"
    message["From"] = os.environ.get(SMTP_FROM_ENV) or DEFAULT_SENDER
    message["To"] = recipient
    message.set_content(
        f"Greetings from Strongroom Certificate Manager,\n\n"
        f"Account {approval.account_id} in region {approval.region} requested {action} for\n"
        f"the domain {approval.domain_name} (validation domain {approval.validation_domain}).\n\n"
        f"Certificate identifier: {approval.certificate_id}\n\n"
        f"To approve this request, go to the page below before "
        f"{approval.expires_at.strftime('%Y-%m-%d %H:%M UTC')} and choose Approve:\n\n"
        f"{approval.link}\n\n"
        f"If you did not expect this request, ignore this message; nothing is issued without approval.\n"
    )
    return message


def send(approval: Approval, recipients: list[str]) -> bool:
    """Send one message per recipient; False when no relay is configured or the relay failed."""
    url = os.environ.get(SMTP_URL_ENV, "").strip()
    if not url:
        log.warning(
            "no %s: approval mail for %s (certificate %s) not sent",
            SMTP_URL_ENV,
            approval.domain_name,
            approval.certificate_id,
        )
        return False
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (465 if scheme == "smtps" else 25)
    try:
        client: smtplib.SMTP
        if scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port, timeout=10)
        else:
            client = smtplib.SMTP(host, port, timeout=10)
        with client:
            if scheme == "smtp+starttls":
                client.starttls()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            for recipient in recipients:
                client.send_message(render(approval, recipient))
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("approval mail for %s could not be sent: %s", approval.domain_name, exc)
        return False
    return True
