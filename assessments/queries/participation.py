"""Reads for the participation page: how many take part, were invited, reminded, submitted.

Counts only, per team and (for HR) overall: who has or has not answered is never shown,
and a line with fewer than the cycle's minimum group size taking part is withheld (in a
team of two, "1 submitted" tells each of them about the other). A team's line counts its
active members (as the dashboards do), not its managers.
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
    """One line; every count is None when fewer than k take part (``withheld``)."""

    name: str
    taking_part: int | None
    invited: int | None
    reminded: int | None
    submitted: int | None
    team_pk: int | None = None  # None: the whole organisation

    @classmethod
    def of(cls, name: str, counts: dict, *, k: int, team_pk: int | None = None):
        if counts["taking_part"] < k:
            return cls(name, None, None, None, None, team_pk)
        return cls(name=name, team_pk=team_pk, **counts)

    @property
    def withheld(self) -> bool:
        return self.taking_part is None

    @property
    def rate(self) -> int | None:
        """Submitted as a whole percentage of those taking part (None when withheld)."""
        return None if self.withheld else percent(self.submitted, self.taking_part)

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
    k: int = 0
    invited_here: bool = True  # False: a cycle that ran without invitations from LVM

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
            # A cycle that ran without invitations (people answered with accounts they
            # had): nothing to count here, which the page says rather than "not found".
            cycle = Cycle.objects.started(now).filter(pk=cycle_pk).first()
            if cycle is None:
                return None
            choices = tuple(CycleChoice(c.pk, c.name, False) for c in cycles)
            return ParticipationPage(
                cycle, cycle.is_open(now), choices, (), None, cycle.min_group_size, False
            )
    else:
        cycle = next((c for c in cycles if c.is_open(now)), cycles[0] if cycles else None)
    choices = tuple(CycleChoice(c.pk, c.name, c is cycle) for c in cycles)
    if cycle is None:
        return ParticipationPage(None, False, choices, (), None)

    is_hr = roles(user).sees_organisation
    teams = visible_teams(user=user, member_count=False).order_by("name")
    chosen = Cycle.teams.through.objects.filter(cycle_id=cycle.pk).values("team_id")
    # Only the cycle's teams (every team when it chose none): a participant's other
    # teams would otherwise get a line of their own.
    teams = teams.filter(Q(pk__in=chosen) | ~Exists(chosen))
    teams = list(teams.values_list("pk", "name"))
    # Leavers deactivated during the cycle can no longer answer: they leave the count.
    in_cycle = Participant.objects.filter(cycle=cycle, user__is_active=True)
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
    k = cycle.k
    rows = tuple(
        ParticipationRow.of(
            name, {key: by_team.get(pk, empty)[key] for key in empty}, k=k, team_pk=pk
        )
        for pk, name in teams
        if pk in by_team or not is_hr  # HR's list: the teams taking part
    )
    overall = None
    if is_hr:
        overall = ParticipationRow.of("Whole organisation", in_cycle.aggregate(**_counts()), k=k)
    return ParticipationPage(cycle, cycle.is_open(now), choices, rows, overall, k)
