"""Reads for the managers' and HR's screens: team dashboards and the organisation overview.

Every figure is aggregated in the database from the scores stored at submission (a few
small rows per person), never by looping over answers in Python. Drafts are never counted.

Privacy is enforced here, not in templates: a group with fewer submitted responses than
the cycle's minimum group size k gets a dataclass that carries only "n of k" and no figure
at all, so no template, chart or CSV can leak what it never received.

- A team is its members (role "member"); its managers' own responses are left out, so a
  manager never sits inside the group they are looking at.
- The organisation reference is left out when the rest of the organisation (everyone
  outside the team, less the viewer's own response) is smaller than k: otherwise
  "organisation minus team" would isolate a small group.
- Teams overlap (a person may be in several). When two teams' submitted members differ
  by 1 to k-1 people, subtracting one team's figures from the other's would describe
  that small group, so both teams' figures are withheld for that cycle.
- Organisation-wide figures are cached (see ORG_CACHE_SECONDS for how stale they may be).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Avg, Count, F, IntegerField, Q, StdDev, Value
from django.db.models.functions import Cast, Floor, Least
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from . import scoring
from .models import Cycle, DimensionScore, Membership, Response, Team

SUBMITTED = Response.Status.SUBMITTED
DRAFT = Response.Status.DRAFT
MEMBER = Membership.Role.MEMBER

# The quadrant histogram has BINS x BINS cells of 100 / BINS points each: coarse on
# purpose, so a cell is a region of the chart, never a point that could be one person.
BINS = 5
# How many cycles (the chosen one and those before it) the trend shows.
TREND_CYCLES = 8

# Organisation-wide figures are cached per cycle. Bump the version when the cached
# dataclasses change shape. They may be up to this many seconds behind the latest
# submissions or erasures (erasing drops them at once in this process, and in every
# process when the cache is shared through REDIS_URL).
ORG_CACHE_VERSION = 2
ORG_CACHE_SECONDS = 300


# --- small value types ----------------------------------------------------------------------


@dataclass(frozen=True)
class CycleRef:
    pk: int
    name: str
    opens_at: datetime
    closes_at: datetime
    k: int

    @property
    def is_open(self) -> bool:
        return self.opens_at <= timezone.now() < self.closes_at


@dataclass(frozen=True)
class Axes:
    """Mean and standard deviation of the two axis scores and the balance (0-100)."""

    leadership: float
    management: float
    balance: float
    leadership_sd: float
    management_sd: float
    balance_sd: float

    @property
    def profile_label(self) -> str:
        return scoring.profile_for(self.leadership, self.management).label


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
    def spread_low(self) -> float:
        return max(0.0, self.mean - self.sd)

    @property
    def spread_high(self) -> float:
        return min(100.0, self.mean + self.sd)

    @property
    def difference(self) -> float | None:
        return None if self.org_mean is None else self.mean - self.org_mean


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
class CyclePoint:
    """The team in one cycle of the trend; None figures mark a gap (fewer than k)."""

    cycle_pk: int
    cycle_name: str
    submitted: int
    k: int
    leadership: float | None
    management: float | None

    @property
    def is_gap(self) -> bool:
        return self.leadership is None


@dataclass(frozen=True)
class OrgFigures:
    """The whole organisation in one cycle; ``axes`` is None below k."""

    cycle_pk: int
    submitted: int
    k: int
    axes: Axes | None
    dimensions: tuple[DimensionFigure, ...]
    computed_at: datetime

    @property
    def dimension_by_id(self) -> dict[int, DimensionFigure]:
        return {d.dimension_id: d for d in self.dimensions}


@dataclass(frozen=True)
class TeamFigures:
    """Everything shown about a team in a cycle with at least k submitted responses."""

    in_progress: int
    axes: Axes
    org_axes: Axes | None  # None when the rest of the organisation is below k
    org_submitted: int | None
    org_computed_at: datetime | None
    dimensions: tuple[DimensionFigure, ...]
    quadrant: tuple[QuadrantCell, ...]
    profiles: tuple[ProfileCount, ...]
    trend: tuple[CyclePoint, ...]
    bins: int = BINS


@dataclass(frozen=True)
class TeamDashboard:
    """A team's dashboard for one cycle. Below k, ``figures`` is None: only n of k is known."""

    team_pk: int
    team_name: str
    members: int
    cycle: CycleRef | None  # None when no cycle has started yet
    cycles: tuple[CycleRef, ...]
    submitted: int
    k: int
    figures: TeamFigures | None
    overlapping: bool = False  # withheld because another team differs by fewer than k

    @property
    def withheld(self) -> bool:
        return self.figures is None

    @property
    def response_rate(self) -> int | None:
        if self.figures is None or not self.members:
            return None
        return round(100 * self.submitted / self.members)


