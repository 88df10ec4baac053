"""Writes that touch several rows, each in one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import Cast, Floor, Least
from django.utils import timezone
from django.utils.formats import date_format

from . import privacy, roles, scoring
from .models import (
    Answer,
    Cycle,
    Dimension,
    DimensionScore,
    Membership,
    Publication,
    PublishedGroup,
    Question,
    Response,
    Team,
    TeamSnapshot,
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


def started_cycle_with_questions(cycle_pk: int) -> tuple[Cycle, list[Question]] | None:
    """A cycle that has opened, with its active questions, in one query; None if unknown.

    The cycle rides along on its questions (a join), which keeps a submission at a fixed,
    small number of statements. Without questions it is read on its own.
    """
    now = timezone.now()
    questions = list(
        Question.objects.active()
        .filter(questionnaire__cycles__pk=cycle_pk, questionnaire__cycles__opens_at__lte=now)
        .select_related("dimension", "questionnaire")
        .annotate(**{"cycle_" + f: F("questionnaire__cycles__" + f) for f in _CYCLE_FIELDS})
        .order_by("dimension__order", "dimension_id", "order", "id")
    )
    if not questions:
        cycle = Cycle.objects.started(now).select_related("questionnaire").filter(pk=cycle_pk)
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
    if {q.dimension.axis for q in questions} != {scoring.LEADERSHIP, scoring.MANAGEMENT}:
        raise NotReady(
            f"“{cycle.name}” is not ready: its questionnaire needs statements on both "
            "leadership and management. Please tell HR."
        )
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

    lock_with_scores(response, questions=questions, given=given)
    return SubmitOutcome(response=response, submitted=True)


def lock_with_scores(
    response: Response,
    *,
    questions: list[Question],
    given: Mapping[int, int],
    submitted_at=None,
) -> scoring.Result:
    """Score a complete response, store its scores and mark it submitted.

    Call inside a transaction, with every question in ``questions`` answered in ``given``.
    """
    questionnaire = response.cycle.questionnaire
    result = scoring.score(
        [
            scoring.Item(
                dimension=str(q.dimension_id), value=given[q.pk], reverse_keyed=q.reverse_keyed
            )
            for q in questions
        ],
        axis_of={str(q.dimension_id): q.dimension.axis for q in questions},
        scale_min=questionnaire.scale_min,
        scale_max=questionnaire.scale_max,
    )
    fields = {
        "status": Response.Status.SUBMITTED,
        "submitted_at": submitted_at or timezone.now(),
        "leadership_score": result.leadership,
        "management_score": result.management,
        "balance": result.balance,
        "profile": result.profile.value,
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


# --- publishing ------------------------------------------------------------------------------

# The quadrant histogram has BINS x BINS cells of 100 / BINS points each: coarse on
# purpose, so a cell is a region of the chart, never a point that could be one person.
BINS = 5
# Left-out responses given back per UPDATE statement (keeps every statement's list short).
MARK_CHUNK = 10_000

AXIS_FIELDS = (
    ("leadership", "leadership_score"),
    ("management", "management_score"),
    ("balance", "balance"),
)


def _bin(field: str):
    width = 100 / BINS
    # A score of exactly 100 belongs to the top bin, not to a bin of its own.
    return Least(Cast(Floor(F(field) / width), IntegerField()), Value(BINS - 1))


def _sums(prefix: str = "") -> dict:
    """Count, sums and sums of squares of the axis scores, as aggregate() keywords."""
    out = {"n": Count("pk")}
    for name, column in AXIS_FIELDS:
        out[name + "_sum"] = Sum(prefix + column)
        out[name + "_sumsq"] = Sum(F(prefix + column) * F(prefix + column))
    return out


def viewer_ids() -> set[int]:
    """People who can see figures: managers of any team, HR and administrators.

    Staff count too, though staff alone see no figures: any of them may be given the
    permission later, and erring this way only ever leaves more people out.
    """
    managers = Membership.objects.filter(role=Membership.Role.MANAGER).values_list(
        "user_id", flat=True
    )
    staff = get_user_model().objects.filter(is_staff=True).values_list("pk", flat=True)
    return set(managers) | set(staff) | roles.organisation_viewer_ids()


def publication_due(cycle: Cycle, *, now=None) -> bool:
    """Whether ``publish_cycle`` might publish now (without reading anyone's rows)."""
    now = now or timezone.now()
    return now >= cycle.closes_at or (cycle.show_while_open and cycle.opens_at <= now)


def publish_cycle(*, cycle: Cycle, now=None) -> Publication | None:
    """Publish a cycle's team and organisation figures if it is due; the new publication.

    After the cycle closes: once, with everyone who submitted (the final publication).
    While it is open, only with "show figures while open": a step with the people who
    submitted since the last one, counted in groups of at least k by
    ``privacy.admit``. Returns None when there is nothing to publish. Idempotent, and
    safe when several requests try at once: the cycle row is locked, and the database
    allows one publication per cycle and step, and one final one.

    The step first claims every waiting response in one UPDATE (which also locks them,
    so nothing can slip in between reading and counting), then gives back the ones
    privacy leaves out.
    """
    now = now or timezone.now()
    try:
        return _publish(cycle_pk=cycle.pk, now=now)
    except IntegrityError:
        # Another request published this step first (where the database has no row
        # locks to make us wait for it): its publication stands.
        return None


def _publish(*, cycle_pk: int, now) -> Publication | None:
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle_pk)
        if not publication_due(cycle, now=now):
            return None
        latest = cycle.publications.order_by("-step").first()
        if latest is not None and latest.is_final:
            return None
        final = now >= cycle.closes_at
        step = latest.step + 1 if latest else 1
        waiting = Response.objects.filter(
            cycle=cycle, status=Response.Status.SUBMITTED, published_step__isnull=True
        )
        claimed = waiting.update(published_step=step)
        if not final and claimed < cycle.k:
            _give_back(cycle, step=step)
            return None
        candidates = _candidates(cycle, step=step, viewers=viewer_ids())
        previous = {g.team_id: g for g in latest.groups.all()} if latest else {}
        admission = privacy.admit(candidates, k=cycle.k)
        if not final and not admission.admitted:
            _give_back(cycle, step=step)
            return None
        left_out = sorted(admission.left_out)
        for start in range(0, len(left_out), MARK_CHUNK):
            Response.objects.filter(pk__in=left_out[start : start + MARK_CHUNK]).update(
                published_step=None
            )
        if connection.vendor == "postgresql" and len(admission.admitted) > 10_000:
            # The planner's statistics still say nobody is counted at this step; without
            # fresh ones it picks nested loops over a million rows for the aggregates.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Response._meta.db_table}")
        teams = sorted(admission.teams)
        teams_at = {p.step: set(p.teams) for p in cycle.publications.all()} | {step: set(teams)}
        groups = _published_groups(
            cycle, step=step, teams=teams, teams_at=teams_at, previous=previous, now=now
        )
        cycle.publications.filter(is_latest=True).update(is_latest=False)
        publication = Publication.objects.create(
            cycle=cycle,
            step=step,
            is_final=final,
            published_at=now,
            k=cycle.k,
            submitted=groups[None].submitted,
            in_teams=TeamSnapshot.objects.filter(cycle=cycle)
            .values("response_id")
            .distinct()
            .count(),
            counted=groups[None].n,
            teams=teams,
        )
        for group in groups.values():
            group.publication = publication
        PublishedGroup.objects.bulk_create(groups.values())
        Cycle.objects.filter(pk=cycle.pk).update(
            publish_checked=waiting_fingerprint(len(left_out), sum(left_out))
        )
    return publication


