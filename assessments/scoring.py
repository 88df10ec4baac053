"""Scoring: pure maths on plain values. No ORM, no Django.

- reverse-keyed value = (scale min + scale max) - value
- dimension score = mean of its items, mapped to 0-100
- axis score = mean of its dimension scores
- balance = leadership - management (-100 ... +100)
- profile = a label from the two axis scores
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

LEADERSHIP = "leadership"
MANAGEMENT = "management"

# |balance| below this counts as balanced.
BALANCE_MARGIN = 10.0
# Mean of the two axes at or above this counts as strong.
STRONG_THRESHOLD = 60.0


class Profile(StrEnum):
    LEADER_LEANING = "leader_leaning"
    MANAGER_LEANING = "manager_leaning"
    BALANCED_STRONG = "balanced_strong"
    DEVELOPING = "developing"

    @property
    def label(self) -> str:
        return PROFILE_LABELS[self]

    @property
    def explanation(self) -> str:
        return PROFILE_EXPLANATIONS[self]


PROFILE_LABELS = {
    Profile.LEADER_LEANING: "Leader-leaning",
    Profile.MANAGER_LEANING: "Manager-leaning",
    Profile.BALANCED_STRONG: "Balanced and strong",
    Profile.DEVELOPING: "Developing",
}

PROFILE_EXPLANATIONS = {
    Profile.LEADER_LEANING: (
        "You lean towards leadership: setting direction, inspiring people and building "
        "relationships come more naturally to you than planning, organising and tracking. "
        "Teams value the energy; pairing it with steadier routines makes ideas land."
    ),
    Profile.MANAGER_LEANING: (
        "You lean towards management: planning, organising resources and keeping work on "
        "track come more naturally to you than setting direction or rallying people. "
        "Teams rely on that order; sharing the why behind the plan helps them follow it."
    ),
    Profile.BALANCED_STRONG: (
        "You draw on leadership and management about equally, and both are well developed. "
        "Keep choosing deliberately which one a situation needs."
    ),
    Profile.DEVELOPING: (
        "Your leadership and management scores are close to each other and both have room "
        "to grow. Pick one dimension from each side and practise it for a few weeks."
    ),
}


@dataclass(frozen=True)
class Item:
    """One answered item: which dimension it feeds, its raw value and keying."""

    dimension: str
    value: int
    reverse_keyed: bool = False


@dataclass(frozen=True)
class Result:
    """Everything stored for a submitted response."""

    dimension_scores: Mapping[str, float]
    leadership: float
    management: float
    balance: float
    profile: Profile


def keyed_value(value: int, *, reverse: bool, scale_min: int, scale_max: int) -> int:
    """The item's value with reverse keying applied; refuses values outside the scale."""
    if not scale_min <= value <= scale_max:
        raise ValueError(f"value {value} is outside the scale {scale_min}-{scale_max}")
    return scale_min + scale_max - value if reverse else value


def to_percent(mean: float, *, scale_min: int, scale_max: int) -> float:
    """Map a mean on the Likert scale to 0-100."""
    if scale_max <= scale_min:
        raise ValueError("scale_max must be greater than scale_min")
    return (mean - scale_min) * 100.0 / (scale_max - scale_min)


def dimension_scores(items: Iterable[Item], *, scale_min: int, scale_max: int) -> dict[str, float]:
    """Mean keyed value per dimension, on 0-100."""
    values: dict[str, list[int]] = defaultdict(list)
    for item in items:
        values[item.dimension].append(
            keyed_value(
                item.value, reverse=item.reverse_keyed, scale_min=scale_min, scale_max=scale_max
            )
        )
    return {
        dim: to_percent(sum(vals) / len(vals), scale_min=scale_min, scale_max=scale_max)
        for dim, vals in values.items()
    }


def axis_score(scores: Iterable[float]) -> float:
    """Mean of dimension scores; 0 for an axis with no dimensions."""
    scores = list(scores)
    return sum(scores) / len(scores) if scores else 0.0


def profile_for(leadership: float, management: float) -> Profile:
    """The profile label for two axis scores (0-100)."""
    balance = leadership - management
    if balance >= BALANCE_MARGIN:
        return Profile.LEADER_LEANING
    if balance <= -BALANCE_MARGIN:
        return Profile.MANAGER_LEANING
    if (leadership + management) / 2 >= STRONG_THRESHOLD:
        return Profile.BALANCED_STRONG
    return Profile.DEVELOPING


def score(
    items: Iterable[Item],
    *,
    axis_of: Mapping[str, str],
    scale_min: int,
    scale_max: int,
) -> Result:
    """Score a complete set of answers. ``axis_of`` maps each dimension to its axis."""
    per_dimension = dimension_scores(items, scale_min=scale_min, scale_max=scale_max)
    unknown = set(per_dimension) - set(axis_of)
    if unknown:
        raise ValueError(f"dimensions without an axis: {sorted(unknown)}")
    leadership = axis_score(s for d, s in per_dimension.items() if axis_of[d] == LEADERSHIP)
    management = axis_score(s for d, s in per_dimension.items() if axis_of[d] == MANAGEMENT)
    return Result(
        dimension_scores=per_dimension,
        leadership=leadership,
        management=management,
        balance=leadership - management,
        profile=profile_for(leadership, management),
    )