@dataclass(frozen=True)
class TeamRow:
    """A line of the team list or organisation overview; ``axes`` is None below k."""

    team_pk: int
    team_name: str
    members: int
    submitted: int
    k: int | None
    axes: Axes | None = None
    overlapping: bool = False

    @property
    def withheld(self) -> bool:
        return self.axes is None

    @property
    def response_rate(self) -> int | None:
        if self.axes is None or not self.members:
            return None
        return round(100 * self.submitted / self.members)


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
    org: OrgFigures | None
    quadrant: tuple[QuadrantCell, ...]
    teams: tuple[TeamRow, ...]
    bins: int = BINS

    @property
    def response_rate(self) -> int | None:
        if self.org is None or self.org.axes is None or not self.people:
            return None
        return round(100 * self.people_submitted / self.people)

    @property
    def teams_shown(self) -> int:
        return sum(1 for t in self.teams if not t.withheld)


# --- helpers ------------------------------------------------------------------------------


def _axes_aggregates(prefix: str = "", *, where: Q | None = None) -> dict:
    """Mean and SD of the stored axis scores, as keyword arguments for aggregate()."""
    out = {}
    for name, field in (
        ("leadership", "leadership_score"),
        ("management", "management_score"),
        ("balance", "balance"),
    ):
        # Aliases must not shadow field names (Response has a "balance" column).
        out["mean_" + name] = Avg(prefix + field, filter=where)
        out["sd_" + name] = StdDev(prefix + field, filter=where)
    return out


def _axes(row: dict) -> Axes:
    return Axes(
        leadership=row["mean_leadership"],
        management=row["mean_management"],
        balance=row["mean_balance"],
        leadership_sd=row["sd_leadership"] or 0.0,
        management_sd=row["sd_management"] or 0.0,
        balance_sd=row["sd_balance"] or 0.0,
    )


def _bin(field: str):
    width = 100 / BINS
    # A score of exactly 100 belongs to the top bin, not to a bin of its own.
    return Least(Cast(Floor(F(field) / width), IntegerField()), Value(BINS - 1))


def _quadrant(responses) -> tuple[QuadrantCell, ...]:
    rows = (
        responses.annotate(lb=_bin("leadership_score"), mb=_bin("management_score"))
        .values("lb", "mb")
        .annotate(n=Count("pk"))
        .order_by("lb", "mb")
    )
    return tuple(
        QuadrantCell(leadership_bin=int(r["lb"]), management_bin=int(r["mb"]), count=r["n"])
        for r in rows
    )


def _dimension_figures(scores, *, k: int) -> tuple[DimensionFigure, ...]:
    rows = (
        scores.values(
            "dimension_id",
            "dimension__code",
            "dimension__name",
            "dimension__axis",
            "dimension__order",
        )
        .annotate(mean=Avg("score"), sd=StdDev("score"), n=Count("pk"))
        .order_by("dimension__order", "dimension_id")
    )
    return tuple(
        DimensionFigure(
            dimension_id=r["dimension_id"],
            code=r["dimension__code"],
            name=r["dimension__name"],
            axis=r["dimension__axis"],
            mean=r["mean"],
            sd=r["sd"] or 0.0,
        )
        for r in rows
        # Each dimension is its own group: never show one that fewer than k people scored.
        if r["n"] >= k
    )


def _cycle_refs() -> tuple[CycleRef, ...]:
    """Every cycle that has opened, newest first (one query)."""
    return tuple(
        CycleRef(pk=pk, name=name, opens_at=opens, closes_at=closes, k=max(k, _floor()))
        for pk, name, opens, closes, k in Cycle.objects.started()
        .order_by("-opens_at", "-pk")
        .values_list("pk", "name", "opens_at", "closes_at", "min_group_size")
    )


