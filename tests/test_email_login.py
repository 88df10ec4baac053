"""Log-in with an e-mail address or a username, the throttle on it, and unique addresses."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.urls import reverse

from assessments.security import axes_username

from .conftest import make_user

User = get_user_model()


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def _logged_in_as(client):
    return client.session.get("_auth_user_id")


# --- logging in -------------------------------------------------------------------------


def test_the_login_field_asks_for_an_email_or_username(client, db):
    """The label names both, and password managers still recognise the field."""
    html = client.get(reverse("login")).content.decode()
    assert re.search(r'<label\s+for="id_username"[^>]*>\s*E-mail or username', html)
    assert 'autocomplete="username"' in html


@pytest.mark.parametrize(
    "typed", ["alice@example.com", "Alice@Example.com", "ALICE@EXAMPLE.COM", " alice@example.com "]
)
def test_alice_logs_in_with_her_email_in_any_case(client, alice, typed):
    response = _login(client, typed, "pw-alice")
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:home")
    assert _logged_in_as(client) == str(alice.pk)


def test_alice_still_logs_in_with_her_username(client, alice):
    assert _login(client, "alice", "pw-alice").status_code == 302
    assert _logged_in_as(client) == str(alice.pk)


def test_a_wrong_password_with_a_right_email_is_refused(client, alice):
    response = _login(client, "alice@example.com", "pw-bob")
    assert response.status_code == 200
    assert "Please enter a correct e-mail address or username" in response.content.decode()
    assert _logged_in_as(client) is None


@pytest.mark.parametrize("typed", ["alice@example.com", "Alice@Example.com", "alice"])
def test_a_deactivated_account_cannot_log_in_by_email_or_username(client, alice, typed):
    """The page says only that the details are wrong, as for any other refusal."""
    alice.is_active = False
    alice.save()
    response = _login(client, typed, "pw-alice")
    assert response.status_code == 200
    assert "Please enter a correct e-mail address or username" in response.content.decode()
    assert _logged_in_as(client) is None


def test_an_address_that_nobody_has_is_refused(client, alice):
    response = _login(client, "nobody@example.com", "pw-alice")
    assert response.status_code == 200
    assert _logged_in_as(client) is None


def test_an_exact_username_comes_before_an_email_address(client, alice):
    """An older account may have an address as its username: it logs in as before."""
    older = User.objects.create_user(username="Alice@Example.com", password="pw-older")
    assert _login(client, "Alice@Example.com", "pw-alice").status_code == 200
    assert _login(client, "Alice@Example.com", "pw-older").status_code == 302
    assert _logged_in_as(client) == str(older.pk)


def test_the_admin_login_accepts_an_email_too(client, staff):
    page = client.get(reverse("admin:login"))
    assert '<label for="id_username" class="required">E-mail or username:</label>' in page.text
    assert "<h1>Log in</h1>" in page.text
    wrong = client.post(reverse("admin:login"), {"username": "hr@example.com", "password": "x"})
    assert "e-mail address or username and the password of a staff account" in wrong.text
    response = client.post(
        reverse("admin:login"), {"username": "HR@example.com", "password": "pw-hr"}
    )
    assert response.status_code == 302
    assert _logged_in_as(client) == str(staff.pk)


# --- the throttle -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Alice@Example.COM", "alice"),  # an address of an account: that account's name
        ("  alice@example.com ", "alice"),
        ("Nobody@Example.COM", "nobody@example.com"),  # nobody's: the address, lower-cased
        ("Alice", "Alice"),  # usernames are case-sensitive: left alone
        ("a" * 300 + "@example.com", "a" * 254),
    ],
)
def test_the_throttle_key_is_the_account_named_else_what_was_typed(alice, typed, key):
    assert axes_username(None, {"username": typed}) == key
    assert axes_username(RequestFactory().post("/", {"username": typed})) == key


def test_the_throttle_looks_an_address_up_once_per_request(alice, django_assert_num_queries):
    request = RequestFactory().post("/", {"username": "Alice@example.com"})
    with django_assert_num_queries(2):  # no such username, then the address
        assert axes_username(request) == "alice"
        assert axes_username(request, {"username": "Alice@example.com"}) == "alice"


def test_failed_logins_by_username_and_by_address_count_together(client, alice, settings):
    """Switching between the two names of one account gives no fresh guesses."""
    settings.AXES_FAILURE_LIMIT = 4
    for typed in ("alice", "alice@example.com", "alice", "ALICE@example.com"):
        assert _login(client, typed, "wrong").status_code in (200, 429)
    assert _login(client, "alice", "pw-alice").status_code == 429
    assert _login(client, "alice@example.com", "pw-alice").status_code == 429
    assert _logged_in_as(client) is None


def test_failed_logins_by_email_in_any_case_count_together(client, alice, settings):
    """Varying the capitals gives no fresh guesses; the pause holds the right password."""
    settings.AXES_FAILURE_LIMIT = 3
    assert _login(client, "Alice@Example.com", "wrong").status_code == 200
    assert _login(client, "ALICE@example.com", "wrong").status_code == 200
    assert _login(client, "alice@example.com", "wrong").status_code == 429
    locked = _login(client, "alice@EXAMPLE.com", "pw-alice")
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    # Only that client is paused: Alice at her own desk still gets in.
    assert _login(client, "alice@example.com", "pw-alice", ip="10.0.0.2").status_code == 302


def test_a_log_in_by_email_forgets_the_failed_ones_before_it(client, alice, settings):
    """As with usernames (AXES_RESET_ON_SUCCESS), a success clears earlier typos."""
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        _login(client, "alice@example.com", "wrong")
    assert _login(client, "Alice@Example.com", "pw-alice").status_code == 302
    client.logout()
    for _ in range(2):
        assert _login(client, "alice@example.com", "wrong").status_code == 200


def test_a_log_in_by_email_does_not_forgive_a_strangers_guesses(client, alice, settings):
    """Failures from another client stay counted against that client."""
    settings.AXES_FAILURE_LIMIT = 2
    _login(client, "alice@example.com", "wrong", ip="10.6.6.6")
    assert _login(client, "alice@example.com", "pw-alice").status_code == 302
    client.logout()
    assert _login(client, "alice@example.com", "wrong", ip="10.6.6.6").status_code == 429


# --- one address per account -------------------------------------------------------------


def test_the_database_refuses_an_address_in_another_case(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="alice2", email="ALICE@Example.com")


def test_any_number_of_accounts_may_have_no_address(db):
    User.objects.create_user(username="first", email="")
    User.objects.create_user(username="second", email="")
    assert User.objects.filter(email="").count() == 2


def _change_data(user, email):
    """What the admin's change page posts for ``user`` with a new address."""
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": email,
        "is_active": "on",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }


