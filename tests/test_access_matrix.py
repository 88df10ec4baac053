"""Every URL of the app, requested as every role, gives the expected answer.

A new named URL without a row here makes ``test_every_url_has_a_row`` fail. The admin
site's own URLs are Django's and are covered in test_admin.py.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from assessments import services
from assessments.models import Membership, Response, Team

from .conftest import all_answers, make_cycle, make_hr, make_member, make_questionnaire, make_user

LOGIN = "login"  # a redirect to the login page
ROLES = [
    "anonymous",
    "employee",
    "other_member",
    "manager",
    "other_manager",
    "hr",  # staff in the HR group: the organisation permission
    "plain_staff",  # staff with no permission at all: sees no figures
    "admin",  # superuser
]


def _all(outcome):
    return dict.fromkeys(ROLES, outcome)


def _signed_in(outcome):
    return {**_all(outcome), "anonymous": LOGIN}


def _only(allowed, *, others=404):
    return {**_signed_in(others), **dict.fromkeys(allowed, 200)}


def _reset_args(world):
    user = world["employee"]
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": "set-password"}


# name -> (arguments from the world, method, expected outcome per role)
MATRIX = {
    "assessments:home": (None, "get", _signed_in(200)),
    # The employee has submitted: the questionnaire sends them to their result.
    "assessments:response-edit": (
        lambda w: [w["cycle"].pk],
        "get",
        {**_signed_in(200), "employee": 302},
    ),
    # Saving answers: the employee has submitted, so is sent to their result; everyone
    # else saves a draft of no answers and goes back to the questionnaire.
    "assessments:response-save": (
        lambda w: [w["cycle"].pk],
        "post",
        {**_signed_in(302), "anonymous": LOGIN},
    ),
    # The employee's own result: everyone else gets 404.
    "assessments:result-detail": (lambda w: [w["cycle"].pk], "get", _only(["employee"])),
    "assessments:result-export": (lambda w: [w["cycle"].pk], "get", _only(["employee"])),
    "assessments:team-list": (None, "get", _signed_in(200)),
    # Alpha: managed by "manager"; "other_manager" manages Beta.
    "assessments:team-dashboard": (
        lambda w: [w["team"].pk],
        "get",
        _only(["manager", "hr", "admin"]),
    ),
    "assessments:team-export": (
        lambda w: [w["team"].pk],
        "get",
        _only(["manager", "hr", "admin"]),
    ),
    # Only the team's managers write its plan; HR and admins read it on the dashboard.
    # The open cycle has no figures yet, so the manager is sent back to the dashboard.
    "assessments:team-plan": (
        lambda w: [w["team"].pk],
        "get",
        {**_signed_in(404), "manager": 302, "hr": 403, "admin": 403},
    ),
    # No plan to mark done yet.
    "assessments:team-plan-done": (
        lambda w: [w["team"].pk],
        "post",
        {**_signed_in(404), "hr": 403, "admin": 403},
    ),
    "assessments:organisation-overview": (None, "get", _only(["hr", "admin"])),
    "assessments:instrument-report": (None, "get", _only(["hr", "admin"])),
    # No report yet (one response): nothing to download, for anyone.
    "assessments:instrument-export": (None, "get", _only([])),
    # Counts only: the managers' own teams, every team for HR.
    "assessments:participation": (None, "get", _only(["manager", "other_manager", "hr", "admin"])),
    # A link with a wrong token: the page that says the link no longer works, for anyone.
    "assessments:invitation-accept": (
        lambda w: {**_reset_args(w), "cycle_pk": w["cycle"].pk, "token": "abc-123"},
        "get",
        _all(200),
    ),
    "login": (None, "get", _all(200)),
    "logout": (None, "post", _all(200)),  # the "You are logged out" page
    "password_change": (None, "get", _signed_in(200)),
    "password_change_done": (None, "get", _signed_in(200)),
    "password_reset": (None, "get", _all(200)),
    "password_reset_done": (None, "get", _all(200)),
    "password_reset_confirm": (_reset_args, "get", _all(200)),
    "password_reset_complete": (None, "get", _all(200)),
}


def _named_urls(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _named_urls(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name


def test_every_url_has_a_row():
    names = set(_named_urls(get_resolver().url_patterns))
    assert names - set(MATRIX) == set(), "add these URLs to the access matrix"
    assert set(MATRIX) - names == set(), "these rows name URLs that no longer exist"


@pytest.fixture(scope="module")
def world(module_transaction):
    """One person per role, built once for the module: the tests only read it, and what a
    request writes (a draft, a session) is rolled back with each test."""
    with module_transaction.unblock():
        cycle = make_cycle(make_questionnaire())
        alpha, beta = Team.objects.create(name="Alpha"), Team.objects.create(name="Beta")
        employee = make_member("alice", alpha, first_name="Alice")
        services.submit_response(user=employee, cycle=cycle, answers=all_answers(cycle))
        return {
            "anonymous": None,
            "employee": employee,
            "other_member": make_member("charlie", beta),
            "manager": make_member("bob", alpha, role=Membership.Role.MANAGER),
            "other_manager": make_member("dora", beta, role=Membership.Role.MANAGER),
            "hr": make_hr(),
            "plain_staff": make_user("sam", is_staff=True),
            "admin": make_user("hr", is_staff=True, is_superuser=True),
            "team": alpha,
            "cycle": cycle,
        }


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_access(db, client, world, name, role):
    args_of, method, expected = MATRIX[name]
    args = args_of(world) if args_of else None
    url = reverse(name, kwargs=args) if isinstance(args, dict) else reverse(name, args=args)
    if world[role] is not None:
        client.force_login(world[role])
    response = getattr(client, method)(url)
    outcome = expected[role]
    if outcome == LOGIN:
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    else:
        assert response.status_code == outcome, f"{role} on {url}"


def test_the_hr_group_holds_the_organisation_permission_and_no_more_than_hr_needs(db):
    """Shipped by migrate: HR edits content and teams, reads and erases responses."""
    codenames = set(Group.objects.get(name="HR").permissions.values_list("codename", flat=True))
    assert "view_organisation_results" in codenames
    assert {"change_questionnaire", "add_cycle", "delete_response", "add_user"} <= codenames
    assert (
        not {"view_response", "view_answer", "view_dimensionscore", "change_response"} & codenames
    )
    assert not {"delete_publication", "delete_user"} & codenames
    assert not {c for c in codenames if c.endswith("_group") or c.endswith("_permission")}


def test_plain_staff_see_no_team_dashboards_in_the_navigation(db, client, world):
    client.force_login(world["plain_staff"])
    html = client.get(reverse("assessments:home")).content.decode()
    assert "Team dashboards" not in html and ">Admin<" in html
    client.force_login(world["hr"])
    html = client.get(reverse("assessments:team-list")).content.decode()
    assert "Organisation overview" in html and "Alpha" in html


@pytest.fixture
def hr_client(db, client, world):
    client.force_login(world["hr"])
    return client


def test_hr_cannot_read_individual_responses_in_the_admin(hr_client, world):
    """A person's answers and scores are theirs: the guarantee covers HR too."""
    assert hr_client.get(reverse("admin:assessments_response_changelist")).status_code == 403
    response = Response.objects.get(respondent=world["employee"])
    url = reverse("admin:assessments_response_change", args=[response.pk])
    assert hr_client.get(url).status_code == 403
    index = hr_client.get(reverse("admin:index")).content.decode()
    assert "Responses" not in index, "no row that leads nowhere"
    assert "Careless-response flags" in index


def test_hr_cannot_raise_their_own_rights(hr_client, world):
    hr = world["hr"]
    url = reverse("admin:auth_user_change", args=[hr.pk])
    response = hr_client.post(url, {"username": hr.username, "is_superuser": "on"})
    assert response.status_code == 403
    hr.refresh_from_db()
    assert not hr.is_superuser


def test_hr_cannot_set_another_persons_password(hr_client, world):
    url = reverse("admin:auth_user_password_change", args=[world["employee"].pk])
    assert hr_client.get(url).status_code == 403


def test_hr_edits_an_employee_but_not_their_rights(hr_client, world):
    employee = world["employee"]
    url = reverse("admin:auth_user_change", args=[employee.pk])
    html = hr_client.get(url).content.decode()
    assert 'name="first_name"' in html and 'name="is_superuser"' not in html
    assert 'name="groups"' not in html and 'name="is_staff"' not in html
