"""The user admin: who may change a person's log-in, and which usernames and addresses it takes.

A new address lets whoever set it reset the password and sign in as the person, so HR
(not superusers) may not change the username or address of someone who has set a
password or answered. Log-in takes a username or an address, so neither may be another
account's, in either role.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from .conftest import make_user, start_draft

pytestmark = pytest.mark.django_db

User = get_user_model()
LOCKED_HELP = (
    "Only an administrator can change this: this person has set a password or answered, "
    "and a new address could be used to reset their password."
)


def change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def change_data(user, **values) -> dict:
    """What the change page posts for ``user``, with ``values`` instead of theirs."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    return {**data, **values}


@pytest.fixture
def dan(db):
    """Imported, invited, has not chosen a password yet and has not answered."""
    return User.objects.create_user("dan", email="dan@example.com", first_name="Dan")


# --- who may change a log-in ----------------------------------------------------------


def test_hr_sees_the_login_of_someone_with_a_password_read_only_and_why(client, helga, alice):
    client.force_login(helga)
    html = client.get(change_url(alice)).content.decode()
    assert 'name="email"' not in html and 'name="username"' not in html
    assert "alice@example.com" in html
    assert html.count(LOCKED_HELP) == 2


def test_hr_cannot_change_the_address_of_someone_with_a_password(client, helga, alice):
    """A posted address is ignored: the field is not in HR's form at all."""
    client.force_login(helga)
    data = change_data(alice, email="helga-owns-this@example.com", username="helga2")
    response = client.post(change_url(alice), data | {"first_name": "Alicia"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.email, alice.username) == ("alice@example.com", "alice")
    assert alice.first_name == "Alicia", "the rest of the form is saved"


def test_hr_cannot_change_the_address_of_someone_who_answered(client, helga, dan, cycle):
    """Answers without a password (an administrator removed it) are theirs all the same."""
    start_draft(dan, cycle)
    client.force_login(helga)
    assert 'name="email"' not in client.get(change_url(dan)).content.decode()
    client.post(change_url(dan), change_data(dan, email="helga-owns-this@example.com"))
    dan.refresh_from_db()
    assert dan.email == "dan@example.com"


def test_hr_may_change_the_address_of_someone_without_a_password_or_answers(client, helga, dan):
    """Nothing of theirs to read yet: a mistyped address can be put right before they
    choose a password."""
    client.force_login(helga)
    html = client.get(change_url(dan)).content.decode()
    assert 'name="email"' in html and LOCKED_HELP not in html
    data = change_data(dan, email="dan.lee@example.com", username="dan.lee")
    assert client.post(change_url(dan), data).status_code == 302
    dan.refresh_from_db()
    assert (dan.email, dan.username) == ("dan.lee@example.com", "dan.lee")


def test_a_superuser_may_change_the_address_of_someone_with_a_password(
    client, staff, alice, cycle
):
    start_draft(alice, cycle)
    client.force_login(staff)
    html = client.get(change_url(alice)).content.decode()
    assert 'name="email"' in html and LOCKED_HELP not in html
    data = change_data(alice, email="alice.new@example.com", username="alice.new")
    assert client.post(change_url(alice), data).status_code == 302
    alice.refresh_from_db()
    assert (alice.email, alice.username) == ("alice.new@example.com", "alice.new")


# --- usernames and addresses of other accounts ----------------------------------------


def test_a_username_that_is_another_accounts_address_is_refused(client, staff, alice, bob):
    """Typing "alice@example.com" would log in as bob, "Alice@example.com" as alice."""
    client.force_login(staff)
    response = client.post(change_url(bob), change_data(bob, username="ALICE@example.com"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"] == [
        "This is the e-mail address of the account “alice”. People log in with a username "
        "or an address, so a username may not be another account's address, whatever the "
        "capitals."
    ]
    bob.refresh_from_db()
    assert bob.username == "bob"


def test_an_address_that_is_another_accounts_username_is_refused(client, staff, bob):
    make_user("carol@example.com")
    client.force_login(staff)
    response = client.post(change_url(bob), change_data(bob, email="Carol@Example.com"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "This is the username of the account “carol@example.com”. People log in with a "
        "username or an address, so an address may not be another account's username, "
        "whatever the capitals."
    ]
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"


def test_an_accounts_own_address_may_be_its_username(client, staff, bob):
    """As the import makes them: the address in lower case."""
    client.force_login(staff)
    data = change_data(bob, username="bob@example.com", email="Bob@example.com")
    assert client.post(change_url(bob), data).status_code == 302
    bob.refresh_from_db()
    assert (bob.username, bob.email) == ("bob@example.com", "Bob@example.com")


def test_the_add_form_refuses_another_accounts_address_as_username_and_the_reverse(
    client, helga, alice
):
    make_user("carol@example.com")
    client.force_login(helga)
    data = {
        "username": "Alice@Example.com",
        "email": "CAROL@example.com",
        "usable_password": "false",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:auth_user_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "is the e-mail address of the account “alice”" in errors["username"][0]
    assert "is the username of the account “carol@example.com”" in errors["email"][0]
    assert not User.objects.filter(username__iexact="alice@example.com").exists()
    data |= {"username": "erin", "email": "erin@example.com"}
    assert client.post(reverse("admin:auth_user_add"), data).status_code == 302
