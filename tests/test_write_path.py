"""The write path for what is not a person answering: recorded responses, questionnaires.

``record_response`` is how demo data, benchmarks and tests put responses in the
database. It must hold the same rules as a person's own submission, apart from the
cycle being open and the times.
"""

import json
from datetime import timedelta

import pytest

from assessments import services
from assessments.models import (
    Answer,
    DimensionScore,
    Question,
    Questionnaire,
    Response,
    TeamSnapshot,
)

from .conftest import all_answers, make_cycle, make_questionnaire


@pytest.fixture
def closed(questionnaire):
    return make_cycle(questionnaire, name="Last year", open_=False)


def record(user, cycle, answers, *, submitted=True):
    return services.record_response(
        user=user,
        cycle=cycle,
        answers=answers,
        started_at=cycle.opens_at,
        submitted_at=cycle.opens_at + timedelta(days=1) if submitted else None,
    )


def test_a_recorded_response_is_scored_as_a_submission_is(alice, cycle, closed):
    services.submit_response(user=alice, cycle=cycle, answers=all_answers(cycle, 4))
    recorded = record(alice, closed, all_answers(closed, 4))
    submitted = Response.objects.get(cycle=cycle)
    assert recorded.status == "submitted"
    assert (recorded.leadership_score, recorded.management_score, recorded.profile) == (
        submitted.leadership_score,
        submitted.management_score,
        submitted.profile,
    )
    assert recorded.submitted_at == closed.opens_at + timedelta(days=1)
    assert DimensionScore.objects.filter(response=recorded).count() == 4


def test_a_recorded_response_keeps_the_team_snapshot(alice, alpha, closed):
    response = record(alice, closed, all_answers(closed))
    assert list(TeamSnapshot.objects.filter(response=response).values_list("team", flat=True)) == [
        alpha.pk
    ]


def test_without_a_submission_time_it_stays_a_draft(alice, closed):
    first = next(iter(all_answers(closed)))
    response = record(alice, closed, {first: 2}, submitted=False)
    assert response.status == "draft" and response.leadership_score is None
    assert Answer.objects.get(response=response).value == 2


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda answers: {**answers, next(iter(answers)): 9}, services.InvalidAnswers),
        (lambda answers: {**answers, 10**12: 3}, services.InvalidAnswers),
        (lambda answers: dict(list(answers.items())[1:]), services.InvalidAnswers),
    ],
    ids=["value off the scale", "unknown question", "one missing"],
)
def test_bad_answers_are_refused_and_nothing_is_written(alice, closed, change, error):
    with pytest.raises(error):
        record(alice, closed, change(all_answers(closed)))
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_a_questionnaire_without_both_axes_is_not_ready(alice, questionnaire, closed):
    Question.objects.filter(dimension__axis="management").update(is_active=False)
    with pytest.raises(services.NotReady):
        record(alice, closed, all_answers(closed))
    assert not Response.objects.exists()


def test_loading_the_default_file_twice_makes_one_version(db):
    data = services.read_questionnaire_file(services.DEFAULT_FILE)
    first, created = services.load_questionnaire(data)
    again, created_again = services.load_questionnaire(data)
    assert created and not created_again and first == again
    assert Questionnaire.objects.count() == 1
    assert first.questions.count() == sum(len(d["questions"]) for d in data["dimensions"])


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "Cannot read"), (json.dumps({"name": "x"}), "has no version, scale")],
)
def test_an_unreadable_questionnaire_file_says_why(tmp_path, content, message):
    path = tmp_path / "questionnaire.json"
    path.write_text(content)
    with pytest.raises(services.QuestionnaireFileError, match=message):
        services.read_questionnaire_file(path)


def test_a_copy_is_the_next_version_with_the_same_wording(db):
    original = make_questionnaire(name="Traits")
    Question.objects.filter(questionnaire=original, order=1).update(is_active=False)
    copy = services.copy_as_new_version(original)
    assert (copy.name, copy.version) == ("Traits", original.version + 1)
    fields = ("text", "order", "reverse_keyed", "is_active", "dimension__code")
    assert list(copy.questions.order_by("order").values_list(*fields)) == list(
        original.questions.order_by("order").values_list(*fields)
    )
    assert list(copy.scale_labels.values_list("value", "label")) == list(
        original.scale_labels.values_list("value", "label")
    )
    assert not set(copy.dimensions.values_list("pk", flat=True)) & set(
        original.dimensions.values_list("pk", flat=True)
    )