def waiting_fingerprint(count: int, pk_sum: int) -> int:
    """Tells one set of waiting responses from another (their number and their ids).

    A live cycle retries publishing only when this changes: the same number of waiting
    responses is not enough, since one may have been erased and another submitted.
    """
    return count * 2**40 + pk_sum % 2**40


def _give_back(cycle: Cycle, *, step: int) -> None:
    """A live step that counts nobody: unclaim the responses, remember which they were."""
    claimed = Response.objects.filter(cycle=cycle, published_step=step)
    row = claimed.aggregate(n=Count("pk"), s=Sum("pk"))
    claimed.update(published_step=None)
    fingerprint = waiting_fingerprint(row["n"], row["s"] or 0)
    Cycle.objects.filter(pk=cycle.pk).update(publish_checked=fingerprint)


def _candidates(cycle: Cycle, *, step: int, viewers: set[int]) -> list[privacy.Candidate]:
    """The responses claimed by this step, with their teams at submission."""
    teams: dict[int, set[int]] = {}
    for response_id, team_id in (
        TeamSnapshot.objects.filter(cycle=cycle, response__published_step=step)
        .order_by()
        .values_list("response_id", "team_id")
    ):
        teams.setdefault(response_id, set()).add(team_id)
    return [
        privacy.Candidate(key=pk, teams=frozenset(teams.get(pk, ())), viewer=respondent in viewers)
        for pk, respondent in Response.objects.filter(cycle=cycle, published_step=step)
        .order_by()
        .values_list("pk", "respondent_id")
    ]