def _floor() -> int:
    """The smallest k the site allows, whatever a cycle says."""
    return settings.LVM_MIN_GROUP_SIZE_FLOOR


def _pick(cycles: tuple[CycleRef, ...], cycle_pk: int | None) -> CycleRef | None:
    """The chosen cycle, or the latest to have opened; raises LookupError for an unknown one."""
    if cycle_pk is None:
        return cycles[0] if cycles else None
    for c in cycles:
        if c.pk == cycle_pk:
            return c
    raise LookupError(cycle_pk)


def _team_members(team_pk: int, prefix: str = "") -> Q:
    """Responses of the team's members.

    A join, not ``respondent_id IN (subquery)``: PostgreSQL then walks from the team's
    memberships into the responses by their respondent index (a nested loop over the
    team) instead of hashing every response of the cycle (docs/benchmarks.md). A person
    is in a team at most once, so the join never counts anyone twice.
    """
    return Q(
        **{
            prefix + "respondent__memberships__team_id": team_pk,
            prefix + "respondent__memberships__role": MEMBER,
        }
    )


# --- teams a person may look at -------------------------------------------------------------


def visible_teams(*, user: AbstractBaseUser):
    """Teams whose dashboards the person may open: those they manage; every team for staff.

    Annotates ``member_count`` (people with the member role).
    """
    teams = Team.objects.annotate(
        member_count=Count("memberships", filter=Q(memberships__role=MEMBER))
    )
    if user.is_staff:
        return teams
    managed = Membership.objects.filter(user=user, role=Membership.Role.MANAGER).values("team_id")
    return teams.filter(pk__in=managed)


def team_for_manager(*, user: AbstractBaseUser, team_pk: int) -> Team | None:
    """The team if the person manages it (or is staff), with ``member_count``; else None."""
    return visible_teams(user=user).filter(pk=team_pk).first()


def team_list(*, user: AbstractBaseUser) -> TeamList:
    """The person's teams with their size and, for the latest cycle, n of k or the figures."""
    teams = list(visible_teams(user=user).order_by("name"))
    cycle = _pick(_cycle_refs(), None)
    if cycle is None:
        rows = tuple(
            TeamRow(team_pk=t.pk, team_name=t.name, members=t.member_count, submitted=0, k=None)
            for t in teams
        )
        return TeamList(cycle=None, teams=rows)
    team_ids = None if user.is_staff else [t.pk for t in teams]
    per_team = _per_team(cycle, team_ids=team_ids)
    blocked = _overlap_blocked([cycle], team_ids=team_ids)
    return TeamList(
        cycle=cycle,
        teams=tuple(
            _team_row(cycle, t.pk, t.name, t.member_count, per_team, blocked) for t in teams
        ),
    )


def _per_team(cycle: CycleRef, *, team_ids: list[int] | None) -> dict[int, dict]:
    """Submitted count and axis figures per team for a cycle, in one grouped query."""
    memberships = Membership.objects.filter(role=MEMBER)
    if team_ids is not None:
        memberships = memberships.filter(team_id__in=team_ids)
    rows = (
        memberships.filter(user__responses__cycle_id=cycle.pk, user__responses__status=SUBMITTED)
        .values("team_id")
        .annotate(submitted=Count("pk"), **_axes_aggregates("user__responses__"))
        .order_by()
    )
    return {r["team_id"]: r for r in rows}


_OVERLAP_SQL = """
SELECT p.cycle_id, p.t, p.shared,
  (SELECT COUNT(*) FROM {m} m3 JOIN {r} r3 ON r3.respondent_id = m3.user_id
    WHERE m3.team_id = p.t AND m3.role = %s AND r3.cycle_id = p.cycle_id AND r3.status = %s),
  (SELECT COUNT(*) FROM {m} m4 JOIN {r} r4 ON r4.respondent_id = m4.user_id
    WHERE m4.team_id = p.u AND m4.role = %s AND r4.cycle_id = p.cycle_id AND r4.status = %s)
FROM (
  SELECT r.cycle_id AS cycle_id, a.team_id AS t, b.team_id AS u, COUNT(*) AS shared
  FROM {m} a
  JOIN {m} b ON b.user_id = a.user_id AND b.team_id <> a.team_id AND b.role = %s
  JOIN {r} r ON r.respondent_id = a.user_id
  WHERE a.role = %s AND r.status = %s AND r.cycle_id IN ({cycles}) {teams}
  GROUP BY r.cycle_id, a.team_id, b.team_id
) p
"""


