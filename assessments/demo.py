"""Made-up answers that behave like real ones: a small latent-trait model.

Why this exists: the demo data, the dashboard benchmark and the load test need answers
whose dimensions measure something, or the instrument report has nothing to show. Each
person gets a true level per dimension, in scale points around the midpoint:

    level = bias + general + (lean on leadership, or -lean on management) + own part

``general`` (how well someone rates themself on everything) and ``lean`` (leadership
rather than management) are shared by the dimensions of an axis, so those correlate;
the dimension's own part keeps each dimension distinct. An answer is the level plus item
noise, rounded onto the scale, and flipped for reverse-keyed items. With the defaults a
4-item dimension has a true-score share of a little over half its item variance, so
Cronbach's alpha is about 0.83 in a large sample; on a few dozen people it varies by
about 0.05 either way.

Pure Python: it needs only objects with ``pk``, ``reverse_keyed`` and
``dimension.code``/``dimension.axis`` (a ``Question`` with its dimension selected).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

LEADERSHIP = "leadership"


class _Dimension(Protocol):
    code: str
    axis: str


class QuestionLike(Protocol):
    pk: int
    reverse_keyed: bool
    dimension: _Dimension


@dataclass(frozen=True)
class Model:
    """Standard deviations of the parts of a level and of the item noise, in scale points."""

    bias: float = 0.4  # self-ratings sit above the midpoint
    general: float = 0.4
    lean: float = 0.45
    own: float = 0.45
    noise: float = 0.6
    growth: float = 0.15  # mean change of every level from one cycle to the next
    change: float = 0.2  # and its spread


MODEL = Model()


@dataclass(frozen=True)
class PersonState:
    """One person's true level per dimension code; a straight-liner gives one answer."""

    levels: Mapping[str, float]
    straight_line: int | None = None


def new_person(
    dimensions: Iterable[tuple[str, str]], rng: random.Random, *, model: Model = MODEL
) -> PersonState:
    """A person drawn from the model, given the (code, axis) of every dimension."""
    general = rng.gauss(0, model.general)
    lean = rng.gauss(0, model.lean)
    levels = {
        code: model.bias
        + general
        + (lean if axis == LEADERSHIP else -lean)
        + rng.gauss(0, model.own)
        for code, axis in dimensions
    }
    return PersonState(levels=levels)


def dimensions_of(questions: Sequence[QuestionLike]) -> list[tuple[str, str]]:
    """The (code, axis) of each dimension the questions belong to, in order."""
    seen: dict[str, str] = {}
    for q in questions:
        seen.setdefault(q.dimension.code, q.dimension.axis)
    return list(seen.items())


def later(person: PersonState, rng: random.Random, *, model: Model = MODEL) -> PersonState:
    """The same person a cycle later: a little growth, and some change per dimension."""
    return replace(
        person,
        levels={
            code: level + rng.gauss(model.growth, model.change)
            for code, level in person.levels.items()
        },
    )


def straight_liner(person: PersonState, value: int) -> PersonState:
    """The same person answering ``value`` to every item, whatever it says."""
    return replace(person, straight_line=value)


def answers_for(
    person: PersonState,
    questions: Sequence[QuestionLike],
    rng: random.Random,
    *,
    scale_min: int = 1,
    scale_max: int = 5,
    model: Model = MODEL,
) -> dict[int, int]:
    """Raw answers (as stored: reverse-keyed items not yet flipped back) by question pk."""
    if person.straight_line is not None:
        return {q.pk: person.straight_line for q in questions}
    centre = (scale_min + scale_max) / 2
    given = {}
    for q in questions:
        keyed = centre + person.levels[q.dimension.code] + rng.gauss(0, model.noise)
        value = min(scale_max, max(scale_min, round(keyed)))
        given[q.pk] = scale_min + scale_max - value if q.reverse_keyed else value
    return given
