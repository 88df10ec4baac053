"""How stored sums become the numbers that pages show, with no database in sight.

Figures leave the queries rounded to one decimal (the CSV's precision) and pages show
whole numbers, both rounded half away from zero. A line of means (the organisation
overview's heatmap, hundreds of teams) is worked out once, when a publication is made,
and stored with it (``PublishedGroup.means``): the page then reads a few small numbers per
team instead of every dimension's sums.
"""

from __future__ import annotations

import math


def _half_up(value: float, scale: int) -> float:
    """Round half away from zero at 1/scale, as the printed decimal reads (0.15 -> 0.2).

    The tiny extra over 0.5 absorbs binary noise (0.15 * 10 is 1.4999999999999998);
    figures are means of scores, far coarser than that. Checked against Decimal's
    ROUND_HALF_UP on 600,000 values in the tests.
    """
    return math.copysign(math.floor(abs(value) * scale + 0.5000000001), value) / scale


def one_decimal(value: float) -> float:
    """The precision of the CSV (half away from zero, like the pages' whole numbers)."""
    return _half_up(value, 10) + 0.0  # + 0.0 turns -0.0 into 0.0


def whole(value: float) -> int:
    """The number a page shows for a one-decimal figure (the same rule as floatformat:0)."""
    return int(_half_up(value, 1))


def means_shown(group) -> dict[str | int, int] | None:
    """The whole numbers a line of means shows: the axes by name, dimensions by id.

    ``group`` is a published group (or anything with its sums). The same rules as the
    dashboard's figures (``queries.figures.figures_of``): None when nobody is in the
    group, and a dimension scored by only part of it (items switched off mid-cycle) left
    out, since it would describe a set of its own.
    """
    if not group.n:
        return None
    n = group.n
    means: dict[str | int, int] = {
        "leadership": whole(one_decimal(group.leadership_sum / n)),
        "management": whole(one_decimal(group.management_sum / n)),
    }
    for pk, _code, _name, _axis, count, total, _squares in group.dimensions:
        if count == n:
            means[pk] = whole(one_decimal(total / count))
    return means


def stored_means(group) -> dict | None:
    """``means_shown`` as JSON stores it: dimension ids are not object keys there."""
    means = means_shown(group)
    if means is None:
        return None
    return {
        "leadership": means.pop("leadership"),
        "management": means.pop("management"),
        "dimensions": [[pk, mean] for pk, mean in means.items()],
    }


def means_from_stored(stored: dict | None) -> dict[str | int, int] | None:
    """``means_shown`` again, from what ``stored_means`` wrote."""
    if stored is None:
        return None
    means: dict[str | int, int] = {
        "leadership": stored["leadership"],
        "management": stored["management"],
    }
    means.update(stored["dimensions"])
    return means
