"""Reads for the employee's own screens: home, the questionnaire, their result and CSV.

Each function evaluates its querysets before returning, so templates run no queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from .. import scoring
from ..models import Answer, Cycle, Dimension, Question, Response, Team
from .access import visible_teams

# The questionnaire shows two dimensions per page.
DIMENSIONS_PER_PAGE = 2


def page_of(dimension_index: int) -> int:
    """The questionnaire page (from 1) that shows the dimension at ``dimension_index``."""
    return dimension_index // DIMENSIONS_PER_PAGE + 1


@dataclass(frozen=True)
class CycleStatus:
    cycle: Cycle
    status: str  # "not_started" | "draft" | "submitted"
    answered: int
    total: int
    resume_page: int = 1  # the first page with an unanswered statement

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


@dataclass(frozen=True)
class PastResult:
    cycle_id: int
    cycle_name: str
    submitted_at: datetime
    leadership: float
    management: float
    balance: float
    profile_label: str


def _past_result(response: Response) -> PastResult:
    return PastResult(
        cycle_id=response.cycle_id,
        cycle_name=response.cycle.name,
        submitted_at=response.submitted_at,
        leadership=response.leadership_score,
        management=response.management_score,
        balance=response.balance,
        profile_label=response.get_profile_display(),
    )


@dataclass(frozen=True)
class HomePage:
    open_cycles: list[CycleStatus]
    past_results: list[PastResult]
    managed_teams: list[Team]


def _complete_dimensions_before_first_gap() -> Coalesce:
    """For a Response: how many dimensions, in page order, are fully answered before the
    first one with an unanswered statement (all of them when nothing is left).

    A subquery on the response row, so that the home page finds where to resume each
    draft without a query per cycle.
    """
    unanswered_up_to_dimension = (
        Question.objects.active()
        .filter(questionnaire=OuterRef("questionnaire"))
        .filter(
            Q(dimension__order__lt=OuterRef("order"))
            | Q(dimension__order=OuterRef("order"), dimension_id__lte=OuterRef("pk"))
        )
        .filter(
            ~Exists(
                Answer.objects.filter(
                    question=OuterRef("pk"), response=OuterRef(OuterRef(OuterRef("pk")))
                )
            )
        )
    )
    complete = (
        Dimension.objects.filter(questionnaire=OuterRef("cycle__questionnaire"))
        .filter(Exists(Question.objects.active().filter(dimension=OuterRef("pk"))))
        .filter(~Exists(unanswered_up_to_dimension))
        .order_by()
        .values("questionnaire")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(complete), 0)


def _resume_page(response: Response | None, *, answered: int, total: int) -> int:
    """The page of the first unanswered statement; the last page once all are answered."""
    if response is None:
        return 1
    complete = response.complete_dimensions
    return page_of(complete - 1 if answered >= total and complete else complete)


def home_page(*, user: AbstractBaseUser) -> HomePage:
    """The cycles open now with the person's progress, their results, their teams to manage.

    Each open cycle carries ``resume_page``: where "Continue" takes the person.
    """
    cycles = list(
        Cycle.objects.open_at()
        .open_to(user)
        .select_related("questionnaire")
        .annotate(
            question_total=Count(
                "questionnaire__questions", filter=Q(questionnaire__questions__is_active=True)
            )
        )
        .order_by("closes_at")
    )
    mine = {
        r.cycle_id: r
        for r in Response.objects.filter(respondent=user, cycle__in=cycles).annotate(
            answered=Count("answers", filter=Q(answers__question__is_active=True)),
            complete_dimensions=_complete_dimensions_before_first_gap(),
        )
    }
    open_cycles = []
    for cycle in cycles:
        response = mine.get(cycle.pk)
        answered = response.answered if response else 0
        open_cycles.append(
            CycleStatus(
                cycle=cycle,
                status=response.status if response else "not_started",
                answered=answered,
                total=cycle.question_total,
                resume_page=_resume_page(response, answered=answered, total=cycle.question_total),
            )
        )
    past = [
        _past_result(r)
        for r in Response.objects.submitted()
        .filter(respondent=user)
        .select_related("cycle")
        .order_by("-cycle__opens_at")
    ]
    teams = list(visible_teams(user=user, member_count=False).order_by("name"))
    return HomePage(open_cycles=open_cycles, past_results=past, managed_teams=teams)


# --- the questionnaire -------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    question_id: int
    text: str
    value: int | None
    missing: bool

    @property
    def field_name(self) -> str:
        return f"q{self.question_id}"


@dataclass(frozen=True)
class DimensionGroup:
    name: str
    description: str
    items: list[ItemView]


@dataclass(frozen=True)
class MissingItem:
    question_id: int
    text: str
    page: int


@dataclass(frozen=True)
class QuestionnairePage:
    cycle: Cycle
    page: int
    page_count: int
    groups: list[DimensionGroup]
    scale: list[tuple[int, str]]
    answered: int
    total: int
    status: str  # "not_started" | "draft" | "submitted"
    missing: list[MissingItem]
    complete_pages: frozenset[int]  # pages whose every statement has a saved answer

    @property
    def is_last(self) -> bool:
        return self.page == self.page_count

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0

    @property
    def pages(self) -> range:
        return range(1, self.page_count + 1)

    @property
    def missing_by_page(self) -> list[tuple[int, int]]:
        """(page, unanswered count) for each page with gaps."""
        counts: dict[int, int] = {}
        for item in self.missing:
            counts[item.page] = counts.get(item.page, 0) + 1
        return sorted(counts.items())


def questionnaire_page(
    *,
    user: AbstractBaseUser,
    cycle: Cycle,
    page: int,
    questions: list,
    check_missing: bool = False,
) -> QuestionnairePage:
    """One page of a cycle's questionnaire with the person's saved answers.

    ``questions`` comes from services.cycle_questions (the stable order);
    ``check_missing`` marks unanswered items.
    """
    response = Response.objects.filter(cycle=cycle, respondent=user).first()
    values = dict(response.answers.values_list("question_id", "value")) if response else {}

    dimensions: list = []
    for q in questions:
        if not dimensions or dimensions[-1][0].pk != q.dimension_id:
            dimensions.append((q.dimension, []))
        dimensions[-1][1].append(q)
    page_count = max(1, -(-len(dimensions) // DIMENSIONS_PER_PAGE))
    page = min(max(1, page), page_count)

    missing = [
        MissingItem(question_id=q.pk, text=q.text, page=page_of(index))
        for index, (_, qs) in enumerate(dimensions)
        for q in qs
        if q.pk not in values
    ]
    start = (page - 1) * DIMENSIONS_PER_PAGE
    groups = [
        DimensionGroup(
            name=dim.name,
            description=dim.description,
            items=[
                ItemView(
                    question_id=q.pk,
                    text=q.text,
                    value=values.get(q.pk),
                    missing=check_missing and q.pk not in values,
                )
                for q in qs
            ],
        )
        for dim, qs in dimensions[start : start + DIMENSIONS_PER_PAGE]
    ]
    return QuestionnairePage(
        cycle=cycle,
        page=page,
        page_count=page_count,
        groups=groups,
        scale=cycle.questionnaire.scale_choices(),
        answered=sum(1 for q in questions if q.pk in values),
        total=len(questions),
        status=response.status if response else "not_started",
        missing=missing if check_missing else [],
        complete_pages=frozenset(range(1, page_count + 1)) - {m.page for m in missing},
    )


# --- my results ---------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionResult:
    name: str
    axis: str
    score: float
    previous: float | None
    description: str
    tip: str

    @property
    def change(self) -> float | None:
        return None if self.previous is None else self.score - self.previous


@dataclass(frozen=True)
class PreviousResult:
    cycle_name: str
    leadership: float
    management: float
    balance: float


@dataclass(frozen=True)
class ResultPage:
    cycle: Cycle
    submitted_at: datetime
    leadership: float
    management: float
    balance: float
    profile_label: str
    profile_explanation: str
    dimensions: list[DimensionResult]
    strengths: list[DimensionResult]
    to_develop: list[DimensionResult]
    previous: PreviousResult | None


def _own_submitted(*, user: AbstractBaseUser, cycle_pk: int) -> Response | None:
    """The person's own submitted response for a cycle; None for anything else."""
    return (
        Response.objects.submitted()
        .filter(respondent=user, cycle_id=cycle_pk)
        .select_related("cycle")
        .first()
    )


