"""HR edits everything in the Django admin; nobody else gets in.

Every test runs in the demo organisation, built once for the module; what a test changes
is rolled back after it.
"""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Cycle, Membership, Question, Questionnaire, Response, Team

from .conftest import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_organisation")]

ADMIN_LISTS = [
    "admin:assessments_questionnaire_changelist",
    "admin:assessments_dimension_changelist",
    "admin:assessments_question_changelist",
    "admin:assessments_team_changelist",
    "admin:assessments_membership_changelist",
    "admin:assessments_cycle_changelist",
    "admin:assessments_response_changelist",
]


@pytest.fixture(scope="module")
def demo_organisation(module_transaction):
    with module_transaction.unblock():
        call_command("seed_demo", stdout=StringIO())


@pytest.mark.parametrize("name", ADMIN_LISTS)
def test_staff_can_open_every_admin_list(client, staff, name):
    client.force_login(staff)
    assert client.get(reverse(name)).status_code == 200


def test_staff_can_open_change_pages(client, staff):
    client.force_login(staff)
    pages = [
        reverse("admin:assessments_questionnaire_change", args=[Questionnaire.objects.first().pk]),
        reverse("admin:assessments_team_change", args=[Team.objects.first().pk]),
        reverse(
            "admin:assessments_response_change", args=[Response.objects.submitted().first().pk]
        ),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", ADMIN_LISTS)
def test_non_staff_is_sent_to_the_admin_login(client, alice, name):
    client.force_login(alice)
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_question_text_with_html_is_escaped_in_the_admin(client, staff, questionnaire):
    question = questionnaire.questions.first()
    question.text = "<script>alert('x')</script> I plan"
    question.save()
    client.force_login(staff)
    html = client.get(reverse("admin:assessments_question_changelist")).content.decode()
    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;" in html


def test_answered_questions_are_frozen_in_the_admin(client, staff):
    questionnaire = Questionnaire.objects.first()
    client.force_login(staff)
    html = client.get(
        reverse("admin:assessments_questionnaire_change", args=[questionnaire.pk])
    ).content.decode()
    # Wording of answered items is shown read-only, not as an editable textarea; so are
    # the dimensions' keys and axes and the scale's labels.
    assert 'name="questions-0-text"' not in html
    assert 'name="dimensions-0-axis"' not in html and 'name="dimensions-0-name"' in html
    assert 'name="scale_labels-0-label"' not in html
    question = Question.objects.filter(questionnaire=questionnaire).first()
    question.text = "Changed wording"
    with pytest.raises(ValidationError):
        question.full_clean()


def test_copy_as_new_version_makes_an_editable_copy(client, staff):
    questionnaire = Questionnaire.objects.first()
    client.force_login(staff)
    client.post(
        reverse("admin:assessments_questionnaire_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [questionnaire.pk]},
    )
    copy = Questionnaire.objects.get(name=questionnaire.name, version=questionnaire.version + 1)
    assert copy.questions.count() == questionnaire.questions.count()
    assert copy.dimensions.count() == 10
    assert not copy.has_answers()


def test_cycle_with_a_group_size_below_three_is_refused_with_a_message(
    client, staff, questionnaire
):
    client.force_login(staff)
    response = client.post(
        reverse("admin:assessments_cycle_add"),
        {
            "name": "Too small",
            "questionnaire": questionnaire.pk,
            "opens_at_0": "2026-12-01",
            "opens_at_1": "09:00:00",
            "closes_at_0": "2026-11-01",
            "closes_at_1": "09:00:00",
            "min_group_size": 2,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "errornote" in html
    assert "The cycle must close after it opens." in html
    assert "The minimum group size can&#x27;t be below 3." in html
    assert not Cycle.objects.filter(name="Too small").exists()


# --- what HR sees -------------------------------------------------------------------------

SUPERUSER_ONLY = [
    "admin:auth_group_changelist",
    "admin:axes_accessattempt_changelist",
    "admin:axes_accesslog_changelist",
    "admin:axes_accessfailurelog_changelist",
]


@pytest.fixture
def hr_user(db):
    """The demo's HR person (the "HR" group)."""
    return get_user_model().objects.get(username="helga")


def test_hr_sees_neither_groups_nor_the_login_throttling_tables(client, hr_user):
    """Even given the permissions by hand: rights and login records are for superusers."""
    hr_user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_group", "view_accessattempt", "view_accesslog"]
        )
    )
    client.force_login(hr_user)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Groups" not in index and "Access attempts" not in index and "Axes" not in index
    assert "Users" in index and "Cycles" in index
    for name in SUPERUSER_ONLY:
        assert client.get(reverse(name)).status_code == 403, name


def test_superusers_still_see_groups_and_the_login_throttling_tables(client, staff):
    client.force_login(staff)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Groups" in index and "Access attempts" in index and "Access logs" in index
    assert "Log-in security" in index and ">Axes<" not in index  # the throttle's tables
    for name in SUPERUSER_ONLY:
        assert client.get(reverse(name)).status_code == 200, name


def test_the_membership_picker_finds_people_by_name_and_shows_their_email(client, hr_user):
    client.force_login(hr_user)
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "assessments",
            "model_name": "membership",
            "field_name": "user",
            "term": "Maria Demo",
        },
    ).json()
    assert [r["text"] for r in found["results"]] == ["Maria Demo <maria@example.com>"]


