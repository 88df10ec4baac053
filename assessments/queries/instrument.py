"""Reads for HR's instrument report: how reliably each dimension of a questionnaire measures.

The figures are stored (``services.compute_instrument_report``) and pooled over everyone
who submitted: nothing here is per team or per person. This module picks the report,
makes a closed cycle's on its first read, and words the reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from ..carelessness import FLAG_LABELS
from ..models import Cycle, InstrumentReport, Questionnaire
from ..services import instrument

GOOD_ALPHA = 0.70  # the usual floor for a scale used to compare people
LOW_ITEM_REST = 0.30  # an item below this measures little of what its scale measures


def alpha_word(alpha: float | None) -> str:
    """How an alpha reads, judged on the two decimals the page shows."""
    if alpha is None:
        return "no estimate (the answers did not vary)"
    alpha = round(alpha, 2)
    if alpha >= 0.90:
        return "excellent"
    if alpha >= 0.80:
        return "good"
    if alpha >= GOOD_ALPHA:
        return "acceptable"
    return f"below {GOOD_ALPHA:.2f}"


@dataclass(frozen=True)
class ItemQuality:
    number: int
    text: str
    reverse_keyed: bool
    mean: float
    sd: float | None
    counts: tuple[tuple[int, int], ...]  # (value, people)
    item_rest: float | None
    alpha_if_dropped: float | None
    keying_suspect: bool
    weak: bool  # little correlation with the rest of its scale, or alpha rises without it


@dataclass(frozen=True)
class DimensionQuality:
    code: str
    name: str
    axis: str
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    items: tuple[ItemQuality, ...]
    left_out: tuple[str, ...]

    @property
    def verdict(self) -> str:
        return alpha_word(self.alpha)

    @property
    def below(self) -> bool:
        return self.alpha is None or round(self.alpha, 2) < GOOD_ALPHA

    @property
    def reading(self) -> str:
        """One plain sentence: how the scale does, and what to look at."""
        alpha = "no α" if self.alpha is None else f"α {self.alpha:.2f}"
        text = f"{self.name}: {alpha}, {self.verdict}"
        weak = [str(i.number) for i in self.items if i.weak]
        if self.below and weak:
            listed = " and ".join([", ".join(weak[:-1]), weak[-1]] if len(weak) > 1 else weak)
            text += f": consider rewording item{'s' if len(weak) > 1 else ''} {listed}"
        suspects = [str(i.number) for i in self.items if i.keying_suspect]
        if suspects:
            text += (
                f". Item {', '.join(suspects)} is reverse-keyed but, turned round, runs "
                "against the rest: check its wording and keying"
            )
        return text + "."


@dataclass(frozen=True)
class Choice:
    label: str
    questionnaire_pk: int
    cycle_pk: int | None  # None: every cycle of the version
    selected: bool

    @property
    def key(self) -> str:
        return f"v{self.questionnaire_pk}" if self.cycle_pk is None else f"c{self.cycle_pk}"


@dataclass(frozen=True)
class InstrumentPage:
    questionnaire: Questionnaire | None
    cycle: Cycle | None  # None: pooled over the version's cycles
    choices: tuple[Choice, ...]
    responses: int  # submitted responses in the cycles covered (now)
    minimum: int
    computed_at: datetime | None
    reported: int  # responses in the stored report
    scale: tuple[tuple[int, str], ...]
    dimensions: tuple[DimensionQuality, ...]
    careless: tuple[tuple[str, int], ...]  # (what, how many)
    flagged: int
    waiting: bool = False  # the cycle is open: its report is made when it closes
    pooled: tuple[str, ...] = ()  # the cycles a version's report adds up

    @property
    def too_few(self) -> bool:
        return not self.ready and not self.waiting and self.responses < self.minimum

    @property
    def key(self) -> str:
        """How the page's address names this report (``report=``)."""
        if self.cycle is not None:
            return f"c{self.cycle.pk}"
        return f"v{self.questionnaire.pk}" if self.questionnaire else ""

    @property
    def ready(self) -> bool:
        return self.computed_at is not None


def _fields(row: dict, *names: str) -> dict:
    return {name: row[name] for name in names}


def _as_shown(value: float) -> Decimal:
    """Two decimals, rounded as the page prints them (floatformat: half up)."""
    return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _item(row: dict, dimension_alpha: float | None) -> ItemQuality:
    item_rest, dropped = row["item_rest"], row["alpha_if_dropped"]
    # "α would rise without it" only when the page's two decimals show it rising: a rise
    # in the third decimal is marked next to two equal numbers, which reads as a mistake.
    weak = (item_rest is not None and item_rest < LOW_ITEM_REST) or (
        dropped is not None
        and dimension_alpha is not None
        and _as_shown(dropped) > _as_shown(dimension_alpha)
    )
    return ItemQuality(
        **_fields(row, "number", "text", "reverse_keyed", "mean", "sd", "item_rest"),
        counts=tuple((int(v), c) for v, c in row["counts"].items()),
        alpha_if_dropped=dropped,
        keying_suspect=row["keying_suspect"],
        weak=weak,
    )


