"""Publishing a cycle's figures: the only place team and organisation figures are made.

Each publication step counts people in groups that ``privacy.admit`` allows, and stores
sums that pages read back (see ``queries.team`` and ``queries.organisation``).

A cycle set to leave careless responses out (``Cycle.leave_out_careless``) never lets a
step claim a response with careless-response flags: they are not candidates, so
``privacy.admit`` and every published figure are made without them. Either way, each
publication records how many flagged responses it counted or left out.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Floor, Least
from django.utils import timezone

from .. import privacy, roles
from ..models import (
    Cycle,
    Dimension,
    DimensionScore,
    Membership,
    Publication,
    PublishedGroup,
    Response,
    Team,
    TeamSnapshot,
)
from ..rounding import stored_means

# The quadrant histogram has BINS x BINS cells of 100 / BINS points each: coarse on
# purpose, so a cell is a region of the chart, never a point that could be one person.
BINS = 5
# Left-out responses given back per UPDATE statement (keeps every statement's list short).
MARK_CHUNK = 10_000

AXIS_FIELDS = (
    ("leadership", "leadership_score"),
    ("management", "management_score"),
    ("balance", "balance"),
)


def _bin(field: str):
    width = 100 / BINS
    # A score of exactly 100 belongs to the top bin, not to a bin of its own.
    return Least(Cast(Floor(F(field) / width), IntegerField()), Value(BINS - 1))


def _sums(prefix: str = "") -> dict:
    """Count, sums and sums of squares of the axis scores, as aggregate() keywords."""
    out = {"n": Count("pk")}
    for name, column in AXIS_FIELDS:
        out[name + "_sum"] = Sum(prefix + column)
        out[name + "_sumsq"] = Sum(F(prefix + column) * F(prefix + column))
    return out


def viewer_ids() -> set[int]:
    """People who can see figures: managers of any team, HR and administrators.

    Staff count too, though staff alone see no figures: any of them may be given the
    permission later, and erring this way only ever leaves more people out.
    """
    managers = Membership.objects.filter(role=Membership.Role.MANAGER).values_list(
        "user_id", flat=True
    )
    staff = get_user_model().objects.filter(is_staff=True).values_list("pk", flat=True)
    return set(managers) | set(staff) | roles.organisation_viewer_ids()


def publication_due(cycle: Cycle, *, now=None) -> bool:
    """Whether ``publish_cycle`` might publish now (without reading anyone's rows)."""
    now = now or timezone.now()
    return now >= cycle.closes_at or (cycle.show_while_open and cycle.opens_at <= now)


def publish_cycle(*, cycle: Cycle, now=None) -> Publication | None:
    """Publish a cycle's team and organisation figures if it is due; the new publication.

    After the cycle closes: once, with everyone who submitted (the final publication).
    While it is open, only with "show figures while open": a step with the people who
    submitted since the last one, counted in groups of at least k by
    ``privacy.admit``. Returns None when there is nothing to publish. Idempotent, and
    safe when several requests try at once: the cycle row is locked, and the database
    allows one publication per cycle and step, and one final one.

    The step first claims every waiting response in one UPDATE (which also locks them,
    so nothing can slip in between reading and counting), then gives back the ones
    privacy leaves out.
    """
    now = now or timezone.now()
    try:
        return _publish(cycle_pk=cycle.pk, now=now)
    except IntegrityError:
        # Another request published this step first (where the database has no row
        # locks to make us wait for it): its publication stands.
        return None


def _publish(*, cycle_pk: int, now) -> Publication | None:
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle_pk)
        if not publication_due(cycle, now=now):
            return None
        latest = cycle.publications.order_by("-step").first()
        if latest is not None and latest.is_final:
            return None
        final = now >= cycle.closes_at
        step = latest.step + 1 if latest else 1
        waiting = _claimable(cycle)
        claimed = waiting.update(published_step=step)
        if not final and claimed < cycle.k:
            _give_back(cycle, step=step)
            return None
        candidates = _candidates(cycle, step=step, viewers=viewer_ids())
        previous = {g.team_id: g for g in latest.groups.all()} if latest else {}
        admission = privacy.admit(candidates, k=cycle.k)
        if not final and not admission.admitted:
            _give_back(cycle, step=step)
            return None
        left_out = sorted(admission.left_out)
        for start in range(0, len(left_out), MARK_CHUNK):
            Response.objects.filter(pk__in=left_out[start : start + MARK_CHUNK]).update(
                published_step=None
            )
        if connection.vendor == "postgresql" and len(admission.admitted) > 10_000:
            # The planner's statistics still say nobody is counted at this step; without
            # fresh ones it picks nested loops over a million rows for the aggregates.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Response._meta.db_table}")
        teams = sorted(admission.teams)
        teams_at = {p.step: set(p.teams) for p in cycle.publications.all()} | {step: set(teams)}
        groups = _published_groups(
            cycle, step=step, teams=teams, teams_at=teams_at, previous=previous, now=now
        )
        cycle.publications.filter(is_latest=True).update(is_latest=False)
        publication = Publication.objects.create(
            cycle=cycle,
            step=step,
            is_final=final,
            published_at=now,
            k=cycle.k,
            submitted=groups[None].submitted,
            in_teams=TeamSnapshot.objects.filter(cycle=cycle)
            .values("response_id")
            .distinct()
            .count(),
            counted=groups[None].n,
            teams=teams,
            **_careless_counts(cycle),
        )
        for group in groups.values():
            group.publication = publication
        PublishedGroup.objects.bulk_create(groups.values())
        Cycle.objects.filter(pk=cycle.pk).update(
            publish_checked=waiting_fingerprint(len(left_out), sum(left_out))
        )
    return publication


