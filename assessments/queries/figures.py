"""What the managers' and HR's screens share: cycles, their publications, figures.

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
from django.db.models import Count, F, FilteredRelation, Func, IntegerField, Q, Subquery, Sum
from django.utils import timezone

from .. import scoring, services
from ..models import Cycle, Membership, PublishedGroup, Response, TeamSnapshot
from ..rounding import one_decimal, whole

MEMBER = Membership.Role.MEMBER
BINS = services.BINS


# --- rounding -------------------------------------------------------------------------------


def shown(value: float | None) -> int | None:
    """``whole`` for a figure that may be missing (None stays None)."""
    return None if value is None else whole(value)


def percent(part: int, total: int) -> int | None:
    """A response rate: whole percent, at most 100; None when there is nobody to ask."""
    if not total:
        return None
    return min(100, round(100 * part / total))


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
    leave_out_careless: bool = False  # the cycle leaves responses flagged careless out
    careless_left_out: int = 0  # so many, in the whole organisation, as published

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
        return shown(self.org_mean)


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
    def counts_shown(self) -> bool:
        """Whether how many submitted may be shown: not for a team of fewer than k, where
        "1 submitted" tells who (the participation page follows the same rule)."""
        return self.k is None or self.members >= self.k

    @property
    def response_rate(self) -> int | None:
        return percent(self.submitted, self.members) if self.counts_shown else None

    @property
    def left_out(self) -> int:
        return 0 if self.waiting else max(0, self.submitted - self.counted)

    @property
    def shown(self) -> tuple[int, int, int] | None:
        """Leadership, management and balance as the page shows them."""
        if self.axes is None:
            return None
        return whole(self.axes.leadership), whole(self.axes.management), self.axes.balance_shown


# --- cycles and their publications ----------------------------------------------------------


def count_of(queryset, field: str = "pk", *, distinct: bool = False) -> Subquery:
    """How many rows (or distinct values of ``field``) a queryset has, for annotate()."""
    extra = {"template": "%(function)s(DISTINCT %(expressions)s)"} if distinct else {}
    # DISTINCT on the queryset would apply after COUNT, so it goes inside the COUNT.
    return Subquery(
        queryset.order_by().annotate(c=Func(F(field), function="COUNT", **extra)).values("c"),
        output_field=IntegerField(),
    )


def counts_in_one_query(cycle_pk: int, **counts: Subquery) -> dict[str, int]:
    """Several counts in one query (``counts`` as made by count_of)."""
    row = Cycle.objects.filter(pk=cycle_pk).annotate(**counts).values(*counts).get()
    return {name: value or 0 for name, value in row.items()}


_CYCLE_FIELDS = (
    "pk",
    "name",
    "opens_at",
    "closes_at",
    "min_group_size",
    "show_while_open",
    "leave_out_careless",
    "publish_checked",
    "latest__pk",
    "latest__step",
    "latest__is_final",
    "latest__published_at",
    "latest__k",
    "latest__in_teams",
    "latest__careless_left_out",
)


def _cycle_rows(now) -> list[dict]:
    """Started cycles, newest first, each with its latest publication (one query).

    A join to the one publication marked latest rather than a subquery per field:
    cheaper to build and to plan on every dashboard read, however many steps a live
    cycle has published. A cycle showing figures while open also gets ``pending``, the
    number of responses waiting to be published, and their ``fingerprint`` (one more
    query, only then). Responses flagged as careless are not waiting in a cycle that
    leaves them out: no step will ever claim them, so they must not prompt one.
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
            .filter(Q(flags="") | Q(cycle__leave_out_careless=False))
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


def cycle_refs() -> tuple[CycleRef, ...]:
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
                leave_out_careless=c["leave_out_careless"],
                careless_left_out=c["latest__careless_left_out"] or 0,
            )
        )
    return tuple(refs)


def pick_cycle(cycles: tuple[CycleRef, ...], cycle_pk: int | None) -> CycleRef | None:
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


def axes_of(group, *, spread: bool = True) -> Axes:
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


def figures_of(group: PublishedGroup) -> GroupFigures | None:
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
        axes=axes_of(group),
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


def with_reference(team: GroupFigures, org: GroupFigures | None) -> tuple[DimensionFigure, ...]:
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


# --- lines of teams ------------------------------------------------------------------------


def _submitted_per_team(cycle: CycleRef, team_ids: list[int] | None) -> dict[int, int]:
    """Members who have submitted, per team (from the snapshot taken at submission)."""
    rows = TeamSnapshot.objects.filter(cycle_id=cycle.pk)
    if team_ids is not None:
        rows = rows.filter(team_id__in=team_ids)
    return dict(
        rows.values("team_id").annotate(n=Count("pk")).values_list("team_id", "n").order_by()
    )


def team_rows(cycle: CycleRef, teams: list[tuple[int, str]], *, all_teams: bool, groups_read=None):
    """One TeamRow per (pk, name) from the cycle's latest publication.

    A closed cycle shows the team's size and responses as published; while a cycle is
    open they are counted live (two grouped queries). ``groups_read``, the teams' groups
    of that publication when the caller has read them already, saves reading them again.
    """
    team_ids = None if all_teams else [pk for pk, _ in teams]
    groups = {}
    if groups_read is not None:
        groups = groups_read
    elif cycle.publication_pk is not None:
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
                axes=axes_of(group, spread=False) if shown else None,
                counted=group.n if group else 0,
                waiting=waiting,
            )
        )
    return tuple(rows)
