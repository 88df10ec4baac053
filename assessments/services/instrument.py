"""The instrument report: how reliably each dimension measures, computed and stored.

The totals come from the database (``queries.instrument_data``); the statistics are
``reliability``'s. Nothing is broken down by team, and a report needs at least
``MIN_RESPONSES`` submitted responses, so that no figure in it is about few people.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from .. import reliability
from ..carelessness import FLAG_LABELS
from ..models import Cycle, InstrumentReport, Questionnaire, Response
from ..queries.instrument_data import DimensionTotals, dimension_totals

# Below this many responses reliability estimates swing too much to act on.
MIN_RESPONSES = 30


def report_cycles(questionnaire: Questionnaire, cycle: Cycle | None) -> list[int]:
    """The cycles a report covers: one, or every cycle of the version (pooled)."""
    if cycle is not None:
        return [cycle.pk]
    return list(questionnaire.cycles.order_by("opens_at", "pk").values_list("pk", flat=True))


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def _dimension(totals: DimensionTotals, *, scale_min: int, scale_max: int) -> dict:
    ids = [item.question_id for item in totals.items]
    position = {qid: i for i, qid in enumerate(ids)}
    products = {(i, i): totals.squares[qid] for i, qid in enumerate(ids)}
    for (a, b), value in totals.products.items():
        products[(position[a], position[b])] = value
    moments = reliability.moments_from_sums(
        n=totals.n, sums=[totals.sums[qid] for qid in ids], products=products
    )
    result = reliability.analyse(moments, reverse_keyed=[i.reverse_keyed for i in totals.items])
    items = []
    for number, (item, stats) in enumerate(zip(totals.items, result.items, strict=True), 1):
        items.append(
            {
                "number": number,
                "question_id": item.question_id,
                "text": item.text,
                "reverse_keyed": item.reverse_keyed,
                # The mean of the raw answers, as people gave them (not turned round).
                "mean": _round(
                    scale_min + scale_max - stats.mean if item.reverse_keyed else stats.mean
                ),
                "sd": _round(stats.sd),
                "counts": {str(v): item.counts.get(v, 0) for v in range(scale_min, scale_max + 1)},
                "item_rest": _round(stats.item_rest),
                "alpha_if_dropped": _round(stats.alpha_if_dropped),
                "keying_suspect": stats.keying_suspect,
            }
        )
    return {
        "dimension_id": totals.dimension_id,
        "code": totals.code,
        "name": totals.name,
        "axis": totals.axis,
        "n": totals.n,
        "alpha": _round(result.alpha),
        "ci_low": _round(result.ci_low),
        "ci_high": _round(result.ci_high),
        "items": items,
        "left_out": [item.text for item in totals.left_out],
    }


def careless_counts(cycle_ids: list[int]) -> dict[str, int]:
    """How many submitted responses carry each careless-response flag, and any flag."""
    submitted = Response.objects.filter(cycle_id__in=cycle_ids, status=Response.Status.SUBMITTED)
    counts = {code: Count("pk", filter=Q(flags__contains=code)) for code in FLAG_LABELS}
    return submitted.aggregate(flagged=Count("pk", filter=~Q(flags="")), **counts)


def submitted_count(cycle_ids: list[int]) -> int:
    return Response.objects.filter(
        cycle_id__in=cycle_ids, status=Response.Status.SUBMITTED
    ).count()


@transaction.atomic
def compute_instrument_report(
    *, questionnaire: Questionnaire, cycle: Cycle | None = None, now=None
) -> InstrumentReport | None:
    """Compute and store the report of a cycle (or of every cycle of the version).

    Returns None, storing nothing, below ``MIN_RESPONSES`` submitted responses. A
    report stored before is replaced.
    """
    cycle_ids = report_cycles(questionnaire, cycle)
    responses = submitted_count(cycle_ids)
    if responses < MIN_RESPONSES:
        return None
    scale_min, scale_max = questionnaire.scale_min, questionnaire.scale_max
    dimensions = [
        _dimension(totals, scale_min=scale_min, scale_max=scale_max)
        for totals in dimension_totals(
            questionnaire_id=questionnaire.pk,
            cycle_ids=cycle_ids,
            scale_min=scale_min,
            scale_max=scale_max,
        )
    ]
    report, _ = InstrumentReport.objects.update_or_create(
        questionnaire=questionnaire,
        cycle=cycle,
        defaults={
            "computed_at": now or timezone.now(),
            "responses": responses,
            "dimensions": dimensions,
            "careless": careless_counts(cycle_ids),
        },
    )
    return report
