"""HR edits everything in the Django admin; nobody else gets in.

Every test runs in the demo organisation, built once for the module; what a test changes
is rolled back after it.
"""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from assessments.models import Cycle, Question, Questionnaire, Response, Team

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
