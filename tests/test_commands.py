"""load_questionnaire and seed_demo can be run any number of times."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from assessments.models import (
    Answer,
    Cycle,
    Dimension,
    Membership,
    Question,
    Questionnaire,
    Response,
    Team,
)
from assessments.services import DEFAULT_FILE

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Questionnaire,
            Dimension,
            Question,
            Team,
            Membership,
            Cycle,
            Response,
            Answer,
            get_user_model(),
        )
    }


def test_default_questionnaire_has_ten_dimensions_of_at_least_four_items():
    call_command("load_questionnaire", stdout=StringIO())
    questionnaire = Questionnaire.objects.get()
    dims = list(questionnaire.dimensions.all())
    assert [d.axis for d in dims].count("leadership") == 5
    assert [d.axis for d in dims].count("management") == 5
    for dim in dims:
        questions = list(dim.questions.all())
        assert len(questions) >= 4, dim.name
        assert sum(q.reverse_keyed for q in questions) >= 1, dim.name
        assert dim.description and dim.development_tip
    assert questionnaire.scale_choices()[0] == (1, "Strongly disagree")


def test_loading_the_questionnaire_twice_changes_nothing():
    call_command("load_questionnaire", stdout=StringIO())
    before = _counts()
    out = StringIO()
    call_command("load_questionnaire", stdout=out)
    assert _counts() == before
    assert "Kept" in out.getvalue()


def test_dry_run_writes_nothing():
    call_command("load_questionnaire", "--dry-run", stdout=StringIO())
    assert not Questionnaire.objects.exists()


def test_default_questionnaire_file_is_valid_json():
    data = json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    texts = [q["text"] for d in data["dimensions"] for q in d["questions"]]
    assert len(texts) == len(set(texts)), "every item is worded differently"


def test_seed_demo_twice_duplicates_nothing():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first
    assert "maria" in out.getvalue() and "password" in out.getvalue()


def test_seed_demo_builds_a_realistic_organisation():
    call_command("seed_demo", stdout=StringIO())
    assert 35 <= get_user_model().objects.count() <= 45
    assert Team.objects.count() == 5
    for team in Team.objects.all():
        assert team.memberships.filter(role="manager").count() == 1
    assert Cycle.objects.count() == 2
    current = Cycle.objects.open_at().get()
    statuses = set(current.responses.values_list("status", flat=True))
    assert statuses == {"draft", "submitted"}
    members = Membership.objects.values("user").distinct().count()
    assert current.responses.count() < members, "some people have not started"
    submitted = Response.objects.submitted().first()
    assert submitted.dimension_scores.count() == 10
    assert 0 <= submitted.leadership_score <= 100
    # Some teams are below the minimum group size in the current cycle.
    small = [
        t
        for t in Team.objects.all()
        if current.responses.submitted().filter(respondent__memberships__team=t).count()
        < current.min_group_size
    ]
    assert small