def _published_groups(
    cycle: Cycle,
    *,
    step: int,
    teams: list[int],
    teams_at: dict[int, set[int]],
    previous: dict[int | None, PublishedGroup],
    now,
) -> dict[int | None, PublishedGroup]:
    """The cumulative groups of a step: the previous step's plus this step's newcomers.

    Newcomers are aggregated in the database (grouped queries, a few rows back each).
    ``submitted`` is who is counted (erased people included: they are in the sums) plus
    who is not counted now, so that "left out" is exact whatever was erased since.
    """
    newcomers = Response.objects.filter(cycle=cycle, published_step=step)
    in_teams = TeamSnapshot.objects.filter(
        cycle=cycle, team_id__in=teams, response__published_step=step
    ).order_by()
    added: dict[int | None, dict] = {None: newcomers.aggregate(**_sums())}
    for row in in_teams.values("team_id").annotate(**_sums("response__")).order_by():
        added[row["team_id"]] = row
    profiles: dict[int | None, dict[str, int]] = {}
    for row in newcomers.values("profile").annotate(people=Count("pk")).order_by():
        profiles.setdefault(None, {})[row["profile"]] = row["people"]
    for row in in_teams.values("team_id", "response__profile").annotate(people=Count("pk")):
        profiles.setdefault(row["team_id"], {})[row["response__profile"]] = row["people"]
    cells: dict[int | None, dict[tuple[int, int], int]] = {}
    for row in (
        newcomers.annotate(lb=_bin("leadership_score"), mb=_bin("management_score"))
        .values("lb", "mb")
        .annotate(people=Count("pk"))
        .order_by()
    ):
        cells.setdefault(None, {})[(int(row["lb"]), int(row["mb"]))] = row["people"]
    for row in (
        in_teams.annotate(
            lb=_bin("response__leadership_score"), mb=_bin("response__management_score")
        )
        .values("team_id", "lb", "mb")
        .annotate(people=Count("pk"))
        .order_by()
    ):
        cells.setdefault(row["team_id"], {})[(int(row["lb"]), int(row["mb"]))] = row["people"]
    dims: dict[int | None, dict[int, tuple[int, float, float]]] = {}
    scores = DimensionScore.objects.filter(response__cycle=cycle, response__published_step=step)
    dim_sums = {"people": Count("pk"), "total": Sum("score"), "sq": Sum(F("score") * F("score"))}
    for row in scores.values("dimension_id").annotate(**dim_sums).order_by():
        dims.setdefault(None, {})[row["dimension_id"]] = (row["people"], row["total"], row["sq"])
    for row in (
        scores.filter(response__snapshot__team_id__in=teams)
        .values("response__snapshot__team_id", "dimension_id")
        .annotate(**dim_sums)
        .order_by()
    ):
        dims.setdefault(row["response__snapshot__team_id"], {})[row["dimension_id"]] = (
            row["people"],
            row["total"],
            row["sq"],
        )
    not_counted: dict[int | None, int] = defaultdict(int)
    for team_id, counted_at, people in (
        TeamSnapshot.objects.filter(cycle=cycle)
        .values("team_id", "response__published_step")
        .annotate(people=Count("pk"))
        .values_list("team_id", "response__published_step", "people")
        .order_by()
    ):
        # Not counted in this team: waiting, or counted at a step that left the team out.
        if counted_at is None or team_id not in teams_at.get(counted_at, ()):
            not_counted[team_id] += people
    members = dict(
        Membership.objects.filter(role=Membership.Role.MEMBER)
        .values("team_id")
        .annotate(people=Count("pk"))
        .values_list("team_id", "people")
        .order_by()
    )
    dimension_meta = list(
        Dimension.objects.filter(questionnaire_id=cycle.questionnaire_id)
        .order_by("order", "pk")
        .values_list("pk", "code", "name", "axis")
    )
    not_counted[None] = Response.objects.filter(
        cycle=cycle, status=Response.Status.SUBMITTED, published_step__isnull=True
    ).count()
    members[None] = (
        Membership.objects.filter(role=Membership.Role.MEMBER).values("user_id").distinct().count()
    )
    # Every team that exists gets a row, so that what a closed cycle shows about a team
    # (its size, who had submitted) is frozen too. A team deleted since is dropped.
    existing = set(Team.objects.values_list("pk", flat=True))
    keys = existing | {None}
    out: dict[int | None, PublishedGroup] = {}
    for key in keys:
        if key is not None and key not in existing:
            continue
        before = previous.get(key)
        new = added.get(key) or {}
        new_n = new.get("n") or 0
        n = (before.n if before else 0) + new_n
        group = PublishedGroup(
            team_id=key,
            members=members.get(key, 0),
            submitted=n + not_counted[key],
            n=n,
            changed_at=now if new_n or before is None else before.changed_at,
        )
        for name, _ in AXIS_FIELDS:
            for attr in (name + "_sum", name + "_sumsq"):
                old = getattr(before, attr) if before else 0.0
                setattr(group, attr, old + (new.get(attr) or 0.0))
        group.profiles = _add_counts(before.profiles if before else {}, profiles.get(key, {}))
        group.quadrant = _add_cells(before.quadrant if before else [], cells.get(key, {}))
        group.dimensions = _add_dimensions(
            before.dimensions if before else [], dims.get(key, {}), dimension_meta
        )
        out[key] = group
    return out


def _add_counts(before: dict[str, int], new: dict[str, int]) -> dict[str, int]:
    out = dict(before)
    for key, count in new.items():
        out[key] = out.get(key, 0) + count
    return out


def _add_cells(before: list, new: dict[tuple[int, int], int]) -> list[list[int]]:
    cells = {(lb, mb): count for lb, mb, count in before}
    for cell, count in new.items():
        cells[cell] = cells.get(cell, 0) + count
    return [[lb, mb, count] for (lb, mb), count in sorted(cells.items())]


def _add_dimensions(
    before: list, new: dict[int, tuple[int, float, float]], meta: list[tuple]
) -> list[list]:
    """[[id, code, name, axis, n, sum, sum of squares], ...] in questionnaire order."""
    old = {row[0]: row for row in before}
    out = []
    for pk, code, name, axis in meta:
        people, total, squares = new.get(pk, (0, 0.0, 0.0))
        if pk in old:
            _, code, name, axis, n0, s0, q0 = old[pk]  # names as first published
            people, total, squares = people + n0, total + s0, squares + q0
        if people:
            out.append([pk, code, name, axis, people, total, squares])
    return out
