"""Reliability statistics from sufficient statistics agree with pingouin and the textbook."""

import statistics
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from assessments import reliability, services
from assessments.models import Answer, Cycle
from assessments.reliability import (
    Moments,
    analyse,
    cronbach_alpha,
    f_quantile,
    feldt_interval,
    keyed,
    moments_from_rows,
    moments_from_sums,
    regularized_beta,
)

# 40 made-up respondents x 5 items on a 1-5 scale, as stored: item 3 (index 2) is reverse
# keyed and not yet flipped. Written out so that the reference below can be recomputed.
ROWS = [
    "22433", "43423", "55154", "54154", "55154", "54143", "34234", "22321", "44143", "43143",
    "54155", "33334", "43154", "41224", "54142", "44344", "55244", "43434", "22222", "42123",
    "33232", "54135", "24522", "12513", "24342", "44154", "34423", "54345", "43324", "24344",
    "32434", "33244", "52244", "12331", "44332", "44243", "22334", "44343", "32533", "34343",
]  # fmt: skip
REVERSE = [False, False, True, False, False]
KEYED = [keyed([int(c) for c in row], REVERSE, scale_min=1, scale_max=5) for row in ROWS]

# The reference: pingouin 0.7.0 (pandas, scipy 1.17.1) in a throwaway venv, never a
# dependency of LVM. To recompute:
#
#   python3.11 -m venv /tmp/pg && /tmp/pg/bin/pip install pingouin
#   /tmp/pg/bin/python -  (with ROWS and REVERSE pasted from this file)
#     import pandas as pd, pingouin as pg
#     df = pd.DataFrame([[6 - int(c) if r else int(c) for c, r in zip(row, REVERSE)]
#                        for row in ROWS])
#     pg.cronbach_alpha(df, ci=0.95)                # alpha and Feldt's CI (pingouin
#                                                   # rounds the CI to 3 decimals)
#     [df[c].corr(df.drop(columns=c).sum(axis=1)) for c in df]     # item-rest r
#     [pg.cronbach_alpha(df.drop(columns=c))[0] for c in df]       # alpha if dropped
#     df.mean(), df.std()                                          # std with n - 1
#     pg.cronbach_alpha(df[[0, 1]], ci=0.95)        # the two-item case
PINGOUIN_ALPHA = 0.8112419778296381
PINGOUIN_CI = (0.700, 0.890)
PANDAS_ITEM_REST = [0.7429, 0.5254, 0.5939, 0.7186, 0.4349]
PINGOUIN_ALPHA_IF_DROPPED = [0.7265, 0.7955, 0.7790, 0.7395, 0.8186]
PANDAS_MEAN = [3.55, 3.3, 3.525, 3.4, 3.325]
PANDAS_SD = [1.1972, 1.0178, 1.2606, 1.0573, 0.9971]
PINGOUIN_TWO_ITEMS = (0.654088050314465, (0.346, 0.817), 0.4924)

TWO_DECIMALS = 0.005


def _textbook_alpha(rows):
    """Cronbach's alpha straight from the raw answers, with the statistics module."""
    k = len(rows[0])
    items = sum(statistics.variance(column) for column in zip(*rows, strict=True))
    total = statistics.variance([sum(row) for row in rows])
    return k / (k - 1) * (1 - items / total)


def test_alpha_and_its_interval_agree_with_pingouin():
    result = analyse(moments_from_rows(KEYED), reverse_keyed=REVERSE)
    assert result.n == 40 and result.k == 5
    assert result.alpha == pytest.approx(PINGOUIN_ALPHA, abs=TWO_DECIMALS)
    assert result.ci_low == pytest.approx(PINGOUIN_CI[0], abs=TWO_DECIMALS)
    assert result.ci_high == pytest.approx(PINGOUIN_CI[1], abs=TWO_DECIMALS)


def test_alpha_equals_the_textbook_formula_on_the_raw_answers():
    assert cronbach_alpha(moments_from_rows(KEYED)) == pytest.approx(
        _textbook_alpha(KEYED), abs=1e-9
    )
    assert cronbach_alpha(moments_from_rows(KEYED)) == pytest.approx(PINGOUIN_ALPHA, abs=1e-9)


def test_items_agree_with_pandas_and_pingouin():
    items = analyse(moments_from_rows(KEYED), reverse_keyed=REVERSE).items
    for i, item in enumerate(items):
        assert item.mean == pytest.approx(PANDAS_MEAN[i], abs=TWO_DECIMALS)
        assert item.sd == pytest.approx(PANDAS_SD[i], abs=TWO_DECIMALS)
        assert item.item_rest == pytest.approx(PANDAS_ITEM_REST[i], abs=TWO_DECIMALS)
        assert item.alpha_if_dropped == pytest.approx(
            PINGOUIN_ALPHA_IF_DROPPED[i], abs=TWO_DECIMALS
        )
    assert [item.reverse_keyed for item in items] == REVERSE


