"""Shared test data: a small questionnaire and a fixed cast.

- alice: member of Alpha (the employee)
- bob: manager of Alpha
- charlie: outsider, member of Beta only
- dora: manager of Beta
- staff: HR administrator
"""

import math
import os
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from assessments import services
from assessments.models import (
    Cycle,
    Dimension,
    Membership,
    Question,
    Questionnaire,
    ScaleLabel,
    Team,
)

# Tests of concurrent transactions need PostgreSQL; on SQLite they are not collected.
collect_ignore = (
    [] if os.environ.get("DATABASE_URL", "").startswith("postgres") else ["test_concurrency.py"]
)

DEFAULT_LABELS = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_questionnaire(*, per_dimension: int = 2, dimensions: int = 2, name: str = "Test"):
    """A questionnaire with ``dimensions`` per axis and ``per_dimension`` items each.

    The last item of every dimension is reverse-keyed.
    """
    questionnaire = Questionnaire.objects.create(name=name, scale_points=5)
    ScaleLabel.objects.bulk_create(
        ScaleLabel(questionnaire=questionnaire, value=i, label=label)
        for i, label in enumerate(DEFAULT_LABELS, start=1)
    )
    order = 0
    for axis in ("leadership", "management"):
        for d in range(dimensions):
            dim = Dimension.objects.create(
                questionnaire=questionnaire,
                code=f"{axis[:4]}{d}",
                name=f"{axis.title()} {d}",
                axis=axis,
                description=f"About {axis} {d}.",
                development_tip=f"Practise {axis} {d}.",
                order=order,
            )
            for i in range(per_dimension):
                order += 1
                Question.objects.create(
                    questionnaire=questionnaire,
                    dimension=dim,
                    text=f"I do {axis} thing {d}.{i}",
                    order=order,
                    reverse_keyed=(i == per_dimension - 1),
                )
    return questionnaire


def make_cycle(questionnaire, *, name="Current", open_=True, k=5, days_ago=5):
    now = timezone.now()
    if open_:
        opens, closes = now - timedelta(days=days_ago), now + timedelta(days=20)
    else:
        opens, closes = now - timedelta(days=days_ago + 30), now - timedelta(days=days_ago)
    return Cycle.objects.create(
        name=name, questionnaire=questionnaire, opens_at=opens, closes_at=closes, min_group_size=k
    )


def make_user(username, **extra):
    return get_user_model().objects.create_user(
        username=username, password="pw-" + username, email=f"{username}@example.com", **extra
    )


@pytest.fixture
def questionnaire(db):
    return make_questionnaire()


@pytest.fixture
def cycle(questionnaire):
    return make_cycle(questionnaire)


@pytest.fixture
def alpha(db):
    return Team.objects.create(name="Alpha")


@pytest.fixture
def beta(db):
    return Team.objects.create(name="Beta")


@pytest.fixture
def alice(alpha):
    user = make_user("alice", first_name="Alice")
    Membership.objects.create(user=user, team=alpha, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def bob(alpha):
    user = make_user("bob", first_name="Bob")
    Membership.objects.create(user=user, team=alpha, role=Membership.Role.MANAGER)
    return user


@pytest.fixture
def charlie(beta):
    user = make_user("charlie", first_name="Charlie")
    Membership.objects.create(user=user, team=beta, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def dora(beta):
    user = make_user("dora", first_name="Dora")
    Membership.objects.create(user=user, team=beta, role=Membership.Role.MANAGER)
    return user


@pytest.fixture
def staff(db):
    return make_user("hr", is_staff=True, is_superuser=True)


def all_answers(cycle, value=4):
    """A full set of answers for the cycle's questionnaire: {question_id: value}."""
    return {q.pk: value for q in cycle.questionnaire.questions.filter(is_active=True)}


def groups_by_membership(sets: dict) -> list[set]:
    """People grouped by exactly which of the named sets contain them (a brute force,
    written apart from assessments.privacy so that the tests check it independently)."""
    where: dict = {}
    for name, people in sets.items():
        for person in people:
            where.setdefault(person, set()).add(name)
    groups: dict = {}
    for person, names in where.items():
        groups.setdefault(frozenset(names), set()).add(person)
    return list(groups.values())


def assert_no_group_below_k(sets: dict, *, viewers: set, k: int) -> None:
    """Every membership group holds k people, and k besides one viewer in it."""
    for people in groups_by_membership(sets):
        assert len(people) - (1 if people & viewers else 0) >= k, sorted(people)


# The levels of five members of a team, one tuple per person, one level per dimension
# (leadership 0, leadership 1, management 0, management 1).
TEAM_LEVELS = [(5, 5, 1, 1), (4, 4, 2, 2), (3, 3, 3, 3), (3, 3, 2, 4), (1, 3, 5, 5)]


def submit_levels(user, cycle, levels):
    """A submitted response whose dimensions (in order) key to ``levels`` (1-5 each).

    A half level (say 2.5) answers the dimension's two items one step apart, so the
    dimension scores (level - 1) * 25 all the same (37.5 for 2.5). Works for a closed
    cycle too: ``services.record_response`` checks the answers as a submission does and
    records the team snapshot, but takes any cycle.
    """
    dimensions = list(cycle.questionnaire.dimensions.order_by("order"))
    questions = services.cycle_questions(cycle)
    level_of = dict(zip([d.pk for d in dimensions], levels, strict=True))
    given = {
        q.pk: (
            6 - math.floor(level_of[q.dimension_id])
            if q.reverse_keyed
            else math.ceil(level_of[q.dimension_id])
        )
        for q in questions
    }
    return services.record_response(
        user=user,
        cycle=cycle,
        answers=given,
        questions=questions,
        started_at=cycle.opens_at,
        submitted_at=min(timezone.now(), cycle.closes_at),
    )


def start_draft(user, cycle):
    """A response in progress with one answer (as ``services.save_draft`` leaves it)."""
    question = services.cycle_questions(cycle)[0]
    return services.record_response(
        user=user, cycle=cycle, answers={question.pk: 5}, started_at=cycle.opens_at
    )


def add_members(team, count, prefix, role=Membership.Role.MEMBER):
    users = [make_user(f"{prefix}{i}") for i in range(count)]
    Membership.objects.bulk_create(Membership(user=u, team=team, role=role) for u in users)
    return users
