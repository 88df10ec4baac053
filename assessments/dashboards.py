"""Reads for the managers' and HR's screens: team dashboards and the organisation overview.

Every figure comes from a publication (``services.publish_cycle``): stored aggregates of
each team and of the organisation, made once when a cycle closes (or in steps of at
least k people while it is open, if the cycle says so) over the teams people belonged
to when they submitted. Nothing here reads another person's scores. Apart from the
publications, the pages only count who has submitted or started, for the response rate.

Privacy is settled when a publication is made (``privacy.admit``): whoever could be
singled out by combining published figures is not in any of them. What remains to do
here is to show no more precision than the page does: figures leave this module rounded
to one decimal (the CSV's precision), pages round them to whole numbers, and the
difference from the organisation is taken between the whole numbers shown.

A cycle is published on the first read after it closes, so no scheduler is needed
(``manage.py publish_results`` does the same for cron).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Count,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Q,
    Subquery,
    Sum,
)
from django.utils import timezone

from . import scoring, services
from .models import Cycle, Membership, PublishedGroup, Response, Team, TeamSnapshot
from .roles import roles

MEMBER = Membership.Role.MEMBER
BINS = services.BINS
# How many cycles (the chosen one and those before it) the trend shows.
TREND_CYCLES = 8


# --- rounding -------------------------------------------------------------------------------


def _half_up(value: float, scale: int) -> float:
    """Round half away from zero at 1/scale, as the printed decimal reads (0.15 -> 0.2).

    The tiny extra over 0.5 absorbs binary noise (0.15 * 10 is 1.4999999999999998);
    figures are means of scores, far coarser than that. Checked against Decimal's
    ROUND_HALF_UP on 600,000 values in the tests.
    """
    return math.copysign(math.floor(abs(value) * scale + 0.5000000001), value) / scale


def one_decimal(value: float) -> float:
    """The precision of the CSV (half away from zero, like the pages' whole numbers)."""
    return _half_up(value, 10) + 0.0  # + 0.0 turns -0.0 into 0.0


def whole(value: float) -> int:
    """The number a page shows for a one-decimal figure (the same rule as floatformat:0)."""
    return int(_half_up(value, 1))


# --- small value types ----------------------------------------------------------------------


@dataclass(frozen=True)
class CycleRef:
    pk: int
    name: str
    opens_at: datetime
    closes_at: datetime
    k: int
    show_while_open: bool
    publication_pk: int | None  # the latest publication, if any
    final: bool  # published after closing: its figures never change again
    published_at: datetime | None
    in_teams: int = 0  # people who were in a team when they submitted, as published

    @property
    def is_open(self) -> bool:
        return self.opens_at <= timezone.now() < self.closes_at

    @property
    def waiting(self) -> bool:
        """Open, and figures are kept until it closes."""
        return self.is_open and not self.show_while_open


@dataclass(frozen=True)
class Axes:
    """Mean and standard deviation of the two axis scores and the balance (0-100)."""

    leadership: float
    management: float
    balance: float
    leadership_sd: float | None  # None on a line of a team list (means only)
    management_sd: float | None
    balance_sd: float | None

    @property
    def profile_label(self) -> str:
        return scoring.profile_for(self.leadership, self.management).label

    @property
    def balance_shown(self) -> int:
        """The balance a page shows: the difference of the two whole numbers it shows."""
        return whole(self.leadership) - whole(self.management)

    # The whole numbers a page shows (precomputed here, not formatted in the template).
    @property
    def leadership_shown(self) -> int:
        return whole(self.leadership)

    @property
    def management_shown(self) -> int:
        return whole(self.management)

    @property
    def leadership_sd_shown(self) -> int:
        return whole(self.leadership_sd)

    @property
    def management_sd_shown(self) -> int:
        return whole(self.management_sd)


@dataclass(frozen=True)
class DimensionFigure:
    """One dimension: the group's mean and standard deviation, and the organisation's."""

    dimension_id: int
    code: str
    name: str
    axis: str
    mean: float
    sd: float
    org_mean: float | None = None
    org_sd: float | None = None

    @property
    def spread_low(self) -> int:
        return max(0, whole(self.mean) - whole(self.sd))

    @property
    def spread_high(self) -> int:
        return min(100, whole(self.mean) + whole(self.sd))

    @property
    def difference(self) -> int | None:
        """Team minus organisation, between the whole numbers the page shows."""
        return None if self.org_mean is None else whole(self.mean) - whole(self.org_mean)

    @property
    def mean_shown(self) -> int:
        return whole(self.mean)

    @property
    def sd_shown(self) -> int:
        return whole(self.sd)

    @property
    def org_mean_shown(self) -> int | None:
        return None if self.org_mean is None else whole(self.org_mean)


@dataclass(frozen=True)
class QuadrantCell:
    """How many people fall in one cell of the leadership x management grid."""

    leadership_bin: int
    management_bin: int
    count: int

    @property
    def leadership_range(self) -> tuple[int, int]:
        return _bin_range(self.leadership_bin)

    @property
    def management_range(self) -> tuple[int, int]:
        return _bin_range(self.management_bin)


def _bin_range(index: int) -> tuple[int, int]:
    width = 100 // BINS
    return index * width, 100 if index == BINS - 1 else (index + 1) * width


@dataclass(frozen=True)
class ProfileCount:
    label: str
    count: int


@dataclass(frozen=True)
class GroupFigures:
    """The published figures of one team or of the organisation."""

    counted: int  # people in the figures
    submitted: int  # people who had submitted when it was published
    members: int  # members when it was published
    axes: Axes
    dimensions: tuple[DimensionFigure, ...]
    quadrant: tuple[QuadrantCell, ...]
    profiles: tuple[ProfileCount, ...]
    changed_at: datetime


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
        return None if self.leadership is None else whole(self.leadership)

    @property
    def management_shown(self) -> int | None:
        return None if self.management is None else whole(self.management)


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
        if not self.members:
            return None
        return min(100, round(100 * self.submitted / self.members))

    @property
    def has_trend(self) -> bool:
        return any(not p.is_gap for p in self.trend)


@dataclass(frozen=True)
class TeamRow:
    """A line of the team list or organisation overview; ``axes`` is None without figures."""

    team_pk: int
    team_name: str
    members: int
    submitted: int
    k: int | None
    axes: Axes | None = None
    counted: int = 0
    waiting: bool = False

    @property
    def withheld(self) -> bool:
        return self.axes is None

    @property
    def response_rate(self) -> int | None:
        if not self.members:
            return None
        return min(100, round(100 * self.submitted / self.members))

    @property
    def left_out(self) -> int:
        return 0 if self.waiting else max(0, self.submitted - self.counted)

    @property
    def shown(self) -> tuple[int, int, int] | None:
        """Leadership, management and balance as the page shows them."""
        if self.axes is None:
            return None
        return whole(self.axes.leadership), whole(self.axes.management), self.axes.balance_shown


@dataclass(frozen=True)
class TeamList:
    cycle: CycleRef | None
    teams: tuple[TeamRow, ...]


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
        if not self.people:
            return None
        return min(100, round(100 * self.people_submitted / self.people))

    @property
    def teams_shown(self) -> int:
        return sum(1 for t in self.teams if not t.withheld)

    @property
    def left_out(self) -> int:
        if self.org is None:
            return 0
        return max(0, self.org.submitted - self.org.counted)

    @property
    def quadrant(self) -> tuple[QuadrantCell, ...]:
        return self.org.quadrant if self.org else ()


# --- cycles and their publications ----------------------------------------------------------


def _count(queryset, field: str = "pk", *, distinct: bool = False) -> Subquery:
    """How many rows (or distinct values of ``field``) a queryset has, for annotate()."""
    extra = {"template": "%(function)s(DISTINCT %(expressions)s)"} if distinct else {}
    # DISTINCT on the queryset would apply after COUNT, so it goes inside the COUNT.
    return Subquery(
        queryset.order_by().annotate(c=Func(F(field), function="COUNT", **extra)).values("c"),
        output_field=IntegerField(),
    )


def _counts(cycle_pk: int, **counts: Subquery) -> dict[str, int]:
    """Several counts in one query (``counts`` as made by _count)."""
    row = Cycle.objects.filter(pk=cycle_pk).annotate(**counts).values(*counts).get()
    return {name: value or 0 for name, value in row.items()}


_CYCLE_FIELDS = (
    "pk",
    "name",
    "opens_at",
    "closes_at",
    "min_group_size",
    "show_while_open",
    "publish_checked",
    "latest__pk",
    "latest__step",
    "latest__is_final",
    "latest__published_at",
    "latest__k",
    "latest__in_teams",
)


def _cycle_rows(now) -> list[dict]:
    """Started cycles, newest first, each with its latest publication (one query).

    A join to the one publication marked latest rather than a subquery per field:
    cheaper to build and to plan on every dashboard read, however many steps a live
    cycle has published. A cycle showing figures while open also gets ``pending``, the
    number of responses waiting to be published, and their ``fingerprint`` (one more
    query, only then).
    """
    rows = list(
        Cycle.objects.started(now)
        .annotate(
            latest=FilteredRelation("publications", condition=Q(publications__is_latest=True))
        )
        .order_by("-opens_at", "-pk")
        .values(*_CYCLE_FIELDS)
    )
    live = [c["pk"] for c in rows if c["show_while_open"] and c["closes_at"] > now]
    waiting = {}
    if live:
        waiting = {
            cycle_pk: (n, pk_sum)
            for cycle_pk, n, pk_sum in Response.objects.filter(
                cycle_id__in=live, status=Response.Status.SUBMITTED, published_step__isnull=True
            )
            .values("cycle_id")
            .annotate(n=Count("pk"), s=Sum("pk"))
            .values_list("cycle_id", "n", "s")
            .order_by()
        }
    for row in rows:
        n, pk_sum = waiting.get(row["pk"], (0, 0))
        row["pending"] = n
        row["fingerprint"] = services.waiting_fingerprint(n, pk_sum or 0)
    return rows


def _cycle_refs() -> tuple[CycleRef, ...]:
    """Every cycle that has opened, newest first, publishing any that is due.

    One query, plus the publishing itself on the rare read that finds a cycle due.
    """
    now = timezone.now()
    floor = settings.LVM_MIN_GROUP_SIZE_FLOOR
    rows = _cycle_rows(now)
    due = [
        c
        for c in rows
        if (c["closes_at"] <= now and not c["latest__is_final"])
        or (
            c["show_while_open"]
            and c["closes_at"] > now
            and c["pending"] >= max(c["min_group_size"], floor)
            and c["fingerprint"] != c["publish_checked"]
        )
    ]
    if due:
        for cycle in due:
            services.publish_cycle(cycle=Cycle(pk=cycle["pk"]), now=now)
        rows = _cycle_rows(now)
    refs = []
    for c in rows:
        final = bool(c["latest__is_final"])
        refs.append(
            CycleRef(
                pk=c["pk"],
                name=c["name"],
                opens_at=c["opens_at"],
                closes_at=c["closes_at"],
                # A closed cycle keeps the k it was published with, should k be raised.
                k=c["latest__k"] if final else max(c["min_group_size"], floor),
                show_while_open=c["show_while_open"],
                publication_pk=c["latest__pk"],
                final=final,
                published_at=c["latest__published_at"],
                in_teams=c["latest__in_teams"] or 0,
            )
        )
    return tuple(refs)


def _pick(cycles: tuple[CycleRef, ...], cycle_pk: int | None) -> CycleRef | None:
    """The chosen cycle, or the latest to have opened; raises LookupError for an unknown one."""
    if cycle_pk is None:
        return cycles[0] if cycles else None
    for c in cycles:
        if c.pk == cycle_pk:
            return c
    raise LookupError(cycle_pk)


# --- from stored sums to figures ------------------------------------------------------------


def _mean_sd(n: int, total: float, squares: float) -> tuple[float, float]:
    """Mean and standard deviation of the group itself (population: divided by n)."""
    mean = total / n
    variance = (squares - total * total / n) / n
    return mean, math.sqrt(max(variance, 0.0))


_MEAN_FIELDS = ("leadership_sum", "management_sum", "balance_sum")


def _axes(group, *, spread: bool = True) -> Axes:
    """Means and spreads from a published group (a model, or a namespace of its sums).

    Without ``spread`` the standard deviations are left out (None): a line of the
    overview shows means only, hundreds of times over.
    """
    n = group.n
    values = {}
    for name in ("leadership", "management", "balance"):
        total = getattr(group, name + "_sum")
        values[name] = one_decimal(total / n)
        if spread:
            _, sd = _mean_sd(n, total, getattr(group, name + "_sumsq"))
            values[name + "_sd"] = one_decimal(sd)
        else:
            values[name + "_sd"] = None
    return Axes(**values)


def _figures(group: PublishedGroup) -> GroupFigures | None:
    """The figures of a published group, or None when nobody is in it."""
    if not group.n:
        return None
    dimensions = []
    for pk, code, name, axis, n, total, squares in group.dimensions:
        # A dimension scored by only part of the group (items switched off mid-cycle)
        # would be a set of its own: never shown.
        if n != group.n:
            continue
        mean, sd = _mean_sd(n, total, squares)
        dimensions.append(
            DimensionFigure(
                dimension_id=pk,
                code=code,
                name=name,
                axis=axis,
                mean=one_decimal(mean),
                sd=one_decimal(sd),
            )
        )
    return GroupFigures(
        counted=group.n,
        submitted=group.submitted,
        members=group.members,
        axes=_axes(group),
        dimensions=tuple(dimensions),
        quadrant=tuple(
            QuadrantCell(leadership_bin=lb, management_bin=mb, count=count)
            for lb, mb, count in group.quadrant
        ),
        profiles=tuple(
            ProfileCount(label=p.label, count=group.profiles.get(p.value, 0))
            for p in scoring.Profile
        ),
        changed_at=group.changed_at,
    )


def _with_reference(team: GroupFigures, org: GroupFigures | None) -> tuple[DimensionFigure, ...]:
    if org is None:
        return team.dimensions
    by_code = {d.code: d for d in org.dimensions}
    return tuple(
        replace(
            d,
            org_mean=by_code[d.code].mean if d.code in by_code else None,
            org_sd=by_code[d.code].sd if d.code in by_code else None,
        )
        for d in team.dimensions
    )


# --- teams a person may look at -------------------------------------------------------------


def visible_teams(*, user: AbstractBaseUser, member_count: bool = True):
    """Teams whose dashboards the person may open: those they manage; every team for HR.

    Annotates ``member_count`` (people with the member role) unless told not to.
    """
    teams = Team.objects.all()
    if member_count:
        teams = teams.annotate(
            member_count=Count("memberships", filter=Q(memberships__role=MEMBER))
        )
    if roles(user).sees_organisation:
        return teams
    managed = Membership.objects.filter(user=user, role=Membership.Role.MANAGER).values("team_id")
    return teams.filter(pk__in=managed)


def team_for_manager(*, user: AbstractBaseUser, team_pk: int) -> Team | None:
    """The team if the person manages it (or is HR); else None.

    No member count: a closed cycle shows the one stored at publication, and an open one
    counts it with the other live figures.
    """
    managed = Team.objects.filter(
        pk=team_pk, memberships__user=user, memberships__role=Membership.Role.MANAGER
    ).first()
    if managed is not None:
        user._lvm_manages = True  # the navigation needs no query to know it
        return managed
    if roles(user).sees_organisation:
        return Team.objects.filter(pk=team_pk).first()
    return None


def _submitted_per_team(cycle: CycleRef, team_ids: list[int] | None) -> dict[int, int]:
    """Members who have submitted, per team (from the snapshot taken at submission)."""
    rows = TeamSnapshot.objects.filter(cycle_id=cycle.pk)
    if team_ids is not None:
        rows = rows.filter(team_id__in=team_ids)
    return dict(
        rows.values("team_id").annotate(n=Count("pk")).values_list("team_id", "n").order_by()
    )


def _team_rows(cycle: CycleRef, teams: list[tuple[int, str]], *, all_teams: bool):
    """One TeamRow per (pk, name) from the cycle's latest publication.

    A closed cycle shows the team's size and responses as published; while a cycle is
    open they are counted live (two grouped queries).
    """
    team_ids = None if all_teams else [pk for pk, _ in teams]
    groups = {}
    if cycle.publication_pk is not None:
        published = PublishedGroup.objects.filter(publication_id=cycle.publication_pk)
        if team_ids is None:
            published = published.filter(team__isnull=False)
        else:
            published = published.filter(team_id__in=team_ids)
        # Plain tuples, not model instances: hundreds of rows on the overview.
        groups = {
            row[0]: SimpleNamespace(
                n=row[1],
                members=row[2],
                submitted=row[3],
                leadership_sum=row[4],
                management_sum=row[5],
                balance_sum=row[6],
            )
            for row in published.order_by().values_list(
                "team_id", "n", "members", "submitted", *_MEAN_FIELDS
            )
        }
    live_submitted = live_members = {}
    if not cycle.final:
        live_submitted = _submitted_per_team(cycle, team_ids)
        members = Membership.objects.filter(role=MEMBER)
        if team_ids is not None:
            members = members.filter(team_id__in=team_ids)
        live_members = dict(
            members.values("team_id")
            .annotate(n=Count("pk"))
            .values_list("team_id", "n")
            .order_by()
        )
    waiting = cycle.waiting
    rows = []
    for pk, name in teams:
        group = groups.get(pk)
        if cycle.final and group is None:
            continue  # made after the cycle was published: it was not a team of that cycle
        shown = group is not None and group.n > 0
        rows.append(
            TeamRow(
                team_pk=pk,
                team_name=name,
                members=group.members if cycle.final else live_members.get(pk, 0),
                submitted=group.submitted if cycle.final else live_submitted.get(pk, 0),
                k=cycle.k,
                axes=_axes(group, spread=False) if shown else None,
                counted=group.n if group else 0,
                waiting=waiting,
            )
        )
    return tuple(rows)


def team_list(*, user: AbstractBaseUser) -> TeamList:
    """The person's teams with their size and, for the latest cycle, the published figures."""
    cycle = _pick(_cycle_refs(), None)
    visible = visible_teams(user=user, member_count=cycle is None).order_by("name")
    if cycle is None:
        rows = tuple(
            TeamRow(team_pk=t.pk, team_name=t.name, members=t.member_count, submitted=0, k=None)
            for t in visible
        )
        return TeamList(cycle=None, teams=rows)
    teams = list(visible.values_list("pk", "name"))
    # A manager's own team made after the cycle closed still gets its (empty) line.
    rows = _team_rows(cycle, teams, all_teams=roles(user).sees_organisation)
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


# --- the organisation -----------------------------------------------------------------------


def organisation_overview(*, cycle_pk: int | None = None) -> OrganisationOverview | None:
    """HR's view of a cycle: the organisation's published figures and one line per team.

    None when ``cycle_pk`` names no cycle that has opened. A closed cycle is read from its
    publication alone; an open one counts its responses live.
    """
    cycles = _cycle_refs()
    try:
        cycle = _pick(cycles, cycle_pk)
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
        counts = _counts(
            cycle.pk,
            people=_count(Membership.objects.filter(role=MEMBER), "user_id", distinct=True),
            people_submitted=_count(
                TeamSnapshot.objects.filter(cycle_id=cycle.pk), "response_id", distinct=True
            ),
            submitted=_count(
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
        org=_figures(org_group) if org_group else None,
        teams=_team_rows(cycle, teams, all_teams=True),
    )


# --- one team -------------------------------------------------------------------------------


def team_dashboard(*, team: Team, cycle_pk: int | None = None) -> TeamDashboard | None:
    """A team's dashboard for a cycle (the latest to have opened by default).

    ``team`` comes from team_for_manager. Returns None when ``cycle_pk`` names no cycle
    that has opened. Three queries whatever the team's size: the cycles, the published
    rows (this team in the trend's cycles, and the organisation), and the live counts
    while the cycle is open (a closed cycle shows the counts stored at publication).
    """
    cycles = _cycle_refs()
    try:
        cycle = _pick(cycles, cycle_pk)
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
        counts = _counts(
            cycle.pk,
            members=_count(members_now),
            submitted=_count(TeamSnapshot.objects.filter(cycle_id=cycle.pk, team_id=team.pk)),
            in_progress=_count(
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
        axes = _axes(group) if group is not None and group.n else None
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
    team_figures = _figures(current) if current is not None else None
    figures = None
    if team_figures is not None:
        org_figures = _figures(org_group) if org_group is not None else None
        figures = TeamFigures(
            team=team_figures,
            org=org_figures,
            dimensions=_with_reference(team_figures, org_figures),
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
    )


# --- CSV ------------------------------------------------------------------------------------


def _r(value: float | None) -> float | str:
    return "" if value is None else one_decimal(value)


def team_export_rows(dashboard: TeamDashboard) -> list[list]:
    """Exactly the aggregates the dashboard shows, as CSV rows (one decimal at most)."""
    cycle = dashboard.cycle
    rows: list[list] = [
        ["section", "measure", "team", "organisation"],
        ["about", "team", dashboard.team_name, ""],
        ["about", "cycle", cycle.name if cycle else "", ""],
        ["about", "minimum group size (k)", dashboard.k, ""],
    ]
    figures = dashboard.figures
    rows += [
        ["about", "members", dashboard.members, ""],
        ["about", "submitted", dashboard.submitted, ""],
    ]
    if cycle is not None and cycle.publication_pk is not None:
        rows.append(["about", "published", cycle.published_at.isoformat(), ""])
    if figures is None:
        if cycle is None:
            status = "no cycle has started"
        elif dashboard.waiting:
            status = f"figures are published when the cycle closes ({cycle.closes_at:%Y-%m-%d})"
        else:
            status = f"no figures: fewer than {dashboard.k} people could be counted"
        rows.append(["about", "status", status, ""])
        return rows
    org = figures.org
    rows += [
        ["about", "counted in the figures", figures.team.counted, org.counted if org else ""],
        ["about", "left out to protect privacy", dashboard.left_out, ""],
    ]
    if cycle.is_open:
        rows.append(["about", "in progress", dashboard.in_progress, ""])
    for label, attr in (
        ("leadership mean", "leadership"),
        ("leadership standard deviation", "leadership_sd"),
        ("management mean", "management"),
        ("management standard deviation", "management_sd"),
        ("balance mean", "balance"),
        ("balance standard deviation", "balance_sd"),
    ):
        rows.append(
            [
                "axes (0-100)",
                label,
                _r(getattr(figures.axes, attr)),
                _r(getattr(org.axes, attr)) if org else "",
            ]
        )
    for d in figures.dimensions:
        measure = f"{d.name} ({d.axis})"
        rows.append(["dimension mean", measure, _r(d.mean), _r(d.org_mean)])
        rows.append(["dimension standard deviation", measure, _r(d.sd), _r(d.org_sd)])
    for p in figures.profiles:
        rows.append(["profile (people)", p.label, p.count, ""])
    for cell in figures.quadrant:
        lo_l, hi_l = cell.leadership_range
        lo_m, hi_m = cell.management_range
        rows.append(
            [
                "quadrant (people)",
                f"leadership {lo_l}-{hi_l}, management {lo_m}-{hi_m}",
                cell.count,
                "",
            ]
        )
    for point in dashboard.trend:
        if point.is_gap:
            status = "no figures"
            rows.append(["trend", f"{point.cycle_name}: leadership", status, ""])
            rows.append(["trend", f"{point.cycle_name}: management", status, ""])
        else:
            rows.append(["trend", f"{point.cycle_name}: leadership", _r(point.leadership), ""])
            rows.append(["trend", f"{point.cycle_name}: management", _r(point.management), ""])
    return rows
