"""Reads for the participation page: how many take part, were invited, reminded, submitted.

Counts only, per team and (for HR) overall: who has or has not answered is never shown.
A team's line counts its members (as the dashboards do), not its managers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from ..models import Cycle, Participant, Response
from ..roles import roles
from .access import visible_teams
from .figures import MEMBER, percent

LOW_RATE = 60  # below this, a rate is worth a closer look (and more encouragement)


@dataclass(frozen=True)
class ParticipationRow:
    name: str
    taking_part: int
    invited: int
    reminded: int
    submitted: int
    team_pk: int | None = None  # None: the whole organisation

    @property
    def rate(self) -> int | None:
        """Submitted as a whole percentage of those taking part (None when nobody does)."""
        return percent(self.submitted, self.taking_part) if self.taking_part else None

    @property
    def low(self) -> bool:
        return self.rate is not None and self.rate < LOW_RATE


@dataclass(frozen=True)
class CycleChoice:
    pk: int
    name: str
    selected: bool


@dataclass(frozen=True)
class ParticipationPage:
    cycle: Cycle | None
    is_open: bool
    choices: tuple[CycleChoice, ...]
    teams: tuple[ParticipationRow, ...]
    overall: ParticipationRow | None  # HR only

    @property
    def low_rate(self) -> int:
        return LOW_RATE


def _counts():
    submitted = Response.objects.filter(
        cycle=OuterRef("cycle"), respondent=OuterRef("user"), status=Response.Status.SUBMITTED
    )
    return dict(
        taking_part=Count("pk"),
        invited=Count("pk", filter=Q(invited_at__isnull=False)),
        reminded=Count("pk", filter=Q(reminders_sent__gt=0)),
        submitted=Count("pk", filter=Q(Exists(submitted))),
    )


def participation_page(
    *, user: AbstractBaseUser, cycle_pk: int | None = None
) -> ParticipationPage | None:
    """Participation in a cycle with participants (the chosen one, else the latest).

    HR see every team and the total; a manager sees the teams they manage. None when the
    cycle asked for does not exist or has nobody invited.
    """
    now = timezone.now()
    cycles = list(
        Cycle.objects.started(now)
        .filter(Exists(Participant.objects.filter(cycle=OuterRef("pk"))))
        .order_by("-opens_at", "-pk")
    )
    if cycle_pk is not None:
        cycle = next((c for c in cycles if c.pk == cycle_pk), None)
        if cycle is None:
            return None
    else:
        cycle = next((c for c in cycles if c.is_open(now)), cycles[0] if cycles else None)
    choices = tuple(CycleChoice(c.pk, c.name, c is cycle) for c in cycles)
    if cycle is None:
        return ParticipationPage(None, False, choices, (), None)

    is_hr = roles(user).sees_organisation
    teams = list(
        visible_teams(user=user, member_count=False).order_by("name").values_list("pk", "name")
    )
    in_cycle = Participant.objects.filter(cycle=cycle)
    by_team = {
        row["user__memberships__team"]: row
        for row in in_cycle.filter(
            user__memberships__team__in=[pk for pk, _ in teams],
            user__memberships__role=MEMBER,
        )
        .values("user__memberships__team")
        .annotate(**_counts())
        .order_by()
    }
    empty = {"taking_part": 0, "invited": 0, "reminded": 0, "submitted": 0}
    rows = tuple(
        ParticipationRow(
            name=name,
            team_pk=pk,
            **{key: by_team.get(pk, empty)[key] for key in empty},
        )
        for pk, name in teams
        if pk in by_team or not is_hr  # HR's list: the teams taking part
    )
    overall = None
    if is_hr:
        overall = ParticipationRow(name="Whole organisation", **in_cycle.aggregate(**_counts()))
    return ParticipationPage(cycle, cycle.is_open(now), choices, rows, overall)
