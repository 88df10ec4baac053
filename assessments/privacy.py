"""Who may be counted in published figures: pure rules over membership patterns, no ORM.

The guarantee (the README states it for readers outside engineering): take every set of
people whose figures have been published in a cycle, that is each team and the whole
organisation at each publication. Group the respondents by exactly which of those sets
contain them. Every non-empty group holds at least k people, and at least k besides any
one person who can see figures (a manager or HR, who knows their own answers). Any sum or
difference of published figures (team minus team, organisation minus teams, one
publication minus an earlier one) is then a combination of whole groups, so it always
describes at least k people other than the one looking.

Publications are cumulative: a step adds newly counted people to what earlier steps
published and never takes anyone out. So a person's group is fixed by the step at which
they were first counted and the teams they were counted in, and a step only has to check
its own newcomers, grouped by their teams: ``admit`` does that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "Admission",
    "Candidate",
    "admit",
    "group_is_large_enough",
    "membership_groups",
    "smallest_group",
]


@dataclass(frozen=True)
class Candidate:
    """A submitted response not yet counted: its teams at submission, and its viewer status."""

    key: Hashable
    teams: frozenset[int]
    viewer: bool = False  # manages a team or sees the organisation, so knows one answer


@dataclass(frozen=True)
class Admission:
    """The outcome of one publication step."""

    admitted: frozenset  # keys of the candidates counted from this step on
    left_out: frozenset  # keys of the candidates not counted (for now, or for good)
    teams: frozenset[int]  # teams whose figures take in the admitted candidates
    groups: tuple[tuple[frozenset[int], int], ...]  # (teams, people) of each admitted group

    def counted_teams(self, candidate: Candidate) -> frozenset[int]:
        """The teams whose figures include this candidate (empty if left out)."""
        if candidate.key not in self.admitted:
            return frozenset()
        return candidate.teams & self.teams


def group_is_large_enough(size: int, *, viewers: int, k: int) -> bool:
    """A group may be published if it has k people besides any one viewer in it."""
    return size - (1 if viewers else 0) >= k


def admit(candidates: Iterable[Candidate], *, k: int) -> Admission:
    """Choose whom a publication step counts, and in which teams.

    Candidates are grouped by their teams; a group is counted only if it is large enough,
    otherwise its people are left out of every figure of the step (the organisation's
    too). A team that would receive nobody at this step is dropped from everyone's
    pattern instead, which merges its people into larger groups: they are then counted
    in their other teams and the organisation but not in that team, whose published
    figures (if an earlier step made any) stay as they were. What matters is who is in
    each published set, and that is exactly the pattern the groups are formed by, so the
    check stays exact. Dropping only ever merges groups, so it repeats until nothing
    changes.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    people = list(candidates)
    considered = frozenset().union(*(c.teams for c in people))
    while True:
        groups: dict[frozenset[int], list[Candidate]] = defaultdict(list)
        for c in people:
            groups[c.teams & considered].append(c)
        admitted_patterns = {
            pattern
            for pattern, members in groups.items()
            if group_is_large_enough(
                len(members), viewers=sum(1 for c in members if c.viewer), k=k
            )
        }
        used = frozenset().union(*admitted_patterns)
        unused = considered - used
        if not unused:
            break
        considered -= unused
    admitted = frozenset(c.key for p in admitted_patterns for c in groups[p])
    return Admission(
        admitted=admitted,
        left_out=frozenset(c.key for c in people) - admitted,
        teams=considered,
        groups=tuple(
            sorted(
                ((p, len(groups[p])) for p in admitted_patterns),
                key=lambda g: (sorted(g[0]), g[1]),
            )
        ),
    )


def membership_groups(sets: Mapping[Hashable, Iterable[Hashable]]) -> dict[frozenset, set]:
    """Group people by exactly which of the named sets contain them.

    ``sets`` maps a set's name (say ("team", 3, "step", 1)) to its people. People in no
    set are not in any group.
    """
    where: dict[Hashable, set] = defaultdict(set)
    for name, members in sets.items():
        for person in members:
            where[person].add(name)
    groups: dict[frozenset, set] = defaultdict(set)
    for person, names in where.items():
        groups[frozenset(names)].add(person)
    return dict(groups)


def smallest_group(
    sets: Mapping[Hashable, Iterable[Hashable]], *, viewers: Iterable[Hashable] = ()
) -> int | None:
    """The size of the smallest membership group, less one if it holds a viewer.

    None when nobody is in any set. The invariant holds when this is at least k.
    """
    viewer_set = set(viewers)
    sizes = [
        len(members) - (1 if members & viewer_set else 0)
        for members in membership_groups(sets).values()
    ]
    return min(sizes) if sizes else None
