"""The load test's data: who takes part (seeded through the services), and the check of
what was stored. Needs Django set up; imports no Locust.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from assessments import demo, roles, services
from assessments.models import (
    Answer,
    Cycle,
    DimensionScore,
    Membership,
    Question,
    Questionnaire,
    Response,
    Team,
)
from perf.common import split_into_teams
from perf.traffic import Plan

PREFIX = "load-"


def team_sizes(employees: int, *, team_size: int, k: int) -> list[int]:
    """Teams of ``team_size`` (at least k); a remainder below k joins the last team."""
    return split_into_teams(employees, lambda: max(team_size, k), smallest=k)


@transaction.atomic
def seed(
    *,
    questionnaire: Questionnaire,
    employees: int,
    team_size: int,
    k: int = 5,
    password: str,
    seed_value: int = 2026,
    manager_pause: float = 0.2,
) -> Plan:
    """Create the people, teams and cycles of a run: one shared password hash (hashing is
    deliberately slow), and a closed round everyone submitted, recorded by the services."""
    User = get_user_model()
    rng = random.Random(seed_value)
    sizes = team_sizes(employees, team_size=team_size, k=k)
    hashed = make_password(password)
    now = timezone.now()
    employee_names = [f"{PREFIX}e{i:03d}" for i in range(employees)]
    manager_names = [f"{PREFIX}m{j:02d}" for j in range(len(sizes))]
    staff, probe = f"{PREFIX}hr", f"{PREFIX}probe"
    User.objects.bulk_create(
        User(
            username=name,
            password=hashed,
            first_name=name,
            email=f"{name}@example.com",
            is_staff=name == staff,
        )
        for name in [*employee_names, *manager_names, staff, probe]
    )
    users = {u.username: u for u in User.objects.filter(username__startswith=PREFIX)}
    roles.ensure_hr_group()
    users[staff].groups.add(Group.objects.get(name=roles.HR_GROUP))

    teams = Team.objects.bulk_create(
        [Team(name=f"Load team {j + 1:02d}") for j in range(len(sizes))]
    )
    memberships, start = [], 0
    for team, size, manager in zip(teams, sizes, manager_names, strict=True):
        memberships.append(Membership(user=users[manager], team=team, role="manager"))
        memberships += [
            Membership(user=users[name], team=team, role="member")
            for name in employee_names[start : start + size]
        ]
        start += size
    Membership.objects.bulk_create(memberships)

    current = Cycle.objects.create(
        name="Load test round",
        questionnaire=questionnaire,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        min_group_size=k,
    )
    # A closed round where everyone submitted, so the dashboards have a trend to draw.
    past = Cycle.objects.create(
        name="Load test previous round",
        questionnaire=questionnaire,
        opens_at=now - timedelta(days=200),
        closes_at=now - timedelta(days=170),
        min_group_size=k,
    )
    questions = services.cycle_questions(past)
    submitted_at = past.opens_at + timedelta(days=3)
    # Answers from the demo's latent-trait model, so that its dimensions measure something.
    dims = demo.dimensions_of(questions)
    for name in employee_names:
        person = demo.new_person(dims, rng)
        services.record_response(
            user=users[name],
            cycle=past,
            answers=demo.answers_for(
                person,
                questions,
                rng,
                scale_min=questionnaire.scale_min,
                scale_max=questionnaire.scale_max,
            ),
            started_at=submitted_at - timedelta(hours=1),
            submitted_at=submitted_at,
            questions=questions,
        )
    return Plan(
        cycle_pk=current.pk,
        password=password,
        employees=employee_names,
        managers=[(name, team.pk) for name, team in zip(manager_names, teams, strict=True)],
        staff=staff,
        probe=probe,
        team_pks=[team.pk for team in teams],
        scale_points=questionnaire.scale_points,
        seed=seed_value,
        manager_pause=manager_pause,
    )


@dataclass
class DataCheck:
    checked_users: int
    problems: list[str]
    responses: int
    submitted: int
    drafts: int
    half_written: list[int]

    @property
    def passed(self) -> bool:
        return not self.problems and not self.half_written


def half_written_responses() -> tuple[list[int], int, int]:
    """Ids of responses that are neither a clean draft nor a complete submission (SQL).

    A draft has at most one answer per active question and no scores; a submitted response
    has every answer, one score per dimension and its axis scores. Also returns the
    number of submitted and draft responses.
    """
    r, c = Response._meta.db_table, Cycle._meta.db_table
    a, s, q = Answer._meta.db_table, DimensionScore._meta.db_table, Question._meta.db_table
    sql = f"""
        SELECT r.id, r.status,
               r.leadership_score IS NULL OR r.management_score IS NULL OR r.balance IS NULL
                   OR r.submitted_at IS NULL AS missing_scores,
               r.leadership_score IS NULL AND r.management_score IS NULL AND r.balance IS NULL
                   AND r.submitted_at IS NULL AS no_scores,
               (SELECT COUNT(*) FROM {a} a WHERE a.response_id = r.id) AS answers,
               (SELECT COUNT(*) FROM {s} s WHERE s.response_id = r.id) AS scores,
               (SELECT COUNT(*) FROM {q} q
                 WHERE q.questionnaire_id = c.questionnaire_id AND q.is_active = %s) AS questions,
               (SELECT COUNT(DISTINCT q.dimension_id) FROM {q} q
                 WHERE q.questionnaire_id = c.questionnaire_id AND q.is_active = %s) AS dimensions
          FROM {r} r JOIN {c} c ON c.id = r.cycle_id
         ORDER BY r.id
    """
    bad, submitted, drafts = [], 0, 0
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, True])
        for pk, status, missing, none, answers, scores, questions, dimensions in cursor:
            if status == Response.Status.SUBMITTED:
                submitted += 1
                ok = not missing and answers == questions and scores == dimensions
            else:
                drafts += 1
                ok = status == Response.Status.DRAFT and none and scores == 0
                ok = ok and answers <= questions
            if not ok:
                bad.append(pk)
    return bad, submitted, drafts


def verify_data(*, cycle_pk: int, sent: dict[str, dict[int, int]]) -> DataCheck:
    """Every user in ``sent`` has one submitted response with exactly those answers and
    the scores the services give them; and no response in the database is half-written."""
    cycle = Cycle.objects.select_related("questionnaire").get(pk=cycle_pk)
    questions = services.cycle_questions(cycle)
    question_ids = {q.pk for q in questions}
    responses: dict[str, list[Response]] = {}
    for response in Response.objects.filter(
        cycle=cycle, respondent__username__in=list(sent)
    ).select_related("respondent"):
        responses.setdefault(response.respondent.username, []).append(response)
    pks = [r.pk for rs in responses.values() for r in rs]
    answers: dict[int, dict[int, int]] = {}
    counts: Counter = Counter()
    for response_id, question_id, value in Answer.objects.filter(response_id__in=pks).values_list(
        "response_id", "question_id", "value"
    ):
        answers.setdefault(response_id, {})[question_id] = value
        counts[response_id] += 1
    scores: dict[int, dict[str, float]] = {}
    for response_id, dimension_id, score in DimensionScore.objects.filter(
        response_id__in=pks
    ).values_list("response_id", "dimension_id", "score"):
        scores.setdefault(response_id, {})[str(dimension_id)] = score

    problems = []
    for username, given in sorted(sent.items()):
        mine = responses.get(username, [])
        if len(mine) != 1:
            problems.append(f"{username}: {len(mine)} responses in the cycle, expected 1")
            continue
        response = mine[0]
        stored = answers.get(response.pk, {})
        if response.status != Response.Status.SUBMITTED:
            problems.append(f"{username}: response is {response.status}, not submitted")
            continue
        if set(stored) != question_ids or counts[response.pk] != len(question_ids):
            problems.append(
                f"{username}: {counts[response.pk]} answers for {len(question_ids)} questions"
            )
            continue
        if stored != given:
            wrong = sum(stored[q] != v for q, v in given.items() if q in stored)
            problems.append(f"{username}: {wrong} stored answers differ from those sent")
            continue
        expected = services.score_answers(questions, stored, questionnaire=cycle.questionnaire)
        got = scores.get(response.pk, {})
        if set(got) != set(expected.dimension_scores) or any(
            abs(got[d] - v) > 1e-6 for d, v in expected.dimension_scores.items()
        ):
            problems.append(f"{username}: dimension scores missing or wrong ({len(got)} rows)")
        elif (
            abs(response.leadership_score - expected.leadership) > 1e-6
            or abs(response.management_score - expected.management) > 1e-6
            or abs(response.balance - expected.balance) > 1e-6
        ):
            problems.append(f"{username}: stored axis scores differ from the answers")
    half, submitted, drafts = half_written_responses()
    return DataCheck(
        checked_users=len(sent),
        problems=problems,
        responses=submitted + drafts,
        submitted=submitted,
        drafts=drafts,
        half_written=half,
    )


def responses_in(cycle_pk: int) -> int:
    """How many people have a response (a draft at least) in the cycle."""
    return Response.objects.filter(cycle_id=cycle_pk).count()
