"""Reads for a manager's screens: the list of their teams and a team's dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q

from ..models import Membership, PublishedGroup, Response, Team, TeamSnapshot
from ..roles import roles
from . import next_steps as next_steps_
from .access import visible_teams
from .figures import (
    BINS,
    MEMBER,
    Axes,
    CycleRef,
    DimensionFigure,
    GroupFigures,
    ProfileCount,
    QuadrantCell,
    TeamRow,
    axes_of,
    count_of,
    counts_in_one_query,
    cycle_refs,
    figures_of,
    percent,
    pick_cycle,
    shown,
    team_rows,
    with_reference,
)

# How many cycles (the chosen one and those before it) the trend shows.
TREND_CYCLES = 8


@dataclass(frozen=True)
class CyclePoint:
    """The team in one cycle of the trend; None figures mark a gap."""

    cycle_pk: int
    cycle_name: str
    counted: int
    k: int
    leadership: float | None
    management: float | None
    waiting: bool = False  # the cycle is open and publishes at close

    @property
    def is_gap(self) -> bool:
        return self.leadership is None

    @property
    def leadership_shown(self) -> int | None:
        return shown(self.leadership)

    @property
    def management_shown(self) -> int | None:
        return shown(self.management)


@dataclass(frozen=True)
class TeamFigures:
    """Everything shown about a team in a cycle whose figures are published."""

    team: GroupFigures
    org: GroupFigures | None
    dimensions: tuple[DimensionFigure, ...]  # the team's, with the organisation's beside
    bins: int = BINS

    @property
    def axes(self) -> Axes:
        return self.team.axes

    @property
    def org_axes(self) -> Axes | None:
        return self.org.axes if self.org else None

    @property
    def quadrant(self) -> tuple[QuadrantCell, ...]:
        return self.team.quadrant

    @property
    def profiles(self) -> tuple[ProfileCount, ...]:
        return self.team.profiles


@dataclass(frozen=True)
class TeamDashboard:
    """A team's dashboard for one cycle. Without published figures, ``figures`` is None."""

    team_pk: int
    team_name: str
    members: int
    cycle: CycleRef | None  # None when no cycle has started yet
    cycles: tuple[CycleRef, ...]
    submitted: int  # members who had submitted (at publication, or now while open)
    in_progress: int
    k: int
    figures: TeamFigures | None
    trend: tuple[CyclePoint, ...] = ()
    latest_published: CycleRef | None = None  # for a link while this cycle waits
    next_steps: tuple[next_steps_.NextStep, ...] = ()
    plan: next_steps_.ActionPlan | None = None  # the plan made after this cycle
    last_plan: next_steps_.ActionPlan | None = None  # after the previous published cycle

    @property
    def too_small(self) -> bool:
        """Fewer members than k: the team's figures can never be shown on their own."""
        return self.cycle is not None and self.members < self.k

    @property
    def low_response(self) -> bool:
        rate = self.response_rate
        return rate is not None and rate < next_steps_.LOW_RESPONSE_RATE

    @property
    def plan_choices(self) -> tuple[tuple[str, str], ...]:
        """The dimensions an action plan may focus on: those the figures show."""
        if self.figures is None:
            return ()
        return tuple((d.code, d.name) for d in self.figures.dimensions)

    @property
    def withheld(self) -> bool:
        return self.figures is None

    @property
    def waiting(self) -> bool:
        return self.cycle is not None and self.cycle.waiting

    @property
    def counted(self) -> int:
        return self.figures.team.counted if self.figures else 0

    @property
    def left_out(self) -> int:
        """Members who submitted but are not in the published figures."""
        if self.cycle is None or self.waiting or self.cycle.publication_pk is None:
            return 0
        return max(0, self.submitted - self.counted)

    @property
    def response_rate(self) -> int | None:
        """None for a team smaller than k: how many of so few answered tells who."""
        return None if self.too_small else percent(self.submitted, self.members)

    @property
    def has_trend(self) -> bool:
        return any(not p.is_gap for p in self.trend)


@dataclass(frozen=True)
class TeamList:
    cycle: CycleRef | None
    teams: tuple[TeamRow, ...]


def team_list(*, user: AbstractBaseUser) -> TeamList:
    """The person's teams with their size and, for the latest cycle, the published figures."""
    cycle = pick_cycle(cycle_refs(), None)
    visible = visible_teams(user=user, member_count=cycle is None).order_by("name")
    if cycle is None:
        rows = tuple(
            TeamRow(team_pk=t.pk, team_name=t.name, members=t.member_count, submitted=0, k=None)
            for t in visible
        )
        return TeamList(cycle=None, teams=rows)
    teams = list(visible.values_list("pk", "name"))
    # A manager's own team made after the cycle closed still gets its (empty) line.
    rows = team_rows(cycle, teams, all_teams=roles(user).sees_organisation)
    listed = {r.team_pk for r in rows}
    newer = [(pk, name) for pk, name in teams if pk not in listed]
    if newer:
        sizes = dict(
            Membership.objects.filter(role=MEMBER, team_id__in=[pk for pk, _ in newer])
            .values("team_id")
            .annotate(n=Count("pk"))
            .values_list("team_id", "n")
            .order_by()
        )
        rows += tuple(
            TeamRow(team_pk=pk, team_name=name, members=sizes.get(pk, 0), submitted=0, k=cycle.k)
            for pk, name in newer
        )
    return TeamList(cycle=cycle, teams=tuple(sorted(rows, key=lambda r: r.team_name)))