def test_the_admin_change_form_refuses_another_accounts_address(client, staff, alice, bob):
    client.force_login(staff)
    url = reverse("admin:auth_user_change", args=[bob.pk])
    response = client.post(url, _change_data(bob, "ALICE@example.com"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["email"]
    assert errors == [
        "The account “alice” already uses this e-mail address (written alice@example.com). "
        "People log in with their address, so no two accounts may share one, whatever the "
        "capitals."
    ]
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"


def test_the_admin_change_form_takes_a_new_case_of_the_same_address(client, staff, bob):
    client.force_login(staff)
    url = reverse("admin:auth_user_change", args=[bob.pk])
    assert client.post(url, _change_data(bob, "Bob@example.com")).status_code == 302
    bob.refresh_from_db()
    assert bob.email == "Bob@example.com"


def test_the_admin_add_form_asks_for_an_address_and_refuses_a_used_one(client, staff, alice):
    client.force_login(staff)
    url = reverse("admin:auth_user_add")
    assert 'name="email"' in client.get(url).content.decode()
    data = {
        "username": "alice2",
        "email": "Alice@Example.com",
        "usable_password": "false",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "already uses this e-mail address" in str(
        response.context["adminform"].form.errors["email"]
    )
    assert not User.objects.filter(username="alice2").exists()
    data["email"] = "alice2@example.com"
    assert client.post(url, data).status_code == 302
    assert User.objects.get(username="alice2").email == "alice2@example.com"


def test_the_admin_shows_when_someone_joined_and_last_logged_in_as_text(client, staff):
    """Django records both; editing them would falsify the record."""
    person = make_user("person")
    client.force_login(staff)
    html = client.get(reverse("admin:auth_user_change", args=[person.pk])).content.decode()
    assert 'name="date_joined_0"' not in html and 'name="last_login_0"' not in html
    assert "Date joined" in html