def test_alpha_if_dropped_is_alpha_of_the_other_items():
    items = analyse(moments_from_rows(KEYED)).items
    for i, item in enumerate(items):
        rest = [row[:i] + row[i + 1 :] for row in KEYED]
        assert item.alpha_if_dropped == pytest.approx(_textbook_alpha(rest), abs=1e-9)


def test_database_sums_give_the_same_result_as_the_rows():
    """A query gives each pair once, as Decimal on PostgreSQL: the result is the same."""
    from_rows = moments_from_rows(KEYED)
    k = from_rows.k
    from_sums = moments_from_sums(
        n=40,
        sums=[Decimal(s) for s in from_rows.sums],
        products={
            (j, i): Decimal(from_rows.products[i][j]) for i in range(k) for j in range(i, k)
        },
    )
    assert from_sums == from_rows
    assert analyse(from_sums) == analyse(from_rows)


def test_a_missing_pair_of_items_is_refused():
    with pytest.raises(ValueError, match="missing"):
        moments_from_sums(n=3, sums=[1, 2], products={(0, 0): 1, (1, 1): 2})


def test_a_hundred_thousand_respondents_lose_no_precision():
    """2,500 copies of the 40 rows: sums of ~10^6, the same alpha, a narrower interval."""
    base = moments_from_rows(KEYED)
    copies = 2500
    big = Moments(
        n=base.n * copies,
        sums=tuple(s * copies for s in base.sums),
        products=tuple(tuple(p * copies for p in row) for row in base.products),
    )
    small, large = analyse(base), analyse(big)
    assert large.n == 100_000
    assert large.alpha == pytest.approx(small.alpha, abs=1e-12)
    assert large.ci_low < large.alpha < large.ci_high
    assert large.ci_high - large.ci_low < 0.01 < small.ci_high - small.ci_low


def test_a_reverse_keyed_item_that_runs_against_its_scale_is_flagged():
    """The reverse-keyed item left unflipped: negative item-rest r, flagged."""
    unflipped = [tuple(int(c) for c in row) for row in ROWS]
    result = analyse(moments_from_rows(unflipped), reverse_keyed=REVERSE)
    assert result.items[2].item_rest < 0
    assert result.keying_suspects == [2]
    keyed_properly = analyse(moments_from_rows(KEYED), reverse_keyed=REVERSE)
    assert keyed_properly.keying_suspects == []


def test_a_forward_item_with_negative_item_rest_is_not_a_keying_suspect():
    unflipped = [tuple(int(c) for c in row) for row in ROWS]
    result = analyse(moments_from_rows(unflipped), reverse_keyed=[False] * 5)
    assert result.items[2].item_rest < 0
    assert result.keying_suspects == []


def test_everyone_answering_alike_gives_no_alpha():
    result = analyse(moments_from_rows([(3, 3, 3, 3)] * 12), reverse_keyed=[False] * 4)
    assert result.alpha is None and result.ci_low is None and result.ci_high is None
    assert all(item.mean == 3 and item.sd == 0 for item in result.items)
    assert all(item.item_rest is None and item.alpha_if_dropped is None for item in result.items)
    assert result.keying_suspects == []


def test_one_item_without_variance_has_no_item_rest_but_alpha_stands():
    rows = [(row[0], row[1], 3) for row in KEYED]
    result = analyse(moments_from_rows(rows))
    assert result.alpha is not None
    assert result.items[2].item_rest is None and result.items[2].sd == 0
    assert result.items[0].item_rest is not None


def test_two_items_agree_with_pingouin():
    alpha, ci, item_rest = PINGOUIN_TWO_ITEMS
    result = analyse(moments_from_rows([row[:2] for row in KEYED]))
    assert result.alpha == pytest.approx(alpha, abs=TWO_DECIMALS)
    assert (result.ci_low, result.ci_high) == pytest.approx(ci, abs=TWO_DECIMALS)
    # With two items the rest is the other item: both share one correlation.
    assert [item.item_rest for item in result.items] == pytest.approx(
        [item_rest] * 2, abs=TWO_DECIMALS
    )
    assert [item.alpha_if_dropped for item in result.items] == [None, None]


def test_one_item_gives_no_alpha():
    result = analyse(moments_from_rows([row[:1] for row in KEYED]))
    assert result.alpha is None
    assert result.items[0].item_rest is None and result.items[0].sd > 0


@pytest.mark.parametrize("n", [0, 1, 2])
def test_fewer_than_three_responses_give_no_alpha(n):
    result = analyse(moments_from_rows(KEYED[:n], k=5), reverse_keyed=REVERSE)
    assert (result.n, result.k) == (n, 5)
    assert result.alpha is None and result.ci_low is None
    assert all(item.item_rest is None for item in result.items)


def test_three_responses_are_enough():
    result = analyse(moments_from_rows([(1, 2, 1), (3, 3, 4), (5, 5, 4)]))
    assert result.alpha == pytest.approx(
        _textbook_alpha([(1, 2, 1), (3, 3, 4), (5, 5, 4)]), abs=1e-9
    )
    assert result.ci_low < result.alpha < result.ci_high


def test_rows_of_different_lengths_are_refused():
    with pytest.raises(ValueError):
        moments_from_rows([(1, 2, 3), (1, 2)])
    with pytest.raises(ValueError):
        moments_from_rows([(1, 2, 3)], k=2)


