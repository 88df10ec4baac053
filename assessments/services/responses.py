"""A person's response: drafts, submission, seeding and erasure, each in one transaction.

Every way a response is written goes through here, so the same checks apply to all of
them: the cycle is ready (statements on both axes), answers are known questions within
the scale, and a submitted response is scored once, by ``score_answers``, and checked
once for signs of careless answering (``careless_indicators``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from .. import carelessness, scoring
from ..models import (
    Answer,
    Cycle,
    DimensionScore,
    Membership,
    Question,
    Questionnaire,
    Response,
    TeamSnapshot,
    taken_by,
)


class AssessmentError(Exception):
    """A write that was refused; the message is safe to show to the person."""


class CycleClosed(AssessmentError):
    pass


class AlreadySubmitted(AssessmentError):
    pass


class NotReady(AssessmentError):
    """The cycle's questionnaire cannot be scored (no items, or one axis has none)."""


class InvalidAnswers(AssessmentError):
    """Tampered input: an unknown question or a value outside the scale."""


@dataclass(frozen=True)
class SubmitOutcome:
    response: Response
    submitted: bool
    missing: list[Question] = field(default_factory=list)


def cycle_questions(cycle: Cycle) -> list[Question]:
    """The active questions of a cycle, in the stable order they are shown in."""
    return list(
        Question.objects.active()
        .filter(questionnaire_id=cycle.questionnaire_id)
        .select_related("dimension")
        .order_by("dimension__order", "dimension_id", "order", "id")
    )


_CYCLE_FIELDS = (
    "id",
    "name",
    "questionnaire_id",
    "opens_at",
    "closes_at",
    "min_group_size",
    "show_while_open",
    "publish_checked",
)


def started_cycle_with_questions(
    cycle_pk: int, *, user: AbstractBaseUser
) -> tuple[Cycle, list[Question]] | None:
    """A cycle that has opened and that the person takes part in, with its active
    questions, in one query; None if unknown (or not theirs).

    The cycle rides along on its questions (a join), which keeps a submission at a fixed,
    small number of statements. Without questions it is read on its own.
    """
    now = timezone.now()
    theirs = taken_by(user, cycle=cycle_pk)
    questions = list(
        Question.objects.active()
        .filter(questionnaire__cycles__pk=cycle_pk, questionnaire__cycles__opens_at__lte=now)
        .filter(theirs)
        .select_related("dimension", "questionnaire")
        .annotate(**{"cycle_" + f: F("questionnaire__cycles__" + f) for f in _CYCLE_FIELDS})
        .order_by("dimension__order", "dimension_id", "order", "id")
    )
    if not questions:
        cycle = (
            Cycle.objects.started(now).select_related("questionnaire").filter(theirs, pk=cycle_pk)
        )
        found = cycle.first()
        return None if found is None else (found, [])
    first = questions[0]
    cycle = Cycle(**{f: getattr(first, "cycle_" + f) for f in _CYCLE_FIELDS})
    cycle.questionnaire = first.questionnaire
    return cycle, questions


def _validate(
    answers: Mapping[int, int], *, questions: list[Question], cycle: Cycle
) -> dict[int, int]:
    known = {q.pk for q in questions}
    unknown = set(answers) - known
    if any(not 0 < q < 2**63 for q in unknown):
        raise InvalidAnswers("The form contained a question that is not in this assessment.")
    if unknown:
        # An item switched off while the person had the page open: drop its answer
        # quietly and keep the rest. Anything else is not part of this assessment.
        retired = set(
            Question.objects.filter(
                pk__in=unknown, questionnaire_id=cycle.questionnaire_id, is_active=False
            ).values_list("pk", flat=True)
        )
        if retired != unknown:
            raise InvalidAnswers("The form contained a question that is not in this assessment.")
        answers = {q: v for q, v in answers.items() if q in known}
    scale_min = cycle.questionnaire.scale_min
    scale_max = cycle.questionnaire.scale_max
    clean: dict[int, int] = {}
    for question_id, value in answers.items():
        if question_id not in known:
            raise InvalidAnswers("The form contained a question that is not in this assessment.")
        if not isinstance(value, int) or not scale_min <= value <= scale_max:
            raise InvalidAnswers(f"Answers must be between {scale_min} and {scale_max}.")
        clean[question_id] = value
    return clean


