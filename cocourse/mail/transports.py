"""Handing a message over: to an SMTP server (production) or to `.eml` files (development).

The development transport writes `instance/outbox/<id>.eml` and prints the subject and the
links of each message on the console, so that invitation and reset links can be followed
without a mail server. It is chosen when no MAIL_SMTP_HOST is set.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import sys
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from cocourse.models import MailMessage

LINK = re.compile(r"https?://\S+")
METHOD = re.compile(r"^METHOD:([A-Z]+)\r?$", re.MULTILINE)
SECURITY = ("starttls", "tls", "none")


class PermanentError(RuntimeError):
    """The server refused the message for good (a 5xx answer): retrying cannot help."""


def build(message: MailMessage, sender: str) -> EmailMessage:
    """The MIME message: plain text with an HTML alternative (and an iCalendar one, when the
    message carries an invitation), and its stable Message-ID."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to_address
    mime["Subject"] = message.subject
    mime["Message-ID"] = message.message_id
    mime["Date"] = format_datetime(message.created_at)
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(message.text_body)
    mime.add_alternative(message.html_body, subtype="html")
    if message.calendar:
        # As an alternative part with its METHOD, as calendar programs expect an invitation.
        method = METHOD.search(message.calendar)
        params = {"method": method.group(1)} if method else {}
        mime.add_alternative(message.calendar, subtype="calendar", params=params)
    return mime


def send_smtp(config: Mapping[str, Any], mime: EmailMessage) -> None:
    """Send through the configured SMTP server; returns once the server accepted it."""
    host, port = str(config["MAIL_SMTP_HOST"]), int(config["MAIL_SMTP_PORT"])
    security = str(config["MAIL_SMTP_SECURITY"]).lower()
    if security not in SECURITY:
        raise ValueError(f"MAIL_SMTP_SECURITY must be one of {', '.join(SECURITY)}")
    timeout = float(config["MAIL_SMTP_TIMEOUT"])
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if security == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=context)
        if config.get("MAIL_SMTP_USER"):
            smtp.login(str(config["MAIL_SMTP_USER"]), str(config.get("MAIL_SMTP_PASSWORD") or ""))
        try:
            smtp.send_message(mime)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise PermanentError(f"recipient refused: {codes}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentError(f"refused with {exc.smtp_code}") from exc
            raise


def write_file(folder: Path, message: MailMessage, mime: EmailMessage, echo: bool) -> Path:
    """Write `<folder>/<id>.eml` (complete or not at all) and, with `echo`, print the
    subject and links on the console."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{message.id}.eml"
    partial = folder / f".{message.id}.{os.getpid()}.tmp"
    partial.write_bytes(mime.as_bytes())
    os.replace(partial, target)
    if echo:
        links = "".join(f"\n    {link}" for link in LINK.findall(message.text_body))
        sys.stderr.write(f"[mail] to {message.to_address}: {message.subject} ({target}){links}\n")
        sys.stderr.flush()
    return target
