"""Invitations through a real SMTP server on loopback: one connection, both parts, no stop."""

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from assessments import services
from tests.conftest import make_member


class Mailbox:
    """An SMTP server's handler that keeps what it receives and refuses one address."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.connections: set = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.connections.add(session.peer)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_TIMEOUT=10,
            SITE_URL="https://lvm.example.org",
            LVM_ORGANISATION_NAME="Acme Ltd",
        ):
            yield mailbox
    finally:
        controller.stop()


def test_invitations_go_out_over_one_connection_and_a_refused_address_does_not_stop_them(
    smtp_server, cycle, alpha
):
    for name in ("anna", "refused", "carl", "dina"):
        person = make_member(name, alpha, first_name=name.title())
        person.set_unusable_password()
        person.save()
    mailing = services.invite_participants(cycle=cycle)
    assert mailing.sent == 3 and mailing.failed == ("refused@example.com",)
    received = {message["To"]: message for message in smtp_server.messages}
    assert set(received) == {"anna@example.com", "carl@example.com", "dina@example.com"}
    assert len(smtp_server.connections) == 1
    message = received["carl@example.com"]
    assert message["Subject"] == f"Acme Ltd: you are invited to the {cycle.name} self-assessment"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Hello Carl,")
    link = next(word for word in text.split() if word.startswith("https://lvm.example.org/"))
    assert "/invitations/" in link and f'href="{link}"' in html


def no_mail_server():
    """SMTP settings that point at a loopback port nothing listens on."""
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),
        EMAIL_USE_TLS=False,
        EMAIL_TIMEOUT=2,
    )


def test_a_mail_server_that_is_down_fails_the_batch_without_an_error_page(cycle, alice, bob):
    """Nothing listens on the port: every mail fails, is logged, and stays to be retried."""
    with no_mail_server():
        mailing = services.invite_participants(cycle=cycle)
    assert mailing.sent == 0 and sorted(mailing.failed) == [
        "alice@example.com",
        "bob@example.com",
    ]
    assert cycle.participants.filter(invited_at__isnull=True).count() == 2


def test_a_batch_stops_after_five_failures_in_a_row_and_leaves_the_rest_for_later(cycle, alpha):
    for i in range(8):
        make_member(f"p{i}", alpha)
    with no_mail_server():
        mailing = services.invite_participants(cycle=cycle)
    assert (mailing.due, mailing.sent, len(mailing.failed)) == (8, 0, 5)
    assert cycle.participants.filter(invited_at__isnull=True).count() == 8


def test_the_admin_actions_time_limit_holds_when_the_mail_server_never_answers(cycle, alice):
    """A server that accepts the connection and then says nothing would hold each wait
    for EMAIL_TIMEOUT (60 s here); within a time limit each wait is cut short, and no
    mail starts that could run past the limit, so the page can answer."""
    import threading
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    accepted = []
    threading.Thread(
        target=lambda: accepted.append(silent.accept()), daemon=True
    ).start()  # accepts, never greets
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=silent.getsockname()[1],
            EMAIL_USE_TLS=False,
            EMAIL_TIMEOUT=60,
        ):
            started = time.monotonic()
            mailing = services.invite_participants(cycle=cycle, seconds=25)
            elapsed = time.monotonic() - started
    finally:
        silent.close()
        for connection, _ in accepted:
            connection.close()
    assert elapsed < 30, f"{elapsed:.1f} s: the mail server's silence was waited out"
    assert mailing.sent == 0 and mailing.left + len(mailing.failed) == 1
    assert cycle.participants.get().invited_at is None, "left for the next run"
