"""Reads for HR's screen: the organisation's figures, one line per team and the heatmap."""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import SimpleNamespace

from django.db.models import Case, DateTimeField, F, JSONField, Value, When

from ..models import Membership, PublishedGroup, Response, Team, TeamSnapshot
from ..rounding import means_from_stored
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
    whole,
)

# The heatmap's cells and rows: figures, withheld to protect privacy, or no data at all.
SHOWN, WITHHELD, MISSING = "shown", "withheld", "missing"
SORT_BY_NAME = "name"
AXES = ("leadership", "management")
RESERVED_KEYS = {SORT_BY_NAME, *AXES}


@dataclass(frozen=True)
class HeatmapColumn:
    """An axis or a dimension; ``key`` is what ``?sort=`` names it by."""

    key: str
    name: str
    axis: str
    is_axis: bool
    org_mean: int | None  # the organisation's, as the page shows it; None if withheld
    aria_sort: str = "none"  # "ascending" or "descending" when the rows are sorted by it
    next_direction: str = "desc"  # what its header link asks for: highest first, then lowest


@dataclass(frozen=True)
class HeatmapCell:
    """A team's whole-number average in one column and its difference from the organisation."""

    mean: int | None = None
    difference: int | None = None  # between the whole numbers shown
    withheld: bool = False

    @property
    def state(self) -> str:
        if self.mean is not None:
            return SHOWN
        return WITHHELD if self.withheld else MISSING

    @property
    def step(self) -> int | None:
        """The colour band: -2 (10 or more below) … 0 (within 4) … +2 (10 or more above)."""
        if self.difference is None:
            return None
        size = abs(self.difference)
        band = 2 if size >= 10 else 1 if size >= 5 else 0
        return band if self.difference > 0 else -band


@dataclass(frozen=True)
class HeatmapRow:
    team_pk: int
    team_name: str
    state: str  # SHOWN; WITHHELD (no published figures); MISSING (not in this publication)
    cells: tuple[HeatmapCell, ...] = ()


@dataclass(frozen=True)
class Heatmap:
    """Teams x (the two axes and every dimension), sorted as asked."""

    columns: tuple[HeatmapColumn, ...]
    rows: tuple[HeatmapRow, ...]
    sort: str  # SORT_BY_NAME or a column's key
    descending: bool

    @property
    def sorted_by(self) -> str:
        """The sorted column's name, for the caption."""
        for column in self.columns:
            if column.key == self.sort:
                return column.name
        return "team name"

    @property
    def name_aria_sort(self) -> str:
        if self.sort != SORT_BY_NAME:
            return "none"
        return "descending" if self.descending else "ascending"

    @property
    def name_next_direction(self) -> str:
        return "desc" if self.name_aria_sort == "ascending" else "asc"

    @property
    def withheld(self) -> int:
        """Teams without published figures."""
        return sum(1 for r in self.rows if r.state == WITHHELD)

    @property
    def missing(self) -> int:
        """Teams that were not part of this publication."""
        return sum(1 for r in self.rows if r.state == MISSING)


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
    heatmap: Heatmap | None = None  # only with organisation figures to compare against

    @property
    def response_rate(self) -> int | None:
        return percent(self.people_submitted, self.people)

    @property
    def others_submitted(self) -> int:
        """Who submitted without a member role (managers, people in no team): counted in
        the figures, not in the response rate, which is about team members."""
        return max(0, self.submitted - self.people_submitted)

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