def _claimable(cycle: Cycle) -> QuerySet[Response]:
    """Submitted responses that a step of this cycle would claim: not yet counted, and
    not flagged as careless when the cycle leaves those out."""
    waiting = Response.objects.filter(
        cycle=cycle, status=Response.Status.SUBMITTED, published_step__isnull=True
    )
    if cycle.leave_out_careless:
        waiting = waiting.filter(flags="")
    return waiting


def _careless_counts(cycle: Cycle) -> dict[str, int]:
    """Flagged responses counted in the cycle's figures so far, and those left out as
    careless (only when the cycle says so: otherwise a flagged response that is not
    counted waits, or was left out for privacy, like anyone else)."""
    row = (
        Response.objects.filter(cycle=cycle, status=Response.Status.SUBMITTED)
        .exclude(flags="")
        .aggregate(
            counted=Count("pk", filter=Q(published_step__isnull=False)),
            waiting=Count("pk", filter=Q(published_step__isnull=True)),
        )
    )
    return {
        "careless_counted": row["counted"],
        "careless_left_out": row["waiting"] if cycle.leave_out_careless else 0,
    }


def waiting_fingerprint(count: int, pk_sum: int) -> int:
    """Tells one set of waiting responses from another (their number and their ids).

    A live cycle retries publishing only when this changes: the same number of waiting
    responses is not enough, since one may have been erased and another submitted.
    """
    return count * 2**40 + pk_sum % 2**40


def _give_back(cycle: Cycle, *, step: int) -> None:
    """A live step that counts nobody: unclaim the responses, remember which they were."""
    claimed = Response.objects.filter(cycle=cycle, published_step=step)
    row = claimed.aggregate(n=Count("pk"), s=Sum("pk"))
    claimed.update(published_step=None)
    fingerprint = waiting_fingerprint(row["n"], row["s"] or 0)
    Cycle.objects.filter(pk=cycle.pk).update(publish_checked=fingerprint)


def _candidates(cycle: Cycle, *, step: int, viewers: set[int]) -> list[privacy.Candidate]:
    """The responses claimed by this step, with their teams at submission."""
    teams: dict[int, set[int]] = {}
    for response_id, team_id in (
        TeamSnapshot.objects.filter(cycle=cycle, response__published_step=step)
        .order_by()
        .values_list("response_id", "team_id")
    ):
        teams.setdefault(response_id, set()).add(team_id)
    return [
        privacy.Candidate(key=pk, teams=frozenset(teams.get(pk, ())), viewer=respondent in viewers)
        for pk, respondent in Response.objects.filter(cycle=cycle, published_step=step)
        .order_by()
        .values_list("pk", "respondent_id")
    ]


