"""Reliability of a dimension from sufficient statistics: pure maths, no ORM, no Django.

The instrument report must work at 100,000 respondents without loading their answers,
so everything here starts from what a database can sum in one pass per dimension:

- ``n``, the number of complete responses;
- ``sums[i]``, the sum of item i (after reverse keying);
- ``products[i][j]``, the sum of item i times item j (squares on the diagonal).

From those, ``n * products[i][j] - sums[i] * sums[j]`` is ``n (n - 1)`` times the sample
covariance of items i and j. With integer answers it is an exact integer, so nothing is
lost to the cancellation that makes the one-pass variance formula unsafe in floating
point. Every statistic below is a ratio of such co-moments, so the common factor cancels.

- Cronbach's alpha: k/(k-1) * (1 - sum of item variances / variance of the total).
- Feldt's (1965) confidence interval: (1 - alpha) / (1 - alpha_true) follows an F
  distribution with n-1 and (n-1)(k-1) degrees of freedom, so
  [1 - (1 - alpha) F(1 - g/2), 1 - (1 - alpha) F(g/2)] covers alpha_true with 1 - g.
  This is what pingouin's ``cronbach_alpha(ci=...)`` computes.
- Item-rest correlation: the item against the sum of the other items of the dimension.
- Alpha if the item were dropped: alpha of the other k-1 items.
- A reverse-keyed item whose item-rest correlation is negative after keying is flagged:
  it most likely should not have been reversed (or the wording says the opposite).

The F quantile needs no scipy: the F distribution function is a regularized incomplete
beta function, evaluated with its continued fraction (Lentz's method, as in Numerical
Recipes, section 6.4), and inverted by bisection, which always converges because the
function is monotone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from math import exp, isfinite, lgamma, log, log1p, sqrt

Number = int | float

# Fewer responses give no alpha: with two people every pair of items correlates +-1.
MIN_RESPONSES = 3
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Moments:
    """Sufficient statistics of one dimension: n, item sums and sums of products."""

    n: int
    sums: tuple[Number, ...]
    products: tuple[tuple[Number, ...], ...]  # k x k, symmetric, squares on the diagonal

    def __post_init__(self) -> None:
        k = len(self.sums)
        if len(self.products) != k or any(len(row) != k for row in self.products):
            raise ValueError(f"products must be a {k} x {k} matrix for {k} item sums.")

    @property
    def k(self) -> int:
        return len(self.sums)

    def comoments(self) -> list[list[Number]]:
        """``n * products - sums sums^T``: n (n - 1) times the covariance matrix."""
        n, s = self.n, self.sums
        return [
            [n * row[j] - s[i] * s[j] for j in range(self.k)]
            for i, row in enumerate(self.products)
        ]


def _exact(value) -> Number:
    """A database sum as an int when it is whole, so co-moments stay exact."""
    if isinstance(value, bool):
        raise TypeError("a sum must be a number, not a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, (Decimal, float)) and isfinite(value) and value == int(value):
        return int(value)
    return float(value)


def moments_from_sums(
    *, n: int, sums: Sequence, products: Mapping[tuple[int, int], object]
) -> Moments:
    """Moments from a query's sums; ``products`` needs each pair once, (i, j) or (j, i)."""
    k = len(sums)
    matrix = [[None] * k for _ in range(k)]
    for (i, j), value in products.items():
        matrix[i][j] = matrix[j][i] = _exact(value)
    missing = [(i, j) for i in range(k) for j in range(i, k) if matrix[i][j] is None]
    if missing:
        raise ValueError(f"products is missing the item pairs {missing}.")
    return Moments(
        n=int(n),
        sums=tuple(_exact(s) for s in sums),
        products=tuple(tuple(row) for row in matrix),
    )


def moments_from_rows(rows: Iterable[Sequence[Number]], *, k: int | None = None) -> Moments:
    """Moments of answer vectors (already reverse keyed), one per respondent.

    ``k``, the number of items, is taken from the first row unless given (no rows).
    """
    n = 0
    sums: list[Number] = [0] * (k or 0)
    products: list[list[Number]] = [[0] * len(sums) for _ in sums]
    for row in rows:
        if not n and k is None:
            sums = [0] * len(row)
            products = [[0] * len(row) for _ in row]
        if len(row) != len(sums):
            raise ValueError(f"every row must answer the same {len(sums)} items.")
        n += 1
        for i, x in enumerate(row):
            sums[i] += x
            line = products[i]
            for j, y in enumerate(row):
                line[j] += x * y
    return Moments(n=n, sums=tuple(sums), products=tuple(tuple(r) for r in products))


def keyed(
    values: Sequence[int], reverse_keyed: Sequence[bool], *, scale_min: int, scale_max: int
) -> tuple[int, ...]:
    """Raw answers with the reverse-keyed ones flipped, as scoring does."""
    return tuple(
        scale_min + scale_max - v if reverse else v
        for v, reverse in zip(values, reverse_keyed, strict=True)
    )


# --- alpha and its interval --------------------------------------------------------------


def _alpha(c: list[list[Number]], items: Sequence[int]) -> float | None:
    k = len(items)
    if k < 2:
        return None
    total = sum(c[i][j] for i in items for j in items)
    if total <= 0:
        return None
    trace = sum(c[i][i] for i in items)
    return k / (k - 1) * ((total - trace) / total)