def _dimension(row: dict) -> DimensionQuality:
    return DimensionQuality(
        **_fields(row, "code", "name", "axis", "alpha", "ci_low", "ci_high"),
        items=tuple(_item(i, row["alpha"]) for i in row["items"]),
        left_out=tuple(row["left_out"]),
    )


def _choices(selected_q: int | None, selected_c: int | None) -> tuple[Choice, ...]:
    """Every version with a started cycle: each cycle, and all of them pooled."""
    now = timezone.now()
    cycles = list(
        Cycle.objects.started(now).select_related("questionnaire").order_by("-opens_at", "-pk")
    )
    out, seen = [], set()
    for c in cycles:
        q = c.questionnaire
        if q.pk not in seen:
            seen.add(q.pk)
            out.append(
                Choice(
                    label=f"{q}: all cycles",
                    questionnaire_pk=q.pk,
                    cycle_pk=None,
                    selected=selected_q == q.pk and selected_c is None,
                )
            )
        out.append(
            Choice(
                label=f"{q}: {c.name}",
                questionnaire_pk=q.pk,
                cycle_pk=c.pk,
                selected=selected_c == c.pk,
            )
        )
    return tuple(out)


def instrument_page(
    *, questionnaire_pk: int | None = None, cycle_pk: int | None = None
) -> InstrumentPage | None:
    """The report for a cycle (or a version's cycles pooled); the latest cycle by default.

    None for an unknown or not yet started cycle or version. A closed cycle with enough
    responses and no report yet gets one now; an open cycle has none until it closes.
    """
    now = timezone.now()
    cycle = None
    if cycle_pk is not None:
        cycle = Cycle.objects.started(now).select_related("questionnaire").filter(pk=cycle_pk)
        cycle = cycle.first()
        if cycle is None:
            return None
        questionnaire = cycle.questionnaire
    elif questionnaire_pk is not None:
        questionnaire = Questionnaire.objects.filter(
            pk=questionnaire_pk, cycles__opens_at__lte=now
        ).first()
        if questionnaire is None:
            return None
    else:
        # The latest closed cycle (it has its report), else the latest to have opened.
        started = Cycle.objects.started(now).select_related("questionnaire")
        cycle = started.filter(closes_at__lte=now).first() or started.first()
        questionnaire = cycle.questionnaire if cycle else None
    choices = _choices(questionnaire.pk if questionnaire else None, cycle.pk if cycle else None)
    if questionnaire is None:
        return InstrumentPage(
            questionnaire=None,
            cycle=None,
            choices=choices,
            responses=0,
            minimum=instrument.MIN_RESPONSES,
            computed_at=None,
            reported=0,
            scale=(),
            dimensions=(),
            careless=(),
            flagged=0,
        )
    pooled: tuple[str, ...] = ()
    if cycle is not None:
        responses = instrument.submitted_count([cycle.pk])
        report = instrument.compute_instrument_report(cycle=cycle, now=now)
    else:
        # Every closed cycle of the version with a report of its own, added up: the
        # stored ones in one query; a closed cycle not read since it closed gets its own.
        closed = list(questionnaire.cycles.filter(closes_at__lte=now).order_by("opens_at"))
        stored = {
            r.cycle_id: r
            for r in InstrumentReport.objects.filter(cycle__in=closed).select_related("cycle")
        }
        reports = [
            found
            for c in closed
            if (
                found := stored.get(c.pk) or instrument.compute_instrument_report(cycle=c, now=now)
            )
        ]
        pooled = tuple(r.cycle.name for r in reports)
        report = instrument.pooled_report(questionnaire, reports)
        responses = report.responses if report else 0
    careless = report.careless if report else {}
    return InstrumentPage(
        questionnaire=questionnaire,
        cycle=cycle,
        choices=choices,
        responses=responses,
        minimum=instrument.MIN_RESPONSES,
        computed_at=report.computed_at if report else None,
        reported=report.responses if report else 0,
        scale=tuple(questionnaire.scale_choices()),
        dimensions=tuple(_dimension(row) for row in report.dimensions) if report else (),
        careless=tuple((label, careless.get(code, 0)) for code, label in FLAG_LABELS.items()),
        flagged=careless.get("flagged", 0),
        waiting=cycle is not None and cycle.closes_at > now,
        pooled=pooled,
    )
