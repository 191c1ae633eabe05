"""Outgoing mail: a pluggable backend; the default logs the message (and its link)."""

from __future__ import annotations

import logging

from sideline.settings import Settings

log = logging.getLogger("sideline.mail")


class LogMailer:
    def __init__(self):
        self.sent: list[dict] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append({"to": to, "subject": subject, "body": body})
        log.info("mail to %s: %s\n%s", to, subject, body)


def make_mailer(settings: Settings):
    return LogMailer()