def _locked_response(*, user: AbstractBaseUser, cycle: Cycle) -> Response:
    """The person's response row for the cycle, created if needed, locked until commit.

    One INSERT ... ON CONFLICT DO UPDATE: it creates the draft or, if the row exists,
    takes its lock (a concurrent request for the same person waits here). Whether the
    row was already submitted is checked by the guarded UPDATE that ends every write.
    The statement returns the stored ``started_at`` (see the field), so an existing
    draft keeps the time its first answers were saved.
    """
    now = timezone.now()
    (response,) = Response.objects.bulk_create(
        [Response(cycle=cycle, respondent=user, started_at=now, updated_at=now)],
        update_conflicts=True,
        unique_fields=["cycle", "respondent"],
        update_fields=["updated_at"],
    )
    response.cycle = cycle
    return response


def _still_draft(response: Response, **changes) -> None:
    """Apply ``changes`` only if the response is still a draft; otherwise refuse.

    Raising rolls the whole transaction back, answers included.
    """
    updated = Response.objects.filter(pk=response.pk, status=Response.Status.DRAFT).update(
        updated_at=timezone.now(), **changes
    )
    if not updated:
        raise AlreadySubmitted("You have already submitted this assessment; it can't be changed.")


def _store_answers(response: Response, answers: Mapping[int, int]) -> None:
    if not answers:
        return
    Answer.objects.bulk_create(
        [Answer(response=response, question_id=q, value=v) for q, v in answers.items()],
        update_conflicts=True,
        unique_fields=["response", "question"],
        update_fields=["value"],
    )


def _closed_message(cycle: Cycle) -> str:
    if cycle.opens_at > timezone.now():
        return f"“{cycle.name}” has not opened yet."
    closed = date_format(timezone.localtime(cycle.closes_at), "j F Y")
    return f"“{cycle.name}” closed on {closed}; answers can no longer be given."


def _check_ready(cycle: Cycle, questions: list[Question]) -> None:
    if {q.dimension.axis for q in questions} != {scoring.LEADERSHIP, scoring.MANAGEMENT}:
        raise NotReady(
            f"“{cycle.name}” is not ready: its questionnaire needs statements on both "
            "leadership and management. Please tell HR."
        )


def _write_answers(
    *,
    user: AbstractBaseUser,
    cycle: Cycle,
    answers: Mapping[int, int],
    questions: list[Question] | None,
) -> tuple[Response, dict[int, int], list[Question]]:
    """Check the cycle and the answers, then store them on the locked response."""
    if not cycle.is_open():
        raise CycleClosed(_closed_message(cycle))
    questions = cycle_questions(cycle) if questions is None else questions
    _check_ready(cycle, questions)
    clean = _validate(answers, questions=questions, cycle=cycle)
    response = _locked_response(user=user, cycle=cycle)
    _store_answers(response, clean)
    return response, clean, questions


@transaction.atomic
def save_draft(
    *,
    user: AbstractBaseUser,
    cycle: Cycle,
    answers: Mapping[int, int],
    questions: list[Question] | None = None,
) -> Response:
    """Keep the given answers on the person's draft response.

    ``questions`` is the cycle's question list when the caller has it already.
    """
    response, _, _ = _write_answers(user=user, cycle=cycle, answers=answers, questions=questions)
    _still_draft(response)
    return response


@transaction.atomic
def submit_response(
    *,
    user: AbstractBaseUser,
    cycle: Cycle,
    answers: Mapping[int, int],
    questions: list[Question] | None = None,
) -> SubmitOutcome:
    """Keep the given answers and, if every question is answered, score and lock them.

    With questions missing, the answers given are still kept as a draft.
    """
    response, clean, questions = _write_answers(
        user=user, cycle=cycle, answers=answers, questions=questions
    )

    if len(clean) == len(questions):
        given = clean  # the form carried every answer: no need to read them back
    else:
        given = dict(response.answers.values_list("question_id", "value"))
    missing = [q for q in questions if q.pk not in given]
    if missing:
        _still_draft(response)
        return SubmitOutcome(response=response, submitted=False, missing=missing)

    _lock_with_scores(response, questions=questions, given=given)
    return SubmitOutcome(response=response, submitted=True)


@transaction.atomic
def record_response(
    *,
    user: AbstractBaseUser,
    cycle: Cycle,
    answers: Mapping[int, int],
    started_at: datetime,
    submitted_at: datetime | None = None,
    questions: list[Question] | None = None,
) -> Response:
    """Record a response given at another time: demo data, imports and benchmarks.

    The same checks as a person's own answers (a ready questionnaire, known questions,
    values on the scale), and the same scoring, but the cycle may be closed and the
    times are the caller's. With ``submitted_at`` every question must be answered and
    the response is submitted; without, it stays a draft.
    """
    questions = cycle_questions(cycle) if questions is None else questions
    _check_ready(cycle, questions)
    clean = _validate(answers, questions=questions, cycle=cycle)
    if submitted_at is not None and len(clean) != len(questions):
        raise InvalidAnswers("A submitted response needs an answer to every statement.")
    response = Response.objects.create(cycle=cycle, respondent=user, started_at=started_at)
    _store_answers(response, clean)
    if submitted_at is not None:
        _lock_with_scores(response, questions=questions, given=clean, submitted_at=submitted_at)
    return response


