"""Reads for the participation page: how many take part, were invited, reminded, submitted.

Counts only, per team and (for HR) overall: who has or has not answered is never shown.
The lines follow the privacy rule of the published figures (``privacy.admit``): the
people taking part are grouped by exactly which of the cycle's teams they are members
of, and a group smaller than the cycle's minimum group size is left out of every line,
the organisation's included. So no line, nor any sum or difference of lines (the
organisation minus its teams, one team minus another), describes fewer than k people:
in a team of two, "1 submitted" would tell each of them about the other. A team none of
whose people can be counted is withheld. A team's line counts its active members (as the
dashboards do), not its managers; managers see the same numbers for their teams as HR.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .. import privacy
from ..models import Cycle, Membership, Participant, Response, Team
from ..roles import roles, viewer_ids
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
    # Why a withheld line is withheld: too few take part in it ("small"), or its people
    # fall into groups too small to count apart from other teams ("overlap").
    reason: str = ""

    @classmethod
    def withheld_line(cls, name: str, *, reason: str, team_pk: int | None = None):
        return cls(name, None, None, None, None, team_pk, reason)

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
    # People taking part who are in no line (their groups are too small), for HR.
    left_out: int = 0

    @property
    def low_rate(self) -> int:
        return LOW_RATE


COUNTS = ("taking_part", "invited", "reminded", "submitted")


def _count(people: list[tuple[bool, bool, bool]]) -> dict:
    return {
        "taking_part": len(people),
        "invited": sum(invited for invited, _, _ in people),
        "reminded": sum(reminded for _, reminded, _ in people),
        "submitted": sum(submitted for _, _, submitted in people),
    }


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
    k = cycle.k
    chosen = Cycle.teams.through.objects.filter(cycle_id=cycle.pk).values("team_id")
    # Only the cycle's teams (every team when it chose none): a participant's other
    # teams would otherwise get a line of their own.
    cycle_teams = Team.objects.filter(Q(pk__in=chosen) | ~Exists(chosen))

    # Everyone taking part: leavers deactivated during the cycle can no longer answer,
    # so they leave the count.
    submitted = Response.objects.filter(
        cycle=cycle, respondent=OuterRef("user"), status=Response.Status.SUBMITTED
    )
    in_cycle = Participant.objects.filter(cycle=cycle, user__is_active=True)
    people = {
        user_id: (invited_at is not None, reminders > 0, done)
        for user_id, invited_at, reminders, done in in_cycle.annotate(done=Exists(submitted))
        .order_by()
        .values_list("user_id", "invited_at", "reminders_sent", "done")
    }
    teams_of: dict[int, set[int]] = defaultdict(set)
    for user_id, team_id in (
        Membership.objects.filter(
            user__in=in_cycle.values("user"), team__in=cycle_teams, role=MEMBER
        )
        .order_by()
        .values_list("user_id", "team_id")
    ):
        teams_of[user_id].add(team_id)
    viewers = viewer_ids(among=in_cycle.values("user"))
    admission = privacy.admit(
        (
            privacy.Candidate(
                key=user_id, teams=frozenset(teams_of[user_id]), viewer=user_id in viewers
            )
            for user_id in people
        ),
        k=k,
    )
    counted_in: dict[int, list] = defaultdict(list)
    for user_id in admission.admitted:
        for team_id in teams_of[user_id] & admission.teams:
            counted_in[team_id].append(people[user_id])
    taking_part = {team_id for ids in teams_of.values() for team_id in ids}

    teams = visible_teams(user=user, member_count=False).filter(pk__in=cycle_teams)
    rows = []
    for pk, name in teams.order_by("name").values_list("pk", "name"):
        if pk in counted_in:
            rows.append(ParticipationRow(name=name, team_pk=pk, **_count(counted_in[pk])))
        elif pk in taking_part or not is_hr:  # HR's list: the teams taking part
            size = sum(1 for ids in teams_of.values() if pk in ids)
            reason = "small" if size < k else "overlap"
            rows.append(ParticipationRow.withheld_line(name, reason=reason, team_pk=pk))
    overall = None
    if is_hr:
        if admission.admitted:
            counted = [people[user_id] for user_id in admission.admitted]
            overall = ParticipationRow(name="Whole organisation", **_count(counted))
        else:
            overall = ParticipationRow.withheld_line("Whole organisation", reason="small")
    return ParticipationPage(
        cycle,
        cycle.is_open(now),
        choices,
        tuple(rows),
        overall,
        k,
        left_out=len(admission.left_out) if is_hr else 0,
    )