def _published_groups(
    cycle: Cycle,
    *,
    step: int,
    teams: list[int],
    teams_at: dict[int, set[int]],
    previous: dict[int | None, PublishedGroup],
    now,
) -> dict[int | None, PublishedGroup]:
    """The cumulative groups of a step: the previous step's plus this step's newcomers.

    Newcomers are aggregated in the database (grouped queries, a few rows back each).
    ``submitted`` is who is counted (erased people included: they are in the sums) plus
    who is not counted now, so that "left out" is exact whatever was erased since.
    """
    newcomers = Response.objects.filter(cycle=cycle, published_step=step)
    in_teams = TeamSnapshot.objects.filter(
        cycle=cycle, team_id__in=teams, response__published_step=step
    ).order_by()
    added: dict[int | None, dict] = {None: newcomers.aggregate(**_sums())}
    for row in in_teams.values("team_id").annotate(**_sums("response__")).order_by():
        added[row["team_id"]] = row
    profiles: dict[int | None, dict[str, int]] = {}
    for row in newcomers.values("profile").annotate(people=Count("pk")).order_by():
        profiles.setdefault(None, {})[row["profile"]] = row["people"]
    for row in in_teams.values("team_id", "response__profile").annotate(people=Count("pk")):
        profiles.setdefault(row["team_id"], {})[row["response__profile"]] = row["people"]
    cells: dict[int | None, dict[tuple[int, int], int]] = {}
    for row in (
        newcomers.annotate(lb=_bin("leadership_score"), mb=_bin("management_score"))
        .values("lb", "mb")
        .annotate(people=Count("pk"))
        .order_by()
    ):
        cells.setdefault(None, {})[(int(row["lb"]), int(row["mb"]))] = row["people"]
    for row in (
        in_teams.annotate(
            lb=_bin("response__leadership_score"), mb=_bin("response__management_score")
        )
        .values("team_id", "lb", "mb")
        .annotate(people=Count("pk"))
        .order_by()
    ):
        cells.setdefault(row["team_id"], {})[(int(row["lb"]), int(row["mb"]))] = row["people"]
    dims: dict[int | None, dict[int, tuple[int, float, float]]] = {}
    scores = DimensionScore.objects.filter(response__cycle=cycle, response__published_step=step)
    dim_sums = {"people": Count("pk"), "total": Sum("score"), "sq": Sum(F("score") * F("score"))}
    for row in scores.values("dimension_id").annotate(**dim_sums).order_by():
        dims.setdefault(None, {})[row["dimension_id"]] = (row["people"], row["total"], row["sq"])
    for row in (
        scores.filter(response__snapshot__team_id__in=teams)
        .values("response__snapshot__team_id", "dimension_id")
        .annotate(**dim_sums)
        .order_by()
    ):
        dims.setdefault(row["response__snapshot__team_id"], {})[row["dimension_id"]] = (
            row["people"],
            row["total"],
            row["sq"],
        )
    not_counted: dict[int | None, int] = defaultdict(int)
    for team_id, counted_at, people in (
        TeamSnapshot.objects.filter(cycle=cycle)
        .values("team_id", "response__published_step")
        .annotate(people=Count("pk"))
        .values_list("team_id", "response__published_step", "people")
        .order_by()
    ):
        # Not counted in this team: waiting, or counted at a step that left the team out.
        if counted_at is None or team_id not in teams_at.get(counted_at, ()):
            not_counted[team_id] += people
    members = dict(
        Membership.objects.filter(role=Membership.Role.MEMBER)
        .values("team_id")
        .annotate(people=Count("pk"))
        .values_list("team_id", "people")
        .order_by()
    )
    dimension_meta = list(
        Dimension.objects.filter(questionnaire_id=cycle.questionnaire_id)
        .order_by("order", "pk")
        .values_list("pk", "code", "name", "axis")
    )
    not_counted[None] = Response.objects.filter(
        cycle=cycle, status=Response.Status.SUBMITTED, published_step__isnull=True
    ).count()
    members[None] = (
        Membership.objects.filter(role=Membership.Role.MEMBER).values("user_id").distinct().count()
    )
    # Every team that exists gets a row, so that what a closed cycle shows about a team
    # (its size, who had submitted) is frozen too. A team deleted since is dropped.
    existing = set(Team.objects.values_list("pk", flat=True))
    keys = existing | {None}
    out: dict[int | None, PublishedGroup] = {}
    for key in keys:
        if key is not None and key not in existing:
            continue
        before = previous.get(key)
        new = added.get(key) or {}
        new_n = new.get("n") or 0
        n = (before.n if before else 0) + new_n
        group = PublishedGroup(
            team_id=key,
            members=members.get(key, 0),
            submitted=n + not_counted[key],
            n=n,
            changed_at=now if new_n or before is None else before.changed_at,
        )
        for name, _ in AXIS_FIELDS:
            for attr in (name + "_sum", name + "_sumsq"):
                old = getattr(before, attr) if before else 0.0
                setattr(group, attr, old + (new.get(attr) or 0.0))
        group.profiles = _add_counts(before.profiles if before else {}, profiles.get(key, {}))
        group.quadrant = _add_cells(before.quadrant if before else [], cells.get(key, {}))
        group.dimensions = _add_dimensions(
            before.dimensions if before else [], dims.get(key, {}), dimension_meta
        )
        group.means = stored_means(group)  # bulk_create does not call save()
        out[key] = group
    return out


def _add_counts(before: dict[str, int], new: dict[str, int]) -> dict[str, int]:
    out = dict(before)
    for key, count in new.items():
        out[key] = out.get(key, 0) + count
    return out


def _add_cells(before: list, new: dict[tuple[int, int], int]) -> list[list[int]]:
    cells = {(lb, mb): count for lb, mb, count in before}
    for cell, count in new.items():
        cells[cell] = cells.get(cell, 0) + count
    return [[lb, mb, count] for (lb, mb), count in sorted(cells.items())]


def _add_dimensions(
    before: list, new: dict[int, tuple[int, float, float]], meta: list[tuple]
) -> list[list]:
    """[[id, code, name, axis, n, sum, sum of squares], ...] in questionnaire order."""
    old = {row[0]: row for row in before}
    out = []
    for pk, code, name, axis in meta:
        people, total, squares = new.get(pk, (0, 0.0, 0.0))
        if pk in old:
            _, code, name, axis, n0, s0, q0 = old[pk]  # names as first published
            people, total, squares = people + n0, total + s0, squares + q0
        if people:
            out.append([pk, code, name, axis, people, total, squares])
    return out
