"""Log in, log out, change and reset a password: Django's views in LVM's pages."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from .conftest import make_user


def test_login_with_the_right_password_lands_on_my_assessments(client, alice):
    response = client.post(
        reverse("login"), {"username": "alice", "password": "pw-alice"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("assessments:home")
    assert "Hello, Alice" in response.content.decode()


def test_wrong_password_says_so_and_keeps_the_username(client, alice):
    html = client.post(
        reverse("login"), {"username": "alice", "password": "nope"}
    ).content.decode()
    assert "Please enter a correct e-mail address or username, and its password" in html
    assert 'value="alice"' in html


def test_logout_ends_the_session(client, alice):
    client.force_login(alice)
    response = client.post(reverse("logout"), follow=True)
    assert "You are logged out" in response.content.decode()
    assert client.get(reverse("assessments:home")).status_code == 302


def test_password_reset_sends_our_email(client, alice):
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Reset your LVM password"
    assert "/accounts/reset/" in message.body and '"alice"' in message.body


def test_password_change_keeps_the_person_logged_in(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-alice",
            "new_password1": "a-much-longer-passphrase-2026",
            "new_password2": "a-much-longer-passphrase-2026",
        },
        follow=True,
    )
    assert "Your password has been changed" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("a-much-longer-passphrase-2026")


def test_a_mistyped_password_change_is_summed_up_at_the_top(client, alice):
    """A wrong old password and two new ones that differ: both named in a summary that
    links to the fields, and "Error:" in the title; the password stays as it was."""
    client.force_login(alice)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "not-it",
            "new_password1": "a-much-longer-passphrase-2026",
            "new_password2": "a-much-longer-passphrase-2027",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<title>Error: " in html
    assert "There is a problem: nothing was saved" in html
    assert html.count("autofocus") == 1 and 'id="error-summary" tabindex="-1" autofocus' in html
    assert 'href="#id_old_password">Current password: Your old password was entered' in html
    assert 'href="#id_new_password2">' in html
    alice.refresh_from_db()
    assert alice.check_password("pw-alice")


def test_logout_with_an_unsafe_next_lands_on_the_logged_out_page(client, alice):
    client.force_login(alice)
    response = client.post(reverse("logout") + "?next=https://evil.example.com/", follow=True)
    assert response.status_code == 200
    assert "You are logged out" in response.content.decode()
    assert client.get(reverse("assessments:home")).status_code == 302


def test_logout_with_a_safe_next_goes_there(client, alice):
    client.force_login(alice)
    response = client.post(reverse("logout") + "?next=/accounts/login/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


@pytest.mark.parametrize(
    ("url_name", "message"),
    [
        ("login", "Please enter a correct e-mail address or username, and its password"),
        ("admin:login", "Please enter the e-mail address or username and the password of a staff"),
    ],
)
@pytest.mark.parametrize("length", [256, 5000])
def test_an_over_long_username_gets_the_usual_message_not_an_error(
    client, alice, url_name, message, length
):
    """axes records failed attempts in a 255-character column (PostgreSQL refuses more)."""
    response = client.post(reverse(url_name), {"username": "a" * length, "password": "x"})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_repeated_over_long_usernames_are_still_throttled(client, alice):
    for _ in range(6):
        response = client.post(reverse("login"), {"username": "b" * 300, "password": "x"})
    assert response.status_code == 429


def test_password_reset_requests_are_limited_per_address(client, alice, caplog):
    """31 requests in a row for one address send 3 e-mails; every page looks the same."""
    pages = set()
    with caplog.at_level("WARNING", logger="lvm.security"):
        for _ in range(31):
            response = client.post(reverse("password_reset"), {"email": "Alice@Example.com"})
            pages.add((response.status_code, response["Location"]))
    assert len(mail.outbox) == 3
    assert pages == {(302, reverse("password_reset_done"))}
    assert "password reset refused (limit reached)" in caplog.text


def test_password_reset_limit_does_not_reveal_whether_an_address_exists(client, alice):
    known = [
        client.post(reverse("password_reset"), {"email": "alice@example.com"}) for _ in range(5)
    ]
    unknown = [
        client.post(reverse("password_reset"), {"email": "nobody@example.com"}) for _ in range(5)
    ]
    assert {r["Location"] for r in known + unknown} == {reverse("password_reset_done")}
    assert {r.status_code for r in known + unknown} == {302}


def test_password_reset_requests_are_limited_per_client(client, settings, db):
    """One client cycling through addresses is stopped too."""
    settings.LVM_RESETS_PER_IP_PER_HOUR = 4
    for i in range(6):
        make_user(f"p{i}")
        client.post(reverse("password_reset"), {"email": f"p{i}@example.com"})
    assert len(mail.outbox) == 4


def test_another_address_is_not_held_back_by_a_flooded_one(client, alice, charlie):
    for _ in range(5):
        client.post(reverse("password_reset"), {"email": "alice@example.com"})
    client.post(reverse("password_reset"), {"email": "charlie@example.com"})
    assert [m.to for m in mail.outbox] == [["alice@example.com"]] * 3 + [["charlie@example.com"]]


@pytest.fixture
def invited(db):
    """Imported and invited; the invitation expired before they chose a password."""
    return get_user_model().objects.create_user("dan", email="dan@example.com", first_name="Dan")


def test_someone_without_a_password_gets_a_link_that_sets_their_first_one(client, invited):
    response = client.post(reverse("password_reset"), {"email": "DAN@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["dan@example.com"]
    assert message.subject == "Choose your LVM password"
    assert "which has no password yet" in message.body
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", message.body)[1]

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    html = form_page.content.decode()
    assert 'value="dan@example.com" autocomplete="username" readonly' in html
    assert re.search(r'<input type="password" name="new_password1"[^>]* autofocus', html)
    new = "a-much-longer-passphrase-2026"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done["Location"] == reverse("password_reset_complete")
    invited.refresh_from_db()
    assert invited.check_password(new)
    page = client.post(reverse("login"), {"username": "dan@example.com", "password": new})
    assert page.status_code == 302 and page.wsgi_request.user == invited


def test_an_inactive_account_without_a_password_gets_nothing(client, invited):
    invited.is_active = False
    invited.save()
    response = client.post(reverse("password_reset"), {"email": "dan@example.com"})
    assert response["Location"] == reverse("password_reset_done"), "the same page"
    assert mail.outbox == []


def test_the_limit_holds_for_someone_without_a_password(client, invited):
    for _ in range(5):
        client.post(reverse("password_reset"), {"email": "dan@example.com"})
    assert len(mail.outbox) == 3
