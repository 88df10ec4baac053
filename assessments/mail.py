"""E-mails to people: each with a text and an HTML part, sent in batches over one connection.

A batch never stops for one bad address: a refused recipient or a dropped connection is
logged, the message counts as failed (so it is tried again on the next run), and the
next message goes out, over a fresh connection if the old one broke.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

logger = logging.getLogger("lvm.mail")

# What a failed send can raise: SMTP refusals and protocol errors, and socket errors
# (OSError covers a refused or reset connection and timeouts).
SEND_ERRORS = (smtplib.SMTPException, OSError)
# After this many failures in a row that were not a refused address, the mail server is
# taken to be down: the batch stops, and the rest wait for the next run.
GIVE_UP_AFTER = 5


def site_link(path: str) -> str:
    """An absolute link for an e-mail: SITE_URL followed by the path."""
    return f"{settings.SITE_URL}{path}"


def compose(*, template: str, to: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    """The message ``emails/<template>`` renders: subject, text part and HTML part."""
    context = {
        "organisation": settings.LVM_ORGANISATION_NAME,
        "site_url": settings.SITE_URL,
        **context,
    }
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


@dataclass(frozen=True)
class Outcome:
    """How a batch went: how many went out, and the addresses that failed."""

    sent: int
    failed: tuple[str, ...]


Progress = Callable[[int, int], None]


def send_each(
    messages: Iterable[tuple[EmailMultiAlternatives, Callable[[bool], None]]],
    *,
    total: int,
    progress: Progress | None = None,
    timeout: float | None = None,
) -> Outcome:
    """Send each message over one shared connection and report each result to its callback.

    ``messages`` yields (message, done) pairs; ``done(True)`` is called after a message
    went out and ``done(False)`` after it failed, so the caller records only what was
    really sent. ``progress(done, total)`` is called after every message. ``timeout``
    (seconds) replaces ``EMAIL_TIMEOUT`` for each wait on the mail server.
    """

    def connect():
        return get_connection() if timeout is None else get_connection(timeout=timeout)

    connection = connect()
    sent, failed, broken = 0, [], 0
    try:
        connection.open()
    except SEND_ERRORS as exc:
        logger.warning("could not connect to the mail server (%s); trying per message", exc)
    try:
        for count, (message, done) in enumerate(messages, start=1):
            message.connection = connection
            try:
                ok = connection.send_messages([message]) == 1
                broken = 0
            except smtplib.SMTPRecipientsRefused as exc:
                ok = False
                logger.warning("e-mail to %s refused: %s", ", ".join(message.to), exc)
            except SEND_ERRORS as exc:
                ok, broken = False, broken + 1
                logger.warning("e-mail to %s failed: %s", ", ".join(message.to), exc)
                connection = _reconnect(connection, connect)
            if ok:
                sent += 1
            else:
                failed.append(", ".join(message.to))
            done(ok)
            if progress is not None:
                progress(count, total)
            if broken >= GIVE_UP_AFTER:
                logger.error(
                    "stopped after %d failures in a row: the mail server seems down; "
                    "the remaining %d e-mails wait for the next run",
                    broken,
                    total - count,
                )
                break
    finally:
        with contextlib.suppress(SEND_ERRORS):
            connection.close()
    return Outcome(sent=sent, failed=tuple(failed))


def _reconnect(connection, connect):
    """A fresh connection after one that may be broken (the next message tries it)."""
    with contextlib.suppress(SEND_ERRORS):
        connection.close()
    connection = connect()
    try:
        connection.open()
    except SEND_ERRORS as exc:
        logger.warning("could not reconnect to the mail server: %s", exc)
    return connection