def _overlap_blocked(
    cycles: list[CycleRef], *, team_ids: list[int] | None
) -> set[tuple[int, int]]:
    """(cycle, team) pairs to withhold because another team differs by 1 to k-1 people.

    One query: for every pair of teams sharing submitted members, the shared count and
    both sizes; the difference between the two groups is size + size - 2 * shared.
    Only people in several teams produce pairs, so it is cheap when teams do not overlap.
    """
    if not cycles or team_ids == []:
        return set()
    k_of = {c.pk: c.k for c in cycles}
    sql = _OVERLAP_SQL.format(
        m=Membership._meta.db_table,
        r=Response._meta.db_table,
        cycles=", ".join(["%s"] * len(cycles)),
        teams=""
        if team_ids is None
        else f"AND a.team_id IN ({', '.join(['%s'] * len(team_ids))})",
    )
    params = [MEMBER, SUBMITTED, MEMBER, SUBMITTED, MEMBER, MEMBER, SUBMITTED, *k_of]
    params += team_ids or []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        (cycle_pk, team_pk)
        for cycle_pk, team_pk, shared, size_t, size_u in rows
        if 0 < size_t + size_u - 2 * shared < k_of[cycle_pk]
    }


def _team_row(
    cycle: CycleRef,
    pk: int,
    name: str,
    members: int,
    per_team: dict,
    blocked: set[tuple[int, int]],
) -> TeamRow:
    row = per_team.get(pk)
    submitted = row["submitted"] if row else 0
    overlapping = submitted >= cycle.k and (cycle.pk, pk) in blocked
    return TeamRow(
        team_pk=pk,
        team_name=name,
        members=members,
        submitted=submitted,
        k=cycle.k,
        axes=_axes(row) if submitted >= cycle.k and not overlapping else None,
        overlapping=overlapping,
    )


# --- the organisation -----------------------------------------------------------------------


def _org_cache_key(cycle_pk: int) -> str:
    return f"lvm:dashboards:org:v{ORG_CACHE_VERSION}:cycle:{cycle_pk}"


def organisation_figures(*, cycle: CycleRef) -> OrgFigures:
    """Organisation-wide figures for a cycle: from the cache, or two aggregate queries."""
    key = _org_cache_key(cycle.pk)
    figures = cache.get(key)
    if figures is not None:
        return figures
    responses = Response.objects.filter(cycle_id=cycle.pk, status=SUBMITTED)
    row = responses.aggregate(submitted=Count("pk"), **_axes_aggregates())
    shown = row["submitted"] >= cycle.k
    figures = OrgFigures(
        cycle_pk=cycle.pk,
        submitted=row["submitted"],
        k=cycle.k,
        axes=_axes(row) if shown else None,
        dimensions=_dimension_figures(
            DimensionScore.objects.filter(response__cycle_id=cycle.pk, response__status=SUBMITTED),
            k=cycle.k,
        )
        if shown
        else (),
        computed_at=timezone.now(),
    )
    timeout = ORG_CACHE_SECONDS
    cache.set(key, figures, timeout)
    return figures


def forget_organisation_figures(*, cycle_pk: int) -> None:
    """Drop a cycle's cached organisation figures and overview (e.g. after erasing data)."""
    cache.delete_many([_org_cache_key(cycle_pk), _overview_cache_key(cycle_pk)])


def _overview_cache_key(cycle_pk: int) -> str:
    return f"lvm:dashboards:overview:v{ORG_CACHE_VERSION}:cycle:{cycle_pk}"