# --- one team -------------------------------------------------------------------------------


def team_dashboard(*, team: Team, cycle_pk: int | None = None) -> TeamDashboard | None:
    """A team's dashboard for a cycle (the latest to have opened by default).

    ``team`` comes from team_for_manager. Returns None when ``cycle_pk`` names no cycle
    that has opened. At most five queries whatever the team's size: the cycles, the
    published rows (this team in the trend's cycles, and the organisation), the live
    counts while the cycle is open (a closed cycle shows the counts stored at
    publication), the team tips of the dimensions shown, and the action plans.
    """
    cycles = cycle_refs()
    try:
        cycle = pick_cycle(cycles, cycle_pk)
    except LookupError:
        return None
    members_now = Membership.objects.filter(team_id=team.pk, role=MEMBER)
    base = {"team_pk": team.pk, "team_name": team.name, "cycles": cycles}
    if cycle is None:
        return TeamDashboard(
            **base,
            members=members_now.count(),
            cycle=None,
            submitted=0,
            in_progress=0,
            k=0,
            figures=None,
        )

    # The chosen cycle and the ones before it, oldest first, for the trend.
    index = cycles.index(cycle)
    trend_cycles = list(reversed(cycles[index : index + TREND_CYCLES]))
    publications = [c.publication_pk for c in trend_cycles if c.publication_pk]
    rows = (
        PublishedGroup.objects.filter(publication_id__in=publications)
        .filter(Q(team_id=team.pk) | Q(team__isnull=True, publication_id=cycle.publication_pk))
        .order_by()
    )
    team_groups, org_group = {}, None
    for row in rows:
        if row.team_id is None:
            org_group = row
        else:
            team_groups[row.publication_id] = row

    current = team_groups.get(cycle.publication_pk) if cycle.publication_pk else None
    if cycle.final and current is not None:
        # As published: later joins, leavers and erasures change nothing about a closed cycle.
        members, submitted, in_progress = current.members, current.submitted, 0
    elif cycle.final:  # a team made after the cycle was published: it has no figures there
        members, submitted, in_progress = members_now.count(), 0, 0
    else:
        counts = counts_in_one_query(
            cycle.pk,
            members=count_of(members_now),
            submitted=count_of(TeamSnapshot.objects.filter(cycle_id=cycle.pk, team_id=team.pk)),
            in_progress=count_of(
                Response.objects.filter(
                    cycle_id=cycle.pk,
                    status=Response.Status.DRAFT,
                    respondent__memberships__team_id=team.pk,
                    respondent__memberships__role=MEMBER,
                )
            ),
        )
        members, submitted, in_progress = (
            counts["members"],
            counts["submitted"],
            counts["in_progress"],
        )

    trend = []
    for c in trend_cycles:
        group = team_groups.get(c.publication_pk) if c.publication_pk else None
        axes = axes_of(group) if group is not None and group.n else None
        trend.append(
            CyclePoint(
                cycle_pk=c.pk,
                cycle_name=c.name,
                counted=group.n if group else 0,
                k=c.k,
                leadership=axes.leadership if axes else None,
                management=axes.management if axes else None,
                waiting=c.waiting,
            )
        )
    team_figures = figures_of(current) if current is not None else None
    figures = None
    steps: tuple[next_steps_.NextStep, ...] = ()
    if team_figures is not None:
        org_figures = figures_of(org_group) if org_group is not None else None
        figures = TeamFigures(
            team=team_figures,
            org=org_figures,
            dimensions=with_reference(team_figures, org_figures),
        )
        steps = next_steps_.next_steps(
            figures.dimensions,
            team_name=team.name,
            tips=next_steps_.team_tips(figures.dimensions),
        )
    earlier = [c for c in trend_cycles[:-1] if team_groups.get(c.publication_pk)]
    previous = earlier[-1] if earlier else None
    plan, last_plan = next_steps_.plans(
        team_pk=team.pk,
        cycle=cycle,
        previous=previous,
        figures={
            cycle.pk: team_figures,
            **(
                {previous.pk: figures_of(team_groups[previous.publication_pk])} if previous else {}
            ),
        },
    )
    return TeamDashboard(
        **base,
        members=members,
        cycle=cycle,
        submitted=submitted,
        in_progress=in_progress,
        k=cycle.k,
        figures=figures,
        trend=tuple(trend),
        latest_published=next((c for c in cycles if c.publication_pk), None),
        next_steps=steps,
        plan=plan,
        last_plan=last_plan,
    )