def organisation_overview(
    *, cycle_pk: int | None = None, sort: str = "", direction: str = ""
) -> OrganisationOverview | None:
    """HR's view of a cycle: the organisation's published figures, one line per team and
    the heatmap, sorted by ``sort`` (SORT_BY_NAME or a column's key; anything else sorts
    by name) in ``direction`` ("desc" or else ascending).

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
    groups = _published_groups(cycle.publication_pk) if cycle.publication_pk else {}
    org_group = groups.pop(None, None)
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
    org = figures_of(org_group) if org_group else None
    return OrganisationOverview(
        cycle=cycle,
        cycles=cycles,
        people=people,
        people_submitted=people_submitted,
        submitted=submitted,
        org=org,
        teams=team_rows(cycle, teams, all_teams=True, groups_read=groups),
        heatmap=(
            _heatmap(org, org_group, groups, teams, sort=sort, descending=direction == "desc")
            if org is not None
            else None
        ),
    )


_GROUP_FIELDS = (
    "team_id",
    "n",
    "members",
    "submitted",
    "leadership_sum",
    "leadership_sumsq",
    "management_sum",
    "management_sumsq",
    "balance_sum",
    "balance_sumsq",
    "means",
)
# Read for the organisation only: the teams' lines are means (stored whole, ``means``),
# and decoding hundreds of teams' dimensions and quadrants was most of the page's time.
_ORGANISATION_ONLY = ("profiles", "quadrant", "dimensions", "changed_at")


def _published_groups(publication_pk: int) -> dict[int | None, SimpleNamespace]:
    """Every group of a publication, the organisation's under None, in one query.

    Plain namespaces rather than model instances: hundreds of teams on a large overview.
    """
    only_organisation = {
        f"_{name}": Case(
            When(team__isnull=True, then=F(name)),
            default=Value(None),
            output_field=DateTimeField() if name == "changed_at" else JSONField(),
        )
        for name in _ORGANISATION_ONLY
    }
    groups = {}
    for row in (
        PublishedGroup.objects.filter(publication_id=publication_pk)
        .order_by()
        .values(*_GROUP_FIELDS, **only_organisation)
    ):
        for name in _ORGANISATION_ONLY:
            row[name] = row.pop(f"_{name}")
        groups[row["team_id"]] = SimpleNamespace(**row)
    return groups


# --- the heatmap ----------------------------------------------------------------------------


def _heatmap(
    org: GroupFigures,
    org_group: SimpleNamespace,
    groups: dict[int | None, SimpleNamespace],
    teams: list[tuple[int, str]],
    *,
    sort: str,
    descending: bool,
) -> Heatmap:
    """Every team's published averages against the organisation's.

    A cell holds exactly what the team's dashboard shows (``figures_of``: privacy was
    settled at publication, and a dimension scored by only part of a group is left out,
    so its cell is withheld). A team with a group of nobody is withheld; a team with no
    group at all was not part of this publication (made since): no data.
    """
    org_means = {
        "leadership": whole(org.axes.leadership),
        "management": whole(org.axes.management),
    } | {d.dimension_id: d.mean_shown for d in org.dimensions}
    # The organisation's published dimensions, partial ones too: a team may show one.
    dimensions = [(pk, code, name, axis) for pk, code, name, axis, *_ in org_group.dimensions]
    keys: list[str | int] = []
    columns: list[HeatmapColumn] = []
    for axis in AXES:
        keys.append(axis)
        columns.append(
            HeatmapColumn(
                key=axis, name=axis.title(), axis=axis, is_axis=True, org_mean=org_means[axis]
            )
        )
        for pk, code, name, dim_axis in dimensions:
            if dim_axis == axis:
                keys.append(pk)
                columns.append(
                    HeatmapColumn(
                        # A code that is also a fixed key must not hide the axis or name.
                        key=f"{code}-dimension" if code in RESERVED_KEYS else code,
                        name=name,
                        axis=axis,
                        is_axis=False,
                        org_mean=org_means.get(pk),
                    )
                )
    rows = []
    # Hundreds of teams share a few hundred distinct cells: each is made once.
    withheld = HeatmapCell(withheld=True)
    made: dict[tuple[int, int | None], HeatmapCell] = {}
    for team_pk, team_name in teams:
        group = groups.get(team_pk)
        if group is None:
            rows.append(HeatmapRow(team_pk=team_pk, team_name=team_name, state=MISSING))
            continue
        means = means_from_stored(group.means)
        if means is None:
            rows.append(HeatmapRow(team_pk=team_pk, team_name=team_name, state=WITHHELD))
            continue
        cells = []
        for key, column in zip(keys, columns, strict=True):
            mean = means.get(key)
            if mean is None:
                cells.append(withheld)
                continue
            reference = column.org_mean
            difference = None if reference is None else mean - reference
            cell = made.get((mean, difference))
            if cell is None:
                cell = made[mean, difference] = HeatmapCell(mean=mean, difference=difference)
            cells.append(cell)
        rows.append(
            HeatmapRow(team_pk=team_pk, team_name=team_name, state=SHOWN, cells=tuple(cells))
        )
    return _sorted_heatmap(columns, rows, sort=sort, descending=descending)


def _sorted_heatmap(
    columns: list[HeatmapColumn], rows: list[HeatmapRow], *, sort: str, descending: bool
) -> Heatmap:
    """Rows (given by name) by name or by a column; cells without a number go last.

    An unknown ``sort`` (a stale or tampered link) sorts by name. Ties keep name order.
    """
    index = next((i for i, c in enumerate(columns) if c.key == sort), None)
    if index is None:
        sort = SORT_BY_NAME
        ordered = rows[::-1] if descending else rows
    else:
        valued = [r for r in rows if r.cells and r.cells[index].mean is not None]
        sign = -1 if descending else 1
        valued.sort(key=lambda r: sign * r.cells[index].mean)
        ordered = valued + [r for r in rows if not r.cells or r.cells[index].mean is None]
    if index is not None:
        columns = list(columns)
        columns[index] = replace(
            columns[index],
            aria_sort="descending" if descending else "ascending",
            next_direction="asc" if descending else "desc",
        )
    return Heatmap(columns=tuple(columns), rows=tuple(ordered), sort=sort, descending=descending)