def test_keying_flips_reverse_items_on_the_scale():
    assert keyed([1, 2, 7], [True, False, True], scale_min=1, scale_max=7) == (7, 2, 1)


# --- the F distribution ------------------------------------------------------------------

# Critical values as printed in F tables (e.g. the NIST/SEMATECH e-Handbook of Statistical
# Methods, section 1.3.6.7.3), to the digits printed there.
F_TABLE = [
    (0.95, 1, 1, 161.448),
    (0.95, 5, 10, 3.326),
    (0.95, 4, 30, 2.690),
    (0.975, 1, 1, 647.789),
    (0.975, 10, 20, 2.774),
    (0.975, 5, 5, 7.146),
    (0.99, 3, 12, 5.953),
    (0.99, 1, 10, 10.044),
]

# scipy.stats.f.ppf(p, d1, d2), scipy 1.17.1 (installed with pingouin, see above).
F_SCIPY = [
    (0.95, 1, 1, 161.4476387975882),
    (0.975, 10, 20, 2.7736713751990734),
    (0.99, 3, 12, 5.952544681545868),
    (0.025, 39, 156, 0.5827338963963197),
    (0.975, 99999, 299997, 1.0101595869896787),
    (0.025, 99999, 299997, 0.9899168911021348),
]


@pytest.mark.parametrize(("p", "d1", "d2", "table"), F_TABLE)
def test_f_quantile_matches_printed_tables(p, d1, d2, table):
    assert f_quantile(p, d1, d2) == pytest.approx(table, abs=0.0015)


@pytest.mark.parametrize(("p", "d1", "d2", "expected"), F_SCIPY)
def test_f_quantile_matches_scipy(p, d1, d2, expected):
    assert f_quantile(p, d1, d2) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("p", "d1", "d2"), [(0.975, 7, 3), (0.025, 39, 156), (0.9, 2, 50)])
def test_f_quantile_lower_tail_is_the_reciprocal_of_the_swapped_upper(p, d1, d2):
    assert f_quantile(1 - p, d2, d1) == pytest.approx(1 / f_quantile(p, d1, d2), rel=1e-12)


def test_f_with_one_numerator_degree_is_the_square_of_t():
    t_975_10 = 2.228138851986274  # scipy.stats.t.ppf(0.975, 10); tables print 2.228
    assert f_quantile(0.95, 1, 10) == pytest.approx(t_975_10**2, rel=1e-12)


@pytest.mark.parametrize("p", [0, 1, -0.1, 1.5])
def test_f_quantile_refuses_probabilities_outside_zero_and_one(p):
    with pytest.raises(ValueError):
        f_quantile(p, 3, 4)


@pytest.mark.parametrize(
    ("x", "a", "b", "expected"),
    [
        (0.3, 1, 1, 0.3),  # uniform
        (0.3, 4, 1, 0.3**4),
        (0.3, 1, 3, 1 - 0.7**3),
        (0.5, 7.5, 7.5, 0.5),  # symmetry
        (0.3, 2, 5, 0.579825),  # 1 - sum of the binomial(6, 0.3) terms up to 1
    ],
)
def test_regularized_beta_closed_forms(x, a, b, expected):
    assert regularized_beta(x, a, b) == pytest.approx(expected, rel=1e-12)


def test_feldt_interval_brackets_alpha_and_narrows_with_more_people():
    few = feldt_interval(0.8, n=30, k=4)
    many = feldt_interval(0.8, n=3000, k=4)
    assert few[0] < many[0] < 0.8 < many[1] < few[1]


# --- the demo data -----------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_closed_cycle_has_reliable_dimensions():
    """seed_demo's closed cycle: 30+ responses, every dimension's alpha in 0.7-0.9."""
    call_command("seed_demo", stdout=StringIO())
    cycle = Cycle.objects.get(closes_at__lt=Cycle.objects.open_at().get().opens_at)
    questions = services.cycle_questions(cycle)
    responses = list(cycle.responses.submitted().values_list("pk", flat=True))
    assert len(responses) >= 30
    given: dict[int, dict[int, int]] = {pk: {} for pk in responses}
    for response, question, value in Answer.objects.filter(response__in=responses).values_list(
        "response_id", "question_id", "value"
    ):
        given[response][question] = value
    straight = [r for r, answers in given.items() if len(set(answers.values())) == 1]
    assert 2 <= len(straight) <= 3
    scale = {
        "scale_min": cycle.questionnaire.scale_min,
        "scale_max": cycle.questionnaire.scale_max,
    }
    for dimension in dict.fromkeys(q.dimension for q in questions):
        items = [q for q in questions if q.dimension == dimension]
        flags = [q.reverse_keyed for q in items]
        rows = [keyed([given[r][q.pk] for q in items], flags, **scale) for r in responses]
        result = reliability.analyse(moments_from_rows(rows), reverse_keyed=flags)
        assert 0.7 <= result.alpha <= 0.9, dimension.code
        assert result.keying_suspects == [], dimension.code