def _items(questions: list[Question], given: Mapping[int, int]) -> list[scoring.Item]:
    """The answers as scoring items, in the order the questionnaire shows them."""
    return [
        scoring.Item(
            dimension=str(q.dimension_id), value=given[q.pk], reverse_keyed=q.reverse_keyed
        )
        for q in questions
    ]


def score_answers(
    questions: list[Question], given: Mapping[int, int], *, questionnaire: Questionnaire
) -> scoring.Result:
    """The scores of a complete set of answers: the one place answers become scores."""
    return scoring.score(
        _items(questions, given),
        axis_of={str(q.dimension_id): q.dimension.axis for q in questions},
        scale_min=questionnaire.scale_min,
        scale_max=questionnaire.scale_max,
    )


def careless_indicators(
    questions: list[Question],
    given: Mapping[int, int],
    *,
    questionnaire: Questionnaire,
    started_at: datetime,
    submitted_at: datetime,
) -> carelessness.Indicators:
    """The careless-response indicators of a complete set of answers (for HR only)."""
    return carelessness.indicators(
        _items(questions, given),
        scale_min=questionnaire.scale_min,
        scale_max=questionnaire.scale_max,
        seconds=(submitted_at - started_at).total_seconds(),
    )


def _lock_with_scores(
    response: Response,
    *,
    questions: list[Question],
    given: Mapping[int, int],
    submitted_at: datetime | None = None,
) -> scoring.Result:
    """Score a complete response, store its scores and indicators and mark it submitted.

    Call inside a transaction, with every question in ``questions`` answered in ``given``
    and ``questions`` in the order they are shown (runs of answers follow that order).
    """
    questionnaire = response.cycle.questionnaire
    submitted_at = submitted_at or timezone.now()
    result = score_answers(questions, given, questionnaire=questionnaire)
    careless = careless_indicators(
        questions,
        given,
        questionnaire=questionnaire,
        started_at=response.started_at,
        submitted_at=submitted_at,
    )
    fields = {
        "status": Response.Status.SUBMITTED,
        "submitted_at": submitted_at,
        "leadership_score": result.leadership,
        "management_score": result.management,
        "balance": result.balance,
        "profile": result.profile.value,
        # In the same guarded UPDATE: the indicators cost the submission no query.
        "longest_run": careless.longest_run,
        "seconds_to_submit": careless.seconds_to_submit,
        "reverse_inconsistency": careless.reverse_inconsistency,
        "flags": carelessness.stored_flags(careless.flags),
    }
    _still_draft(response, **fields)
    for name, value in fields.items():
        setattr(response, name, value)
    DimensionScore.objects.bulk_create(
        [
            DimensionScore(response=response, dimension_id=int(dim), score=value)
            for dim, value in result.dimension_scores.items()
        ]
    )
    _snapshot_teams(response)
    return result


_SNAPSHOT_SQL = """
INSERT INTO {snapshot} (response_id, team_id, cycle_id)
SELECT %s, m.team_id, %s FROM {membership} m WHERE m.user_id = %s AND m.role = %s
"""


def _snapshot_teams(response: Response) -> None:
    """Record the teams the respondent is a member of now, in one statement.

    The cycle's team figures use this snapshot, whatever happens to the teams later.
    """
    sql = _SNAPSHOT_SQL.format(
        snapshot=TeamSnapshot._meta.db_table, membership=Membership._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                response.pk,
                response.cycle_id,
                response.respondent_id,
                Membership.Role.MEMBER,
            ],
        )


@transaction.atomic
def delete_responses(responses: QuerySet[Response]) -> int:
    """Erase responses (answers, scores and team snapshot cascade); returns how many.

    Publications already made stay as they are: they are aggregates over at least k
    people, and taking one person out of them would reveal that person's scores.
    """
    count = responses.count()
    responses.delete()
    return count


def delete_responses_of(*, user: AbstractBaseUser) -> int:
    """Erase every response of a person; returns how many."""
    return delete_responses(Response.objects.filter(respondent=user))