def result_page(*, user: AbstractBaseUser, cycle_pk: int) -> ResultPage | None:
    """The person's own submitted result for a cycle, or None (the view answers 404)."""
    response = _own_submitted(user=user, cycle_pk=cycle_pk)
    if response is None:
        return None
    scores = list(
        response.dimension_scores.select_related("dimension").order_by(
            "dimension__order", "dimension_id"
        )
    )
    previous = (
        Response.objects.submitted()
        .filter(respondent=user, cycle__opens_at__lt=response.cycle.opens_at)
        .select_related("cycle")
        .order_by("-cycle__opens_at")
        .first()
    )
    previous_by_code = {}
    if previous is not None:
        # Dimensions are matched by code, so a new questionnaire version still compares.
        previous_by_code = dict(previous.dimension_scores.values_list("dimension__code", "score"))
    dimensions = [
        DimensionResult(
            name=s.dimension.name,
            axis=s.dimension.axis,
            score=s.score,
            previous=previous_by_code.get(s.dimension.code),
            description=s.dimension.description,
            tip=s.dimension.development_tip,
        )
        for s in scores
    ]
    ranked = sorted(dimensions, key=lambda d: (-d.score, d.name))
    profile = scoring.Profile(response.profile)
    return ResultPage(
        cycle=response.cycle,
        submitted_at=response.submitted_at,
        leadership=response.leadership_score,
        management=response.management_score,
        balance=response.balance,
        profile_label=profile.label,
        profile_explanation=profile.explanation,
        dimensions=dimensions,
        strengths=ranked[:2],
        to_develop=sorted(ranked[-2:], key=lambda d: (d.score, d.name)),
        previous=None
        if previous is None
        else PreviousResult(
            cycle_name=previous.cycle.name,
            leadership=previous.leadership_score,
            management=previous.management_score,
            balance=previous.balance,
        ),
    )


@dataclass(frozen=True)
class PersonalExport:
    """What the person's own CSV holds: their scores and every answer they gave."""

    result: PastResult
    dimension_scores: tuple[tuple[str, float], ...]  # (dimension, score) in page order
    answers: tuple[tuple[str, str, int], ...]  # (dimension, statement, value)


def personal_export(*, user: AbstractBaseUser, cycle_pk: int) -> PersonalExport | None:
    """The person's own answers and scores for a cycle, or None (the view answers 404)."""
    response = _own_submitted(user=user, cycle_pk=cycle_pk)
    if response is None:
        return None
    return PersonalExport(
        result=_past_result(response),
        dimension_scores=tuple(
            response.dimension_scores.order_by("dimension__order", "dimension_id").values_list(
                "dimension__name", "score"
            )
        ),
        answers=tuple(
            response.answers.order_by(
                "question__dimension__order", "question__order", "question_id"
            ).values_list("question__dimension__name", "question__text", "value")
        ),
    )