def test_memberships_show_the_chosen_person_by_name_and_email(client, hr_user):
    membership = Membership.objects.select_related("user").get(user__username="maria")
    client.force_login(hr_user)
    html = client.get(
        reverse("admin:assessments_membership_change", args=[membership.pk])
    ).content.decode()
    assert "Maria Demo &lt;maria@example.com&gt;</option>" in html
    team_page = client.get(
        reverse("admin:assessments_team_change", args=[membership.team_id])
    ).content.decode()
    assert "Maria Demo &lt;maria@example.com&gt;</option>" in team_page
    listing = client.get(reverse("admin:assessments_membership_changelist")).content.decode()
    assert "Maria Demo &lt;maria@example.com&gt;" in listing


def test_an_answered_questionnaire_says_why_it_is_read_only_and_offers_a_copy(client, hr_user):
    questionnaire = Questionnaire.objects.first()
    client.force_login(hr_user)
    url = reverse("admin:assessments_questionnaire_change", args=[questionnaire.pk])
    html = client.get(url).content.decode()
    assert "People have answered this questionnaire" in html
    assert f"{questionnaire.name} (v{questionnaire.version + 1})" in html
    form = re.search(r'<form method="post" action="([^"]+)" class="lvm-copy-version">', html)
    assert form and form.group(1) == reverse("admin:assessments_questionnaire_changelist")
    assert 'name="action" value="copy_as_new_version"' in html
    # The button runs the action for this questionnaire and opens the copy.
    response = client.post(
        form.group(1), {"action": "copy_as_new_version", "_selected_action": questionnaire.pk}
    )
    copy = Questionnaire.objects.get(name=questionnaire.name, version=questionnaire.version + 1)
    assert response["Location"] == reverse(
        "admin:assessments_questionnaire_change", args=[copy.pk]
    )
    copy_page = client.get(response["Location"]).content.decode()
    assert "People have answered this questionnaire" not in copy_page
    assert f"{questionnaire.name} (v{copy.version})" in copy_page
    listing = client.get(reverse("admin:assessments_questionnaire_changelist")).content.decode()
    assert f"{questionnaire.name} (v{copy.version})" in listing


def cycle_rows(html: str) -> list[tuple[str, list[str]]]:
    """The cycle list's rows, in order: (name, the words of the other cells)."""
    return [
        (name, re.sub(r"<[^>]+>", " ", row).split())
        for name, row in re.findall(
            r'<tr>.*?<th class="field-name"><a href="[^"]+">([^<]+)</a></th>(.*?)</tr>', html, re.S
        )
    ]


def test_the_cycle_list_shows_status_and_response_counts(client, hr_user):
    now = timezone.now()
    Cycle.objects.create(
        name="Spring 2027",
        questionnaire=Questionnaire.objects.first(),
        opens_at=now + timedelta(days=100),
        closes_at=now + timedelta(days=130),
    )
    client.force_login(hr_user)
    html = client.get(reverse("admin:assessments_cycle_changelist")).content.decode()
    rows = dict(cycle_rows(html))
    # (status, submitted, in progress): the demo's open cycle has drafts.
    assert rows["Autumn 2026"][:3] == ["Open", "28", "5"]
    assert rows["Spring 2026"][:3] == ["Closed", "34", "0"]
    assert rows["Spring 2027"][:3] == ["Upcoming", "0", "0"]
    upcoming = client.get(reverse("admin:assessments_cycle_changelist"), {"status": "upcoming"})
    assert "Spring 2027" in upcoming.content.decode()
    assert "Autumn 2026" not in upcoming.content.decode()


def test_the_admin_shows_times_on_the_24_hour_clock_like_the_app(client, hr_user):
    cycle = Cycle.objects.get(name="Autumn 2026")
    cycle.closes_at = timezone.make_aware(timezone.datetime(2027, 1, 6, 22, 59))
    cycle.save()
    client.force_login(hr_user)
    html = client.get(reverse("admin:assessments_cycle_changelist")).content.decode()
    assert "6 Jan 2027, 22:59" in html and "p.m." not in html


def test_the_cycle_list_can_be_sorted_by_status_and_counts(client, hr_user):
    client.force_login(hr_user)
    url = reverse("admin:assessments_cycle_changelist")
    # Columns count from 0, the checkbox of the "Invite participants" action first:
    # checkbox, name, status, submitted, in progress.
    by_status = cycle_rows(client.get(url, {"o": "2"}).content.decode())
    assert [cells[0] for _, cells in by_status] == ["Open", "Closed"]
    by_submitted = cycle_rows(client.get(url, {"o": "-3"}).content.decode())
    assert [name for name, _ in by_submitted] == ["Spring 2026", "Autumn 2026"]  # 34, 28
    by_drafts = cycle_rows(client.get(url, {"o": "-4"}).content.decode())
    assert [name for name, _ in by_drafts] == ["Autumn 2026", "Spring 2026"]  # 5, 0


