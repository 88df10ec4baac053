"""From a team's figures to what the manager might do next, and the team's action plan.

Only published figures are used (the same numbers the dashboard shows), so nothing here
says more about anyone than the dashboard does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..models import Dimension, TeamActionPlan
from .figures import CycleRef, DimensionFigure, GroupFigures

# A difference from the organisation smaller than this is within what chance gives.
NOTABLE_DIFFERENCE = 5
MOST_DIFFERENT = 3
WEAKEST = 2
# Below this response rate a team's figures speak for few of its members.
LOW_RESPONSE_RATE = 60


@dataclass(frozen=True)
class NextStep:
    code: str
    name: str
    reason: str
    team_tip: str


@dataclass(frozen=True)
class PlanFocus:
    code: str
    name: str
    before: int | None  # the team's whole-number mean when the plan was made
    now: int | None  # in the cycle shown, if published

    @property
    def change(self) -> int | None:
        return None if self.before is None or self.now is None else self.now - self.before


@dataclass(frozen=True)
class ActionPlan:
    cycle_pk: int
    cycle_name: str
    focus: tuple[PlanFocus, ...]
    actions: str
    due: date | None
    done_at: datetime | None
    author: str
    updated_at: datetime

    @property
    def done(self) -> bool:
        return self.done_at is not None

    @property
    def focus_codes(self) -> list[str]:
        return [f.code for f in self.focus]


def next_steps(
    dimensions: tuple[DimensionFigure, ...], *, team_name: str, tips: dict[int, str]
) -> tuple[NextStep, ...]:
    """The dimensions where the team differs most from the organisation, then its weakest."""
    steps: dict[str, NextStep] = {}
    different = sorted(
        (d for d in dimensions if d.difference is not None),
        key=lambda d: (-abs(d.difference), d.name),
    )
    for d in different[:MOST_DIFFERENT]:
        if abs(d.difference) < NOTABLE_DIFFERENCE:
            break
        side = "above" if d.difference > 0 else "below"
        reason = (
            f"{team_name} scores {d.mean_shown} on {d.name}, {abs(d.difference)} points "
            f"{side} the organisation ({d.org_mean_shown})."
        )
        steps[d.code] = NextStep(d.code, d.name, reason, tips.get(d.dimension_id, ""))
    for d in sorted(dimensions, key=lambda d: (d.mean_shown, d.name))[:WEAKEST]:
        if d.code not in steps:
            reason = _weak_reason(d, dimensions)
            steps[d.code] = NextStep(d.code, d.name, reason, tips.get(d.dimension_id, ""))
    return tuple(steps.values())


def _weak_reason(d: DimensionFigure, dimensions: tuple[DimensionFigure, ...]) -> str:
    """Why a weak dimension is named, true with ties too (two at 60 are both "lowest")."""
    tied = [o.name for o in dimensions if o is not d and o.mean_shown == d.mean_shown]
    if tied:
        others = tied[0] if len(tied) == 1 else f"{', '.join(tied[:-1])} and {tied[-1]}"
        return f"{d.name} is among the team's lowest dimensions ({d.mean_shown}, as {others})."
    below = sum(o.mean_shown < d.mean_shown for o in dimensions)
    rank = "lowest" if below == 0 else "second lowest"
    return f"{d.name} is the team's {rank} dimension ({d.mean_shown})."


def team_tips(dimensions: tuple[DimensionFigure, ...]) -> dict[int, str]:
    """The team tip of each dimension shown (one query; tips are edited in the admin)."""
    ids = [d.dimension_id for d in dimensions]
    return dict(Dimension.objects.filter(pk__in=ids).values_list("pk", "team_tip"))


def _means(group: GroupFigures | None) -> dict[str, tuple[str, int]]:
    if group is None:
        return {}
    return {d.code: (d.name, d.mean_shown) for d in group.dimensions}


def _plan(
    row: TeamActionPlan, cycle: CycleRef, before: GroupFigures | None, now: GroupFigures | None
) -> ActionPlan:
    then, later = _means(before), _means(now)
    focus = []
    for code in row.focus:
        name = (then.get(code) or later.get(code) or (code, None))[0]
        focus.append(
            PlanFocus(
                code=code,
                name=name,
                before=then.get(code, (None, None))[1],
                now=later.get(code, (None, None))[1] if now is not None else None,
            )
        )
    author = row.author.get_full_name() or row.author.get_username() if row.author else ""
    return ActionPlan(
        cycle_pk=cycle.pk,
        cycle_name=cycle.name,
        focus=tuple(focus),
        actions=row.actions,
        due=row.due,
        done_at=row.done_at,
        author=author,
        updated_at=row.updated_at,
    )


def plans(
    *,
    team_pk: int,
    cycle: CycleRef,
    previous: CycleRef | None,
    figures: dict[int, GroupFigures | None],
) -> tuple[ActionPlan | None, ActionPlan | None]:
    """This cycle's plan and the previous published cycle's (one query).

    ``figures`` maps a cycle's pk to the team's published figures in it. The previous
    plan's focus dimensions carry their mean then and now, so the page shows the change.
    """
    wanted = [cycle.pk] + ([previous.pk] if previous else [])
    rows = {
        p.cycle_id: p
        for p in TeamActionPlan.objects.filter(team_id=team_pk, cycle_id__in=wanted)
        .select_related("author")
        .order_by()
    }
    current = rows.get(cycle.pk)
    last = rows.get(previous.pk) if previous else None
    return (
        _plan(current, cycle, figures.get(cycle.pk), None) if current else None,
        _plan(last, previous, figures.get(previous.pk), figures.get(cycle.pk)) if last else None,
    )
