"""Scoring is pure maths: table-driven, no database."""

import pytest

from assessments import scoring
from assessments.scoring import Item, Profile


@pytest.mark.parametrize(
    ("value", "reverse", "expected"),
    [(1, False, 1), (5, False, 5), (1, True, 5), (5, True, 1), (2, True, 4), (3, True, 3)],
)
def test_reverse_keying_mirrors_the_scale(value, reverse, expected):
    assert scoring.keyed_value(value, reverse=reverse, scale_min=1, scale_max=5) == expected


@pytest.mark.parametrize("value", [0, 6, -1])
def test_values_outside_the_scale_are_refused(value):
    with pytest.raises(ValueError):
        scoring.keyed_value(value, reverse=False, scale_min=1, scale_max=5)


@pytest.mark.parametrize(
    ("mean", "low", "high", "expected"),
    [(1, 1, 5, 0.0), (5, 1, 5, 100.0), (3, 1, 5, 50.0), (4, 1, 7, 50.0), (2.5, 1, 4, 50.0)],
)
def test_means_map_onto_0_to_100(mean, low, high, expected):
    assert scoring.to_percent(mean, scale_min=low, scale_max=high) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([Item("v", 5), Item("v", 5)], {"v": 100.0}),
        ([Item("v", 1), Item("v", 1, reverse_keyed=True)], {"v": 50.0}),
        ([Item("v", 5), Item("v", 1, reverse_keyed=True)], {"v": 100.0}),
        ([Item("v", 4), Item("o", 2)], {"v": 75.0, "o": 25.0}),
    ],
)
def test_dimension_score_is_the_mean_of_keyed_items(items, expected):
    assert scoring.dimension_scores(items, scale_min=1, scale_max=5) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("leadership", "management", "expected"),
    [
        (80, 40, Profile.LEADER_LEANING),
        (40, 80, Profile.MANAGER_LEANING),
        (70, 60, Profile.LEADER_LEANING),  # exactly the margin leans
        (60, 70, Profile.MANAGER_LEANING),
        (70, 65, Profile.BALANCED_STRONG),
        (60, 60, Profile.BALANCED_STRONG),  # tie at the strong threshold
        (59, 59, Profile.DEVELOPING),
        (30, 35, Profile.DEVELOPING),
        (0, 0, Profile.DEVELOPING),
        (100, 100, Profile.BALANCED_STRONG),
    ],
)
def test_profile_label_from_the_two_axes(leadership, management, expected):
    assert scoring.profile_for(leadership, management) is expected


def test_full_score_gives_axes_balance_and_profile():
    axis_of = {"vision": "leadership", "comm": "leadership", "ops": "management"}
    items = [
        Item("vision", 5),
        Item("vision", 1, reverse_keyed=True),  # keyed 5
        Item("comm", 3),
        Item("comm", 3),
        Item("ops", 2),
        Item("ops", 2),
    ]
    result = scoring.score(items, axis_of=axis_of, scale_min=1, scale_max=5)
    assert result.dimension_scores == pytest.approx({"vision": 100.0, "comm": 50.0, "ops": 25.0})
    assert result.leadership == pytest.approx(75.0)
    assert result.management == pytest.approx(25.0)
    assert result.balance == pytest.approx(50.0)
    assert result.profile is Profile.LEADER_LEANING


@pytest.mark.parametrize("value", [1, 5])
def test_extremes_stay_within_bounds(value):
    axis_of = {"a": "leadership", "b": "management"}
    items = [Item("a", value), Item("b", value, reverse_keyed=True)]
    result = scoring.score(items, axis_of=axis_of, scale_min=1, scale_max=5)
    assert 0 <= result.leadership <= 100 and 0 <= result.management <= 100
    assert -100 <= result.balance <= 100
    assert abs(result.balance) == 100


def test_dimension_without_axis_is_an_error():
    with pytest.raises(ValueError):
        scoring.score([Item("x", 3)], axis_of={}, scale_min=1, scale_max=5)


def test_every_profile_has_a_label_and_an_explanation():
    for profile in Profile:
        assert profile.label and len(profile.explanation) > 40