def test_the_cycle_list_takes_the_same_queries_however_many_cycles(client, hr_user):
    client.force_login(hr_user)
    url = reverse("admin:assessments_cycle_changelist")
    client.get(url)  # sessions, content types and the like, once
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    questionnaire, now = Questionnaire.objects.first(), timezone.now()
    Cycle.objects.bulk_create(
        Cycle(
            name=f"Extra {i}",
            questionnaire=questionnaire,
            opens_at=now - timedelta(days=400 + i),
            closes_at=now - timedelta(days=300 + i),
        )
        for i in range(5)
    )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_no_view_on_site_link_leads_to_someone_elses_or_no_page(client, staff):
    """A response's "page" is the signed-in person's own result: no link from the admin."""
    client.force_login(staff)
    response = Response.objects.submitted().first()
    html = client.get(
        reverse("admin:assessments_response_change", args=[response.pk])
    ).content.decode()
    assert "viewsitelink" not in html
    flagged = client.get(
        reverse("admin:assessments_flaggedresponse_change", args=[response.pk])
    ).content.decode()
    assert "viewsitelink" not in flagged


def test_view_on_site_opens_the_team_dashboard_for_hr(client, hr_user):
    team = Team.objects.first()
    client.force_login(hr_user)
    html = client.get(reverse("admin:assessments_team_change", args=[team.pk])).content.decode()
    link = re.search(r'href="([^"]+)" class="viewsitelink"', html)
    assert link
    response = client.get(link.group(1), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(team.get_absolute_url())


def test_no_view_on_site_for_staff_who_cannot_open_the_dashboard(client):
    """Staff allowed to edit teams but not to see figures would get a 404 there."""
    clerk = make_user("clerk", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_team", "change_team"])
    )
    team = Team.objects.first()
    client.force_login(clerk)
    html = client.get(reverse("admin:assessments_team_change", args=[team.pk])).content.decode()
    assert "viewsitelink" not in html
    assert client.get(team.get_absolute_url()).status_code == 404


def test_inline_inputs_are_named_for_screen_readers(client, hr_user):
    """Tabular inlines label their columns with headings only; each input gets a name."""
    client.force_login(hr_user)
    team = Team.objects.first()
    html = client.get(reverse("admin:assessments_team_change", args=[team.pk])).content.decode()
    assert re.search(r'<select name="memberships-0-role"[^>]*aria-label="Role, row 1"', html)
    assert re.search(r'name="memberships-0-DELETE"[^>]*aria-label="Delete, row 1"', html) or (
        re.search(r'aria-label="Delete, row 1"[^>]*name="memberships-0-DELETE"', html)
    )
    arjun = get_user_model().objects.get(username="arjun")
    user_page = client.get(reverse("admin:auth_user_change", args=[arjun.pk])).content.decode()
    assert re.search(r'<select name="memberships-0-team"[^>]*aria-label="Team, row 1"', user_page)


@pytest.mark.parametrize(
    "name", ["admin:index", "admin:assessments_team_changelist", "admin:assessments_team_add"]
)
def test_admin_pages_have_lvm_favicon_header_and_title(client, staff, name):
    """No request for a missing /favicon.ico, and still LVM's own header and title."""
    client.force_login(staff)
    html = client.get(reverse(name)).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
    assert "LVM administration" in html
    assert re.search(r"<title>[^<]*\| LVM admin</title>", html)


def test_admin_login_page_has_the_favicon(client):
    html = client.get(reverse("admin:login")).content.decode()
    assert 'href="/static/img/favicon.svg"' in html


# --- hand-made requests that Django's admin alone would answer with a server error ---------


@pytest.mark.parametrize("bad_id", ["abc", "9" * 30])
def test_a_picker_given_an_impossible_id_says_so_instead_of_failing(client, hr_user, bad_id):
    """Posted by hand: a team or person id that is no number, or too big for the database."""
    cycle, team = Cycle.objects.first(), Team.objects.first()
    memberships = Membership.objects.count()
    client.force_login(hr_user)
    response = client.post(
        reverse("admin:assessments_cycle_change", args=[cycle.pk]),
        {"name": cycle.name, "teams": [bad_id]},
    )
    assert response.status_code == 200
    assert "is not a valid value" in str(response.context["adminform"].form.errors["teams"])
    response = client.post(
        reverse("admin:assessments_membership_add"),
        {"user": bad_id, "team": team.pk, "role": "member"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Membership.objects.count() == memberships


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("cycle", "opens_at__year=" + "9" * 20),
        ("cycle", "opens_at__year=9999&opens_at__month=12"),
        ("cycle", "opens_at__year=2026&opens_at__month=" + "9" * 20),
        ("peopleimport", "created_at__year=" + "9" * 20),
    ],
)
def test_an_impossible_date_filter_is_an_invalid_filter_not_an_error(
    client, hr_user, model, query
):
    client.force_login(hr_user)
    url = reverse(f"admin:assessments_{model}_changelist")
    response = client.get(f"{url}?{query}")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
