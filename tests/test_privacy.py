"""The privacy rules as pure functions: who is counted, over membership patterns.

The brute-force checks group people by exactly which published sets contain them, written
here independently of ``privacy.membership_groups``.
"""

import random

import pytest

from assessments.privacy import (
    Candidate,
    admit,
    group_is_large_enough,
    membership_groups,
    smallest_group,
)

from .conftest import assert_no_group_below_k

P, Q, R, A, B, X = 1, 2, 3, 4, 5, 6


def people(prefix, count, teams, viewer=False):
    return [
        Candidate(key=f"{prefix}{i}", teams=frozenset(teams), viewer=viewer) for i in range(count)
    ]


@pytest.mark.parametrize(
    ("size", "viewers", "k", "ok"),
    [
        (5, 0, 5, True),
        (4, 0, 5, False),
        (5, 1, 5, False),  # the viewer knows their own answers: 4 others
        (6, 1, 5, True),
        (6, 2, 5, True),
        (3, 0, 3, True),
    ],
)
def test_a_group_needs_k_people_besides_one_viewer(size, viewers, k, ok):
    """Each group holds k people, and k besides any one viewer in it."""
    assert group_is_large_enough(size, viewers=viewers, k=k) is ok


def test_three_overlapping_teams_leave_out_the_one_person_they_would_isolate():
    """P = p1..p5 + x, Q = q1..q5, R = p1..p5 + q1..q5: x alone is left out, all teams stay."""
    candidates = [
        *people("p", 5, {P, R}),
        *people("q", 5, {Q, R}),
        Candidate(key="x", teams=frozenset({P})),
    ]
    admission = admit(candidates, k=5)
    assert admission.left_out == {"x"}
    assert admission.teams == {P, Q, R}
    assert dict(admission.groups) == {frozenset({P, R}): 5, frozenset({Q, R}): 5}


def test_organisation_minus_teams_cannot_isolate_people_outside_the_teams():
    """Two teams of 5, their manager and one person in no team: the two are left out."""
    candidates = [
        *people("a", 5, {A}),
        *people("b", 5, {B}),
        Candidate(key="manager", teams=frozenset(), viewer=True),
        Candidate(key="y", teams=frozenset()),
    ]
    admission = admit(candidates, k=5)
    assert admission.left_out == {"manager", "y"}
    assert admission.admitted == {c.key for c in candidates[:10]}


@pytest.mark.parametrize(
    ("outside", "viewer", "counted"),
    [(5, False, True), (5, True, False), (6, True, True), (4, False, False)],
)
def test_people_in_no_team_are_counted_as_a_group_of_their_own(outside, viewer, counted):
    """The organisation minus every team is a group: k people, k besides a viewer."""
    candidates = [
        *people("a", 5, {A}),
        *people("o", outside - 1, set()),
        Candidate(key="last", teams=frozenset(), viewer=viewer),
    ]
    admission = admit(candidates, k=5)
    assert ("last" in admission.admitted) is counted


def test_a_team_too_small_to_publish_does_not_cost_a_larger_team_its_people():
    """X (2 people, also in A) is never published, so its people count in A as usual."""
    candidates = [*people("a", 8, {A}), *people("x", 2, {A, X})]
    admission = admit(candidates, k=5)
    assert admission.left_out == frozenset()
    assert admission.teams == {A}
    x0 = candidates[-1]
    assert admission.counted_teams(x0) == {A}


def test_a_small_team_on_its_own_joins_the_people_in_no_team():
    """A 3-person team is not published; its people join the no-team group if that is k."""
    candidates = [*people("x", 3, {X}), *people("o", 2, set())]
    admission = admit(candidates, k=5)
    assert admission.teams == frozenset()
    assert len(admission.admitted) == 5


def test_a_lone_newcomer_of_a_team_counts_in_the_organisation_not_in_the_team():
    """Team A gets one newcomer at a later step: A's figures stay as they were."""
    late = Candidate(key="late", teams=frozenset({A}))
    admission = admit([late, *people("o", 5, set())], k=5)
    assert admission.left_out == frozenset() and admission.counted_teams(late) == frozenset()


def test_nobody_is_counted_when_every_group_is_small():
    """Two teams of 2: neither is published, and the 4 together are still fewer than k."""
    admission = admit([*people("a", 2, {A}), *people("b", 2, {B})], k=5)
    assert admission.admitted == frozenset() and len(admission.left_out) == 4
    together = admit([*people("a", 2, {A}), *people("b", 2, {B})], k=4)
    assert len(together.admitted) == 4 and together.teams == frozenset()


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        admit([], k=0)


def test_membership_groups_and_the_smallest_group():
    sets = {"T": {1, 2, 3, 4}, "U": {3, 4, 5}, "org": {1, 2, 3, 4, 5}}
    assert membership_groups(sets) == {
        frozenset({"T", "org"}): {1, 2},
        frozenset({"T", "U", "org"}): {3, 4},
        frozenset({"U", "org"}): {5},
    }
    assert smallest_group(sets) == 1
    assert smallest_group(sets, viewers=[1]) == 1
    assert smallest_group({}) is None


# --- randomised: every publication step, brute-force checked ------------------------------


def _simulate(rng):
    """Random overlapping teams, arrivals in batches, one admit() per step as publishing does.

    Returns the published sets ({(team or "org", step): people}), the viewers, k and the
    number of people.
    """
    k = rng.randint(3, 5)
    teams = list(range(rng.randint(2, 7)))
    population = rng.randint(15, 60)
    viewers = {p for p in range(population) if rng.random() < 0.1}
    memberships = {}
    for p in range(population):
        chosen = {t for t in teams if rng.random() < 0.35}
        memberships[p] = frozenset(chosen)
    order = list(range(population))
    rng.shuffle(order)
    cuts = sorted(rng.sample(range(1, population), rng.randint(0, 3)))
    batches = [order[a:b] for a, b in zip([0, *cuts], [*cuts, population], strict=True)]

    counted_in: dict[int, tuple[int, frozenset]] = {}  # person -> (step, teams counted in)
    arrived: list[int] = []
    sets: dict = {}
    step = 0
    for batch in batches:
        arrived += batch
        waiting = [p for p in arrived if p not in counted_in]
        admission = admit(
            [Candidate(key=p, teams=memberships[p], viewer=p in viewers) for p in waiting], k=k
        )
        if not admission.admitted:
            continue
        step += 1
        for p in admission.admitted:
            counted_in[p] = (step, memberships[p] & admission.teams)
        # Cumulative sets, as publications store them.
        sets[("org", step)] = {p for p, (s, _) in counted_in.items() if s <= step}
        for t in teams:
            members = {p for p, (s, ts) in counted_in.items() if s <= step and t in ts}
            if members:
                sets[(t, step)] = members
    return sets, viewers, k, population


@pytest.mark.parametrize("seed", range(300))
def test_random_overlapping_teams_never_publish_a_group_smaller_than_k(seed):
    """Brute force over everything published in a cycle: every membership group is k+."""
    sets, viewers, k, _ = _simulate(random.Random(seed))
    assert_no_group_below_k(sets, viewers=viewers, k=k)


def test_random_cases_still_publish_most_people():
    """The rule is not vacuous: across random organisations most people are counted."""
    counted = everyone = 0
    for seed in range(300):
        sets, _, _, population = _simulate(random.Random(seed))
        last_org = [v for (name, _), v in sets.items() if name == "org"]
        counted += len(last_org[-1]) if last_org else 0
        everyone += population
    assert counted / everyone > 0.75
