"""The database itself refuses rows that break the domain's rules."""

import pytest
from django.db import IntegrityError, transaction

from assessments.models import (
    Answer,
    Cycle,
    DimensionScore,
    Membership,
    Questionnaire,
    Response,
)

from .conftest import make_cycle, make_user


def _refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_answer_value_outside_the_scale_is_refused(cycle, alice):
    response = Response.objects.create(cycle=cycle, respondent=alice)
    question = cycle.questionnaire.questions.first()
    _refused(lambda: Answer.objects.create(response=response, question=question, value=0))
    _refused(lambda: Answer.objects.create(response=response, question=question, value=8))
    assert not Answer.objects.exists()


def test_second_answer_to_the_same_question_is_refused(cycle, alice):
    response = Response.objects.create(cycle=cycle, respondent=alice)
    question = cycle.questionnaire.questions.first()
    Answer.objects.create(response=response, question=question, value=3)
    _refused(lambda: Answer.objects.create(response=response, question=question, value=4))
    assert Answer.objects.count() == 1


def test_second_response_for_the_same_cycle_is_refused(cycle, alice):
    Response.objects.create(cycle=cycle, respondent=alice)
    _refused(lambda: Response.objects.create(cycle=cycle, respondent=alice))


def test_submitted_response_without_scores_is_refused(cycle, alice):
    _refused(lambda: Response.objects.create(cycle=cycle, respondent=alice, status="submitted"))


def test_draft_with_scores_is_refused(cycle, alice):
    _refused(
        lambda: Response.objects.create(
            cycle=cycle, respondent=alice, leadership_score=50, management_score=50, balance=0
        )
    )


def test_minimum_group_size_below_three_is_refused(questionnaire):
    _refused(lambda: make_cycle(questionnaire, k=2))
    assert make_cycle(questionnaire, k=3).min_group_size == 3


def test_cycle_must_close_after_it_opens(questionnaire):
    cycle = make_cycle(questionnaire)
    _refused(
        lambda: Cycle.objects.create(
            name="Backwards",
            questionnaire=questionnaire,
            opens_at=cycle.closes_at,
            closes_at=cycle.opens_at,
        )
    )


def test_default_minimum_group_size_is_five(questionnaire):
    assert make_cycle(questionnaire).min_group_size == 5


def test_scale_outside_three_to_seven_points_is_refused(db):
    _refused(lambda: Questionnaire.objects.create(name="Tiny", scale_points=2))
    _refused(lambda: Questionnaire.objects.create(name="Huge", scale_points=11))


def test_person_is_in_a_team_only_once(alice, alpha):
    _refused(lambda: Membership.objects.create(user=alice, team=alpha, role="manager"))


def test_unknown_role_is_refused(alpha):
    user = make_user("eve")
    _refused(lambda: Membership.objects.create(user=user, team=alpha, role="boss"))


def test_dimension_score_outside_0_to_100_is_refused(cycle, alice):
    response = Response.objects.create(cycle=cycle, respondent=alice)
    dimension = cycle.questionnaire.dimensions.first()
    _refused(
        lambda: DimensionScore.objects.create(response=response, dimension=dimension, score=101)
    )


def test_a_person_can_be_in_several_teams(alice, beta):
    Membership.objects.create(user=alice, team=beta, role="manager")
    assert set(alice.teams.values_list("name", flat=True)) == {"Alpha", "Beta"}
