"""Reads for HR's screen: the organisation's figures and one line per team."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Membership, PublishedGroup, Response, Team, TeamSnapshot
from .figures import (
    BINS,
    MEMBER,
    CycleRef,
    GroupFigures,
    QuadrantCell,
    TeamRow,
    count_of,
    counts_in_one_query,
    cycle_refs,
    figures_of,
    percent,
    pick_cycle,
    team_rows,
)


@dataclass(frozen=True)
class OrganisationOverview:
    cycle: CycleRef | None
    cycles: tuple[CycleRef, ...]
    people: int  # distinct people with a member role in any team
    people_submitted: int  # of those, how many submitted in this cycle
    submitted: int  # everyone who submitted in this cycle
    org: GroupFigures | None
    teams: tuple[TeamRow, ...]
    bins: int = BINS

    @property
    def response_rate(self) -> int | None:
        return percent(self.people_submitted, self.people)

    @property
    def teams_shown(self) -> int:
        return sum(1 for t in self.teams if not t.withheld)

    @property
    def left_out(self) -> int:
        """People not counted to protect privacy (careless responses left out aside)."""
        if self.org is None:
            return 0
        return max(0, self.org.submitted - self.org.counted - self.careless_left_out)

    @property
    def careless_left_out(self) -> int:
        return self.cycle.careless_left_out if self.org and self.cycle else 0

    @property
    def quadrant(self) -> tuple[QuadrantCell, ...]:
        return self.org.quadrant if self.org else ()


# --- the organisation -----------------------------------------------------------------------


def organisation_overview(*, cycle_pk: int | None = None) -> OrganisationOverview | None:
    """HR's view of a cycle: the organisation's published figures and one line per team.

    None when ``cycle_pk`` names no cycle that has opened. A closed cycle is read from its
    publication alone; an open one counts its responses live.
    """
    cycles = cycle_refs()
    try:
        cycle = pick_cycle(cycles, cycle_pk)
    except LookupError:
        return None
    if cycle is None:
        return OrganisationOverview(
            cycle=None,
            cycles=cycles,
            people=0,
            people_submitted=0,
            submitted=0,
            org=None,
            teams=(),
        )
    org_group = None
    if cycle.publication_pk:
        org_group = PublishedGroup.objects.filter(
            publication_id=cycle.publication_pk, team__isnull=True
        ).first()
    teams = list(Team.objects.order_by("name").values_list("pk", "name"))
    if cycle.final and org_group is not None:
        people, people_submitted, submitted = (
            org_group.members,
            cycle.in_teams,
            org_group.submitted,
        )
    else:
        counts = counts_in_one_query(
            cycle.pk,
            people=count_of(Membership.objects.filter(role=MEMBER), "user_id", distinct=True),
            people_submitted=count_of(
                TeamSnapshot.objects.filter(cycle_id=cycle.pk), "response_id", distinct=True
            ),
            submitted=count_of(
                Response.objects.filter(cycle_id=cycle.pk, status=Response.Status.SUBMITTED)
            ),
        )
        people, people_submitted, submitted = (
            counts["people"],
            counts["people_submitted"],
            counts["submitted"],
        )
    return OrganisationOverview(
        cycle=cycle,
        cycles=cycles,
        people=people,
        people_submitted=people_submitted,
        submitted=submitted,
        org=figures_of(org_group) if org_group else None,
        teams=team_rows(cycle, teams, all_teams=True),
    )
