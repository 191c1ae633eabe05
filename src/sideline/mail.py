"""Outgoing mail: a pluggable backend chosen by ``SIDELINE_MAIL_BACKEND``.

- ``log`` (default): writes the message, links included, to the log and keeps the last ones
  in ``sent``, so a self-hosted instance without mail still works (the admin reads the link).
- ``smtp``: delivers through ``SIDELINE_SMTP_URL`` (``smtp://user:pass@host:587`` with
  STARTTLS, ``smtps://...:465`` with implicit TLS). ``?starttls=false`` turns STARTTLS off,
  meant only for a relay on the same machine.

The SMTP password is never logged, not even in error messages.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from sideline.settings import ConfigurationError, Settings

log = logging.getLogger("sideline.mail")


class MailError(RuntimeError):
    """Delivery failed; the message is safe to show (no credentials)."""


class LogMailer:
    KEEP = 200

    def __init__(self):
        self.sent: list[dict] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append({"to": to, "subject": subject, "body": body})
        del self.sent[:-self.KEEP]  # a long-running dev server must not grow without bound
        log.info("mail to %s: %s\n%s", to, subject, body)


class SmtpMailer:
    def __init__(self, url: str, sender: str, *, timeout: float = 15.0):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigurationError("Invalid configuration: SIDELINE_SMTP_URL must look like "
                                     "smtp://user:password@host:587 or smtps://user:password@host:465")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        try:
            self.port = parts.port or (465 if self.implicit_tls else 587)
        except ValueError:
            raise ConfigurationError("Invalid configuration: SIDELINE_SMTP_URL has an invalid port") from None
        self.username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        query = parse_qs(parts.query)
        self.starttls = not self.implicit_tls and query.get("starttls", ["true"])[0].lower() not in ("false", "0", "no")
        self.sender = sender
        self.timeout = timeout

    def __repr__(self) -> str:  # never the password
        return f"SmtpMailer({self.host}:{self.port}, user={self.username!r}, starttls={self.starttls})"

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        context = ssl.create_default_context()
        try:
            if self.implicit_tls:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self._password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            # smtplib's messages can echo the server's reply but never the password we sent.
            reason = f"{type(exc).__name__}: {exc}".replace(self._password or "\0", "***")
            log.warning("mail to %s could not be sent via %s:%s: %s", to, self.host, self.port, reason)
            raise MailError(f"Could not send mail via {self.host}:{self.port} ({type(exc).__name__})") from None
        log.info("mail to %s sent via %s:%s: %s", to, self.host, self.port, subject)


def make_mailer(settings: Settings):
    if settings.mail_backend == "smtp":
        if not settings.smtp_url:
            raise ConfigurationError("Invalid configuration: SIDELINE_SMTP_URL is required when "
                                     "SIDELINE_MAIL_BACKEND=smtp")
        return SmtpMailer(settings.smtp_url, settings.mail_from)
    return LogMailer()
