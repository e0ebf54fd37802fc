"""Sending one email over SMTP: the "email" channel of the outbox.

Messages are built with `email.message.EmailMessage`, whose header policy refuses CR or LF in a
header value, so nothing a patient typed can add a header (and no patient text goes into a header
anyway). Every connection has a timeout; STARTTLS and login are used when configured.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from clinic.notify.senders import Delivery, DeliveryError, Sender


def is_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("MAIL_SERVER"))


def build_message(
    config: Mapping[str, Any], recipient: str, subject: str, body: str
) -> EmailMessage:
    """:raise DeliveryError: (permanent) when the address or subject could inject a header."""
    sender = config["MAIL_DEFAULT_SENDER"]
    _, address = parseaddr(recipient)
    if not address or address != recipient.strip() or "@" not in address:
        raise DeliveryError("recipient is not a plain email address", permanent=True)
    message = EmailMessage()
    try:
        message["From"] = sender
        message["To"] = address
        message["Subject"] = subject
    except ValueError as error:  # CR/LF in a header value
        raise DeliveryError("refused a header containing a line break", permanent=True) from error
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def send_message(config: Mapping[str, Any], message: EmailMessage) -> None:
    """Hand one message to the configured SMTP server.

    :raise DeliveryError: permanent when the server refuses the recipient for good (5xx),
        temporary for anything else (unreachable, timeout, 4xx).
    """
    timeout = float(config.get("MAIL_TIMEOUT_SECONDS") or 10)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=timeout) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        raise DeliveryError(f"recipient refused (SMTP {codes[0]})", permanent=permanent) from error
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f"SMTP error {error.smtp_code}") from error
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"mail server unavailable: {type(error).__name__}") from error


def send_email(delivery: Delivery, config: Mapping[str, Any]) -> None:
    message = build_message(config, delivery.recipient, delivery.subject, delivery.body)
    attach_invitation(message, delivery.payload)
    send_message(config, message)


ICS_METHODS = ("REQUEST", "CANCEL")


def attach_invitation(message: EmailMessage, payload: Any) -> None:
    """Attach the calendar invitation a message's payload carries (``ics`` text and its
    ``ics_method``, clinic.notify.booking_mail), as text/calendar with the iTIP method that
    calendar programs read; a payload without one attaches nothing."""
    if not isinstance(payload, dict) or not isinstance(payload.get("ics"), str):
        return
    method = payload.get("ics_method")
    if method not in ICS_METHODS:
        raise DeliveryError("calendar invitation with an unknown method", permanent=True)
    message.add_attachment(
        payload["ics"],
        subtype="calendar",
        filename="invite.ics" if method == "REQUEST" else "cancel.ics",
        params={"method": method},
    )


EMAIL_SENDER = Sender(channel="email", send=send_email, is_configured=is_configured)