def organisation_overview(*, cycle_pk: int | None = None) -> OrganisationOverview | None:
    """Staff's view of a cycle: organisation figures and one line per team (below k: n of k).

    None when ``cycle_pk`` names no cycle that has opened. Cached like the organisation
    figures, for the same time.
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
            org=None,
            quadrant=(),
            teams=(),
        )
    key = _overview_cache_key(cycle.pk)
    cached = cache.get(key)
    if cached is not None:
        people, people_submitted, quadrant, teams = cached
    else:
        people, people_submitted, quadrant, teams = _overview_parts(cycle)
        timeout = ORG_CACHE_SECONDS
        cache.set(key, (people, people_submitted, quadrant, teams), timeout)
    org = organisation_figures(cycle=cycle)
    return OrganisationOverview(
        cycle=cycle,
        cycles=cycles,
        people=people,
        people_submitted=people_submitted,
        org=org,
        quadrant=quadrant if org.axes is not None else (),
        teams=teams,
    )


def _overview_parts(cycle: CycleRef):
    members = Membership.objects.filter(role=MEMBER).values("user_id").distinct()
    people = members.count()
    people_submitted = Response.objects.filter(
        cycle_id=cycle.pk, status=SUBMITTED, respondent_id__in=members
    ).count()
    quadrant = _quadrant(Response.objects.filter(cycle_id=cycle.pk, status=SUBMITTED))
    per_team = _per_team(cycle, team_ids=None)
    blocked = _overlap_blocked([cycle], team_ids=None)
    teams = tuple(
        _team_row(cycle, pk, name, members, per_team, blocked)
        for pk, name, members in Team.objects.annotate(
            n=Count("memberships", filter=Q(memberships__role=MEMBER))
        )
        .order_by("name")
        .values_list("pk", "name", "n")
    )
    return people, people_submitted, quadrant, teams


# --- one team -------------------------------------------------------------------------------


def team_dashboard(*, team: Team, cycle_pk: int | None = None) -> TeamDashboard | None:
    """A team's dashboard for a cycle (the latest to have opened by default).

    ``team`` comes from team_for_manager (it carries ``member_count``). Returns None when
    ``cycle_pk`` names no cycle that has opened. The number of queries does not depend on
    the size of the team: cycles, per-cycle team figures, dimensions, quadrant, and the
    cached organisation figures (two more queries when the cache is cold).
    """
    cycles = _cycle_refs()
    try:
        cycle = _pick(cycles, cycle_pk)
    except LookupError:
        return None
    members = getattr(team, "member_count", None)
    if members is None:
        members = team.memberships.filter(role=MEMBER).count()
    if cycle is None:
        return TeamDashboard(
            team_pk=team.pk,
            team_name=team.name,
            members=members,
            cycle=None,
            cycles=cycles,
            submitted=0,
            k=_floor(),
            figures=None,
        )

    # The chosen cycle and the ones before it, oldest first, for the trend.
    index = cycles.index(cycle)
    trend_cycles = list(reversed(cycles[index : index + TREND_CYCLES]))
    submitted = Q(status=SUBMITTED)
    per_cycle = {
        r["cycle_id"]: r
        for r in Response.objects.filter(_team_members(team.pk))
        .filter(cycle_id__in=[c.pk for c in trend_cycles])
        .values("cycle_id")
        .annotate(
            submitted=Count("pk", filter=submitted),
            drafts=Count("pk", filter=Q(status=DRAFT)),
            **_axes_aggregates(where=submitted),
            **{
                "profile_" + p.value: Count("pk", filter=Q(status=SUBMITTED, profile=p.value))
                for p in scoring.Profile
            },
        )
        .order_by()
    }
    current = per_cycle.get(cycle.pk)
    n = current["submitted"] if current else 0
    base = {
        "team_pk": team.pk,
        "team_name": team.name,
        "members": members,
        "cycle": cycle,
        "cycles": cycles,
        "submitted": n,
        "k": cycle.k,
    }
    if n < cycle.k:
        return TeamDashboard(**base, figures=None)
    blocked = _overlap_blocked(trend_cycles, team_ids=[team.pk])
    if (cycle.pk, team.pk) in blocked:
        return TeamDashboard(**base, figures=None, overlapping=True)

    responses = Response.objects.filter(
        _team_members(team.pk), cycle_id=cycle.pk, status=SUBMITTED
    )
    dimensions = _dimension_figures(
        DimensionScore.objects.filter(
            _team_members(team.pk, "response__"),
            response__cycle_id=cycle.pk,
            response__status=SUBMITTED,
        ),
        k=cycle.k,
    )
    quadrant = _quadrant(responses)

    org = organisation_figures(cycle=cycle)
    # Organisation minus this team, less the viewer's own response (a manager's is in the
    # organisation but not in the team), must itself be a group of at least k.
    org_shown = org.axes is not None and org.submitted - n - 1 >= cycle.k
    if org_shown:
        by_id = org.dimension_by_id
        dimensions = tuple(
            DimensionFigure(
                dimension_id=d.dimension_id,
                code=d.code,
                name=d.name,
                axis=d.axis,
                mean=d.mean,
                sd=d.sd,
                org_mean=by_id[d.dimension_id].mean if d.dimension_id in by_id else None,
                org_sd=by_id[d.dimension_id].sd if d.dimension_id in by_id else None,
            )
            for d in dimensions
        )

    trend = []
    for c in trend_cycles:
        row = per_cycle.get(c.pk)
        count = row["submitted"] if row else 0
        shown = count >= c.k and (c.pk, team.pk) not in blocked
        trend.append(
            CyclePoint(
                cycle_pk=c.pk,
                cycle_name=c.name,
                submitted=count,
                k=c.k,
                leadership=row["mean_leadership"] if shown else None,
                management=row["mean_management"] if shown else None,
            )
        )
    figures = TeamFigures(
        in_progress=current["drafts"],
        axes=_axes(current),
        org_axes=org.axes if org_shown else None,
        org_submitted=org.submitted if org_shown else None,
        org_computed_at=org.computed_at if org_shown else None,
        dimensions=dimensions,
        quadrant=quadrant,
        profiles=tuple(
            ProfileCount(label=p.label, count=current["profile_" + p.value])
            for p in scoring.Profile
        ),
        trend=tuple(trend),
    )
    return TeamDashboard(**base, figures=figures)


# --- CSV ------------------------------------------------------------------------------------


def _r(value: float | None) -> float | str:
    return "" if value is None else round(value, 1)


def team_export_rows(dashboard: TeamDashboard) -> list[list]:
    """Exactly the aggregates the dashboard shows, as CSV rows; below k only n of k."""
    rows: list[list] = [
        ["section", "measure", "team", "organisation"],
        ["about", "team", dashboard.team_name, ""],
        ["about", "cycle", dashboard.cycle.name if dashboard.cycle else "", ""],
        ["about", "members", dashboard.members, ""],
        ["about", "minimum group size (k)", dashboard.k, ""],
        ["about", "submitted", dashboard.submitted, ""],
    ]
    figures = dashboard.figures
    if figures is None:
        status = (
            f"hidden: overlaps another team by fewer than {dashboard.k} people"
            if dashboard.overlapping
            else f"not enough responses yet ({dashboard.submitted} of {dashboard.k})"
        )
        rows.append(["about", "status", status, ""])
        return rows
    org = figures.org_axes
    rows += [
        ["about", "in progress", figures.in_progress, ""],
        ["about", "response rate (%)", dashboard.response_rate, ""],
        ["about", "organisation responses", "", figures.org_submitted or ""],
    ]
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
                _r(getattr(org, attr)) if org else "",
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
    for point in figures.trend:
        if point.is_gap:
            status = f"not enough responses ({point.submitted} of {point.k})"
            rows.append(["trend", f"{point.cycle_name}: leadership", status, ""])
            rows.append(["trend", f"{point.cycle_name}: management", status, ""])
        else:
            rows.append(["trend", f"{point.cycle_name}: leadership", _r(point.leadership), ""])
            rows.append(["trend", f"{point.cycle_name}: management", _r(point.management), ""])
    return rows


@receiver(post_delete, sender=Response)
def _forget_after_erasure(sender, instance: Response, **kwargs) -> None:
    """Erased responses (in the admin, or with their person) leave the cached figures."""
    cycle_pk = instance.cycle_id
    transaction.on_commit(lambda: forget_organisation_figures(cycle_pk=cycle_pk))
