"""The raw material of the instrument report: totals over every submitted answer.

Reliability needs, per dimension, each item's mean and variance and the covariance of
every pair of items. All of them follow from three kinds of totals, which the database
computes without sending a single answer to Python:

- per item, how many people gave each value (the answer distribution; sums and sums of
  squares follow from it);
- per pair of items of a dimension, the sum of the products of their keyed values
  (one self-join of the answers on the response, grouped by the pair). The pairs come
  from the questions first, so only the few pairs within a dimension reach the answers
  and the plan stays the same whatever the table statistics say.

Values are keyed first: a reverse-keyed item's value v counts as (min + max) - v, so
that every item of a dimension points the same way.

Everyone who submitted is pooled: nothing here is broken down by team.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count

from ..models import Answer, Dimension, Question, Response


@dataclass(frozen=True)
class ItemTotals:
    question_id: int
    text: str
    reverse_keyed: bool
    counts: dict[int, int]  # raw value -> how many people gave it

    @property
    def n(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class DimensionTotals:
    dimension_id: int
    code: str
    name: str
    axis: str
    n: int  # people who answered every item listed
    items: tuple[ItemTotals, ...]  # in questionnaire order
    sums: dict[int, float]  # question id -> sum of keyed values
    squares: dict[int, float]  # question id -> sum of squared keyed values
    products: dict[tuple[int, int], float]  # (earlier, later item) -> sum of keyed products
    left_out: tuple[ItemTotals, ...] = ()  # items not answered by everyone (switched off)


_PRODUCTS_SQL = """
SELECT a1.question_id, a2.question_id, SUM({k1} * {k2})
FROM {answer} a1
JOIN {question} q1 ON q1.id = a1.question_id
JOIN {question} q2 ON q2.dimension_id = q1.dimension_id AND q2.id > q1.id
JOIN {answer} a2 ON a2.response_id = a1.response_id AND a2.question_id = q2.id
JOIN {response} r ON r.id = a1.response_id
WHERE r.cycle_id IN ({cycles}) AND r.status = %s
GROUP BY a1.question_id, a2.question_id
"""


def _keyed(alias: str, question: str, total: int) -> str:
    return (
        f"(CASE WHEN {question}.reverse_keyed THEN {total} - {alias}.value ELSE {alias}.value END)"
    )


def dimension_totals(
    *, questionnaire_id: int, cycle_ids: list[int], scale_min: int, scale_max: int
) -> list[DimensionTotals]:
    """The totals of each dimension over everyone who submitted in ``cycle_ids``.

    Four queries whatever the number of people: who submitted, the answer distribution,
    the sums of products and the items.
    """
    if not cycle_ids:
        return []
    submitted = Response.objects.filter(
        cycle_id__in=cycle_ids, status=Response.Status.SUBMITTED
    ).count()
    counts: dict[int, dict[int, int]] = {}
    for question_id, value, people in (
        Answer.objects.filter(
            response__cycle_id__in=cycle_ids, response__status=Response.Status.SUBMITTED
        )
        .values_list("question_id", "value")
        .order_by()
        .annotate(people=Count("pk"))
    ):
        counts.setdefault(question_id, {})[value] = people
    total = scale_min + scale_max
    sql = _PRODUCTS_SQL.format(
        k1=_keyed("a1", "q1", total),
        k2=_keyed("a2", "q2", total),
        answer=Answer._meta.db_table,
        question=Question._meta.db_table,
        response=Response._meta.db_table,
        cycles=", ".join(["%s"] * len(cycle_ids)),
    )
    products: dict[tuple[int, int], float] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*cycle_ids, Response.Status.SUBMITTED])
        for low, high, value in cursor.fetchall():
            products[(low, high)] = float(value)
    questions = (
        Question.objects.filter(questionnaire_id=questionnaire_id, pk__in=list(counts))
        .select_related("dimension")
        .order_by("dimension__order", "dimension_id", "order", "pk")
    )
    by_dimension: dict[int, list[Question]] = {}
    dimensions: dict[int, Dimension] = {}
    for q in questions:
        by_dimension.setdefault(q.dimension_id, []).append(q)
        dimensions[q.dimension_id] = q.dimension
    out = []
    for dimension_id, qs in by_dimension.items():
        dim = dimensions[dimension_id]
        items, left_out = [], []
        for q in qs:
            item = ItemTotals(
                question_id=q.pk,
                text=q.text,
                reverse_keyed=q.reverse_keyed,
                counts=dict(sorted(counts[q.pk].items())),
            )
            (items if item.n == submitted else left_out).append(item)
        sums, squares = {}, {}
        for item in items:
            keyed = {(total - v if item.reverse_keyed else v): c for v, c in item.counts.items()}
            sums[item.question_id] = float(sum(v * c for v, c in keyed.items()))
            squares[item.question_id] = float(sum(v * v * c for v, c in keyed.items()))
        ids = [i.question_id for i in items]
        out.append(
            DimensionTotals(
                dimension_id=dimension_id,
                code=dim.code,
                name=dim.name,
                axis=dim.axis,
                n=submitted,
                items=tuple(items),
                sums=sums,
                squares=squares,
                products={
                    (a, b): products.get((min(a, b), max(a, b)), 0.0)
                    for i, a in enumerate(ids)
                    for b in ids[i + 1 :]
                },
                left_out=tuple(left_out),
            )
        )
    return out
