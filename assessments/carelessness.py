"""Careless-response indicators: pure maths on one person's answers. No ORM, no Django.

Some people click through a questionnaire without reading it. Their answers carry
no information about them, yet they move a team's figures like anyone else's. The
research on careless (or "insufficient effort") responding looks for a few traces of
it, and these are the ones a single submission can show on its own:

- **Straight-lining.** The same answer given to many items in a row. We measure the
  longest run of identical consecutive answers, in the order the items are shown. In
  our questionnaires about one item in four is reverse-keyed (written as the opposite
  of its dimension), so a long run usually means the person gave the same answer to a
  statement and to its opposite. Answering every item alike is the extreme case.
- **Speed.** Reading a short statement and picking an answer takes a few seconds.
  Completing a survey at under about two seconds per item is a cut-off often used in
  the literature (Huang, Curran, Keeney, Poposki and DeShon, 2012) because hardly
  anyone who reads the items can go that fast. We measure the seconds from the first
  answer to submission. Our clock starts when the first page of answers is saved, so
  the time spent on that first page is not in it: the measure undercounts, and the
  flag is a little stricter than the literature's cut-off (with five pages, a person
  needs about 2.5 seconds per item to stay clear of it).
- **Contradicting reverse-keyed items.** Within a dimension, an attentive person who
  agrees with the items keyed forward tends to disagree with the reverse-keyed one.
  For each dimension that has items of both keyings we compare the mean of the
  forward items with the mean of the reverse-keyed items once they are turned round
  (``scale min + scale max - value``, as in scoring). If the two lie at least half the
  scale apart (2 points on a 1-5 scale: "agree" to a statement and "agree" to its
  opposite), the dimension contradicts itself. ``reverse_inconsistency`` is the share
  of such dimensions, from 0 (none) to 1 (all). One misread item should not mark a
  person, so the flag needs at least half the dimensions to contradict. Agreeing with
  everything (acquiescence) shows up here too: it makes the answers as uninformative
  as not reading them.

None of these proves carelessness: a flag is a reason for HR to look, and a cycle can
be set to leave flagged responses out of its published figures. People never see
their own flags.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from .scoring import Item

# Straight-lining: a run of this many identical answers in a row. On a questionnaire
# with a reverse-keyed item every four or five, a run of ten crosses at least two of
# them, which an attentive person does only by answering the midpoint throughout.
LONG_RUN = 10
# ... or of this share of all items, whichever is shorter, so that a short
# questionnaire (where ten may be most of it) can still be checked.
LONG_RUN_SHARE = 0.75
# Too fast: fewer seconds than this per item, from the first saved answer to submission
# (the usual cut-off for completion time; see the module docstring).
MIN_SECONDS_PER_ITEM = 2
# A dimension contradicts itself when its forward and turned-round reverse-keyed items
# lie at least this share of the scale's range apart (2 points on 1-5, 3 on 1-7).
CONTRADICTION_GAP = 0.5
# Contradictory: at least this share of the dimensions that can be checked contradict
# themselves, so that one misread statement never flags a person.
CONTRADICTORY_SHARE = 0.5
# The stored number of seconds fits a 32-bit column, however old a recorded response.
MAX_SECONDS = 2**31 - 1


class Flag:
    """Codes stored on a response (space-separated); no code is part of another."""

    STRAIGHT_LINING = "straight_lining"
    ALL_ALIKE = "all_alike"
    TOO_FAST = "too_fast"
    CONTRADICTORY = "contradictory"


# In the order they are stored and shown.
FLAG_LABELS = {
    Flag.ALL_ALIKE: "Every statement answered alike",
    Flag.STRAIGHT_LINING: "Long run of the same answer",
    Flag.TOO_FAST: "Too fast to have read the statements",
    Flag.CONTRADICTORY: "Contradicts the reverse-keyed statements",
}


@dataclass(frozen=True)
class Indicators:
    """What is stored on a submitted response."""

    longest_run: int
    all_alike: bool
    seconds_to_submit: int | None
    # Share of checkable dimensions that contradict themselves; None if none can be.
    reverse_inconsistency: float | None
    flags: tuple[str, ...]

    @property
    def careless(self) -> bool:
        return bool(self.flags)


def longest_run(values: Sequence[int]) -> int:
    """The most identical answers given one after another (0 for no answers)."""
    best = run = 0
    previous = None
    for value in values:
        run = run + 1 if value == previous else 1
        previous = value
        best = max(best, run)
    return best


def long_run_threshold(items: int) -> int:
    """The run of identical answers that counts as straight-lining for ``items`` items."""
    return max(1, min(LONG_RUN, math.ceil(LONG_RUN_SHARE * items)))


def reverse_inconsistency(
    items: Sequence[Item], *, scale_min: int, scale_max: int
) -> float | None:
    """Share of dimensions whose forward and reverse-keyed items contradict each other.

    Only dimensions with items of both keyings are checked; None when there are none.
    """
    forward: dict[str, list[int]] = defaultdict(list)
    reverse: dict[str, list[int]] = defaultdict(list)
    for item in items:
        if not scale_min <= item.value <= scale_max:
            raise ValueError(f"value {item.value} is outside the scale {scale_min}-{scale_max}")
        if item.reverse_keyed:
            reverse[item.dimension].append(scale_min + scale_max - item.value)
        else:
            forward[item.dimension].append(item.value)
    checked = [d for d in forward if d in reverse]
    if not checked:
        return None
    gap = CONTRADICTION_GAP * (scale_max - scale_min)
    contradicting = sum(
        1 for d in checked if abs(_mean(forward[d]) - _mean(reverse[d])) >= gap - 1e-9
    )
    return contradicting / len(checked)


def indicators(
    items: Sequence[Item], *, scale_min: int, scale_max: int, seconds: float | None
) -> Indicators:
    """The indicators and flags of a complete response.

    ``items`` are the answers in the order the questionnaire shows them; ``seconds`` is
    the time from the first saved answer to submission (None if unknown).
    """
    values = [item.value for item in items]
    run = longest_run(values)
    all_alike = len(values) > 1 and run == len(values)
    inconsistency = reverse_inconsistency(items, scale_min=scale_min, scale_max=scale_max)
    whole_seconds = None if seconds is None else min(MAX_SECONDS, max(0, math.floor(seconds)))
    flags = []
    if all_alike:
        flags.append(Flag.ALL_ALIKE)
    if values and run >= long_run_threshold(len(values)):
        flags.append(Flag.STRAIGHT_LINING)
    if whole_seconds is not None and values and whole_seconds < MIN_SECONDS_PER_ITEM * len(values):
        flags.append(Flag.TOO_FAST)
    if inconsistency is not None and inconsistency >= CONTRADICTORY_SHARE:
        flags.append(Flag.CONTRADICTORY)
    return Indicators(
        longest_run=run,
        all_alike=all_alike,
        seconds_to_submit=whole_seconds,
        reverse_inconsistency=inconsistency,
        flags=tuple(flags),
    )


def stored_flags(flags: Sequence[str]) -> str:
    """The flags as stored on a response: codes separated by spaces, "" for none."""
    return " ".join(flags)


def flag_labels(stored: str) -> list[str]:
    """Plain-language labels of stored flags, in a fixed order."""
    codes = set(stored.split())
    return [label for code, label in FLAG_LABELS.items() if code in codes]


def _mean(values: list[int]) -> float:
    return sum(values) / len(values)