def cronbach_alpha(moments: Moments) -> float | None:
    """Cronbach's alpha, or None without 2 items, 3 responses and some variance."""
    if moments.n < MIN_RESPONSES:
        return None
    return _alpha(moments.comoments(), range(moments.k))


def feldt_interval(
    alpha: float, *, n: int, k: int, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Feldt's confidence interval for alpha from n responses to k items."""
    if n < 2 or k < 2:
        raise ValueError("Feldt's interval needs at least 2 responses and 2 items.")
    tail = (1 - confidence) / 2
    df1 = n - 1
    df2 = (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * f_quantile(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * f_quantile(tail, df1, df2)
    return low, high


# --- items -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemStats:
    """One item of a dimension; None where the data cannot say (no variance)."""

    mean: float
    sd: float | None  # sample standard deviation (n - 1)
    item_rest: float | None
    alpha_if_dropped: float | None
    reverse_keyed: bool = False

    @property
    def keying_suspect(self) -> bool:
        """A reverse-keyed item that runs against the rest of its scale after keying."""
        return self.reverse_keyed and self.item_rest is not None and self.item_rest < 0


@dataclass(frozen=True)
class Reliability:
    """Alpha of one dimension, its interval and the analysis of each item."""

    n: int
    k: int
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    items: tuple[ItemStats, ...]

    @property
    def keying_suspects(self) -> list[int]:
        """Positions of the reverse-keyed items that look wrongly keyed."""
        return [i for i, item in enumerate(self.items) if item.keying_suspect]


def _correlation(cov: Number, var_x: Number, var_y: Number) -> float | None:
    if var_x <= 0 or var_y <= 0:
        return None
    return max(-1.0, min(1.0, cov / sqrt(var_x) / sqrt(var_y)))


def analyse(
    moments: Moments,
    *,
    reverse_keyed: Sequence[bool] | None = None,
    confidence: float = CONFIDENCE,
) -> Reliability:
    """Alpha with Feldt's interval, and each item's mean, SD, item-rest r and alpha-if-dropped."""
    n, k = moments.n, moments.k
    reverse = list(reverse_keyed) if reverse_keyed is not None else [False] * k
    if len(reverse) != k:
        raise ValueError(f"reverse_keyed needs one flag for each of the {k} items.")
    if n == 0:
        return Reliability(n=0, k=k, alpha=None, ci_low=None, ci_high=None, items=())
    c = moments.comoments()
    enough = n >= MIN_RESPONSES
    alpha = _alpha(c, range(k)) if enough else None
    low = high = None
    if alpha is not None:
        low, high = feldt_interval(alpha, n=n, k=k, confidence=confidence)
    items = []
    for i in range(k):
        rest = [j for j in range(k) if j != i]
        cov_rest = sum(c[i][j] for j in rest)
        var_rest = sum(c[j][m] for j in rest for m in rest)
        items.append(
            ItemStats(
                mean=moments.sums[i] / n,
                sd=sqrt(c[i][i] / (n * (n - 1))) if n > 1 else None,
                item_rest=_correlation(cov_rest, c[i][i], var_rest) if enough else None,
                alpha_if_dropped=_alpha(c, rest) if enough else None,
                reverse_keyed=reverse[i],
            )
        )
    return Reliability(n=n, k=k, alpha=alpha, ci_low=low, ci_high=high, items=tuple(items))


# --- the F distribution without scipy ----------------------------------------------------

_EPSILON = 1e-15
_TINY = 1e-300


def _beta_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    # It needs O(sqrt(max(a, b))) terms where it is used (x below the mean).
    max_terms = 1000 + int(20 * sqrt(max(a, b)))
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, max_terms + 1):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((a - 1 + m2) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > _TINY else _TINY)
            c = 1 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            step = c * d
            h *= step
        if abs(step - 1) < _EPSILON:
            return h
    raise ArithmeticError(f"incomplete beta did not converge for x={x}, a={a}, b={b}")


def regularized_beta(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b), for a, b > 0."""
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be positive.")
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
    # The fraction converges fast only below the mean; above it, use I_x(a,b) = 1 - I_1-x(b,a).
    if x < (a + 1) / (a + b + 2):
        return exp(log_front) * _beta_fraction(x, a, b) / a
    return 1 - exp(log_front) * _beta_fraction(1 - x, b, a) / b


def f_cdf(f: float, d1: float, d2: float) -> float:
    """P(F <= f) for the F distribution with d1 and d2 degrees of freedom."""
    if f <= 0:
        return 0.0
    return regularized_beta(d1 * f / (d1 * f + d2), d1 / 2, d2 / 2)


def f_quantile(p: float, d1: float, d2: float) -> float:
    """The p-quantile of the F distribution with d1 and d2 degrees of freedom.

    Solves I_x(d1/2, d2/2) = p for x by bisection on (0, 1), to the last bit a double
    can tell, and returns f = (d2/d1) x/(1 - x).
    """
    if not 0 < p < 1:
        raise ValueError("p must lie strictly between 0 and 1.")
    if d1 <= 0 or d2 <= 0:
        raise ValueError("degrees of freedom must be positive.")
    a, b = d1 / 2, d2 / 2
    low, high = 0.0, 1.0
    # Stops when the midpoint is no longer between the ends, at most ~1100 halvings.
    while True:
        mid = (low + high) / 2
        if not low < mid < high:
            break
        if regularized_beta(mid, a, b) < p:
            low = mid
        else:
            high = mid
    x = (low + high) / 2
    return d2 / d1 * x / (1 - x)
