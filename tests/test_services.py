"""Saving drafts and submitting: one transaction, nothing half-written."""

import pytest

from assessments import services
from assessments.models import Answer, DimensionScore, Response

from .conftest import all_answers, make_cycle, make_questionnaire


def test_save_draft_keeps_answers_and_can_be_changed(cycle, alice):
    first = next(iter(all_answers(cycle)))
    services.save_draft(user=alice, cycle=cycle, answers={first: 2})
    services.save_draft(user=alice, cycle=cycle, answers={first: 5})
    assert Answer.objects.get(question_id=first).value == 5
    assert Response.objects.get().status == "draft"


def test_submission_writes_one_answer_per_question_and_scores(cycle, alice):
    answers = all_answers(cycle, value=4)
    outcome = services.submit_response(user=alice, cycle=cycle, answers=answers)
    assert outcome.submitted
    response = Response.objects.get()
    assert response.answers.count() == len(answers)
    # Two items per dimension, the second reverse-keyed: 4 and (6-4)=2 -> mean 3 -> 50.
    assert set(DimensionScore.objects.values_list("score", flat=True)) == {50.0}
    assert response.leadership_score == 50.0 and response.management_score == 50.0
    assert response.profile == "developing"


def test_submission_with_missing_items_keeps_what_was_given(cycle, alice):
    answers = all_answers(cycle)
    given = dict(list(answers.items())[:3])
    outcome = services.submit_response(user=alice, cycle=cycle, answers=given)
    assert not outcome.submitted
    assert len(outcome.missing) == len(answers) - 3
    assert Answer.objects.count() == 3
    assert Response.objects.get().status == "draft"
    assert not DimensionScore.objects.exists()


def test_submitted_response_is_immutable(cycle, alice):
    answers = all_answers(cycle)
    services.submit_response(user=alice, cycle=cycle, answers=answers)
    with pytest.raises(services.AlreadySubmitted):
        services.save_draft(user=alice, cycle=cycle, answers={next(iter(answers)): 1})
    with pytest.raises(services.AlreadySubmitted):
        services.submit_response(user=alice, cycle=cycle, answers=answers)
    assert Response.objects.count() == 1
    assert set(Answer.objects.values_list("value", flat=True)) == {4}


@pytest.mark.parametrize(
    "tampered",
    [
        pytest.param(lambda first: {999_999: 3}, id="unknown question"),
        pytest.param(lambda first: {first: 0}, id="zero"),
        pytest.param(lambda first: {first: 6}, id="six"),
    ],
)
def test_tampered_answers_write_nothing(cycle, alice, tampered):
    """``tampered`` turns the first question's id into the answers a tamperer sends."""
    answers = tampered(next(iter(all_answers(cycle))))
    with pytest.raises(services.InvalidAnswers):
        services.save_draft(user=alice, cycle=cycle, answers=answers)
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_question_of_another_questionnaire_is_refused(cycle, alice):
    other = make_questionnaire(name="Other")
    with pytest.raises(services.InvalidAnswers):
        services.save_draft(user=alice, cycle=cycle, answers={other.questions.first().pk: 3})
    assert not Answer.objects.exists()


def test_answer_to_a_question_switched_off_meanwhile_is_dropped_and_the_rest_kept(cycle, alice):
    first, second = cycle.questionnaire.questions.order_by("order")[:2]
    first.is_active = False
    first.save()
    services.save_draft(user=alice, cycle=cycle, answers={first.pk: 3, second.pk: 4})
    assert list(Answer.objects.values_list("question_id", "value")) == [(second.pk, 4)]


def test_questionnaire_without_both_axes_cannot_be_answered(alice, questionnaire):
    questionnaire.questions.filter(dimension__axis="management").update(is_active=False)
    cycle = make_cycle(questionnaire)
    with pytest.raises(services.NotReady):
        services.submit_response(user=alice, cycle=cycle, answers=all_answers(cycle))
    assert not Response.objects.exists()


def test_closed_cycle_refuses_answers(questionnaire, alice):
    closed = make_cycle(questionnaire, open_=False)
    with pytest.raises(services.CycleClosed):
        services.submit_response(user=alice, cycle=closed, answers=all_answers(closed))
    assert not Response.objects.exists()


def test_submission_takes_a_constant_number_of_queries(
    django_assert_max_num_queries, alice, questionnaire
):
    big = make_questionnaire(per_dimension=10, dimensions=5, name="Big")
    cycle = make_cycle(big)
    answers = all_answers(cycle)
    assert len(answers) == 100
    with django_assert_max_num_queries(10):
        services.submit_response(user=alice, cycle=cycle, answers=answers)
