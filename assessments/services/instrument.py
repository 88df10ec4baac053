"""The instrument report: how reliably each dimension measures, computed and stored.

The totals come from the database (``queries.instrument_data``); the statistics are
``reliability``'s. Nothing is broken down by team, and a report needs at least
``MIN_RESPONSES`` submitted responses.

Like the published figures, a report is made once, after its cycle closes, and never
changes: a report of an open cycle, or one made again after an erasure, could be
compared with an earlier one, and the difference would be one person's answers. The
report of all a version's cycles together is the sum of their stored reports' totals,
so it holds nothing that they do not already show.
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


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def _totals(totals: DimensionTotals) -> dict:
    """What a report keeps of the database totals, so that reports can be added up."""
    ids = [item.question_id for item in totals.items]
    return {
        "n": totals.n,
        "items": ids,
        "sums": [totals.sums[q] for q in ids],
        "squares": [totals.squares[q] for q in ids],
        "products": [[a, b, value] for (a, b), value in totals.products.items()],
    }


def _dimension(meta: dict, totals: dict, items: list[dict], *, scale: tuple[int, int]) -> dict:
    """One dimension of a report: its statistics from ``totals``, its items' texts."""
    scale_min, scale_max = scale
    ids = totals["items"]
    position = {qid: i for i, qid in enumerate(ids)}
    products = {(i, i): square for i, square in enumerate(totals["squares"])}
    for a, b, value in totals["products"]:
        products[(position[a], position[b])] = value
    moments = reliability.moments_from_sums(n=totals["n"], sums=totals["sums"], products=products)
    result = reliability.analyse(moments, reverse_keyed=[i["reverse_keyed"] for i in items])
    rows = []
    for number, (item, stats) in enumerate(zip(items, result.items, strict=True), 1):
        rows.append(
            item
            | {
                "number": number,
                # The mean of the raw answers, as people gave them (not turned round).
                "mean": _round(
                    scale_min + scale_max - stats.mean if item["reverse_keyed"] else stats.mean
                ),
                "sd": _round(stats.sd),
                "item_rest": _round(stats.item_rest),
                "alpha_if_dropped": _round(stats.alpha_if_dropped),
                "keying_suspect": stats.keying_suspect,
            }
        )
    return meta | {
        "n": totals["n"],
        "alpha": _round(result.alpha),
        "ci_low": _round(result.ci_low),
        "ci_high": _round(result.ci_high),
        "items": rows,
        "totals": totals,
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
def compute_instrument_report(*, cycle: Cycle, now=None) -> InstrumentReport | None:
    """Compute and store a closed cycle's report, once; the stored one if it exists.

    None, storing nothing, while the cycle is open or below ``MIN_RESPONSES``.
    """
    now = now or timezone.now()
    cycle = Cycle.objects.select_for_update().select_related("questionnaire").get(pk=cycle.pk)
    existing = InstrumentReport.objects.filter(cycle=cycle).first()
    if existing is not None:
        return existing
    responses = submitted_count([cycle.pk])
    if cycle.closes_at > now or responses < MIN_RESPONSES:
        return None
    questionnaire = cycle.questionnaire
    scale = (questionnaire.scale_min, questionnaire.scale_max)
    dimensions = []
    for totals in dimension_totals(
        questionnaire_id=questionnaire.pk,
        cycle_ids=[cycle.pk],
        scale_min=scale[0],
        scale_max=scale[1],
    ):
        meta = {
            "dimension_id": totals.dimension_id,
            "code": totals.code,
            "name": totals.name,
            "axis": totals.axis,
            "left_out": [item.text for item in totals.left_out],
        }
        items = [
            {
                "question_id": item.question_id,
                "text": item.text,
                "reverse_keyed": item.reverse_keyed,
                "counts": {str(v): item.counts.get(v, 0) for v in range(scale[0], scale[1] + 1)},
            }
            for item in totals.items
        ]
        dimensions.append(_dimension(meta, _totals(totals), items, scale=scale))
    return InstrumentReport.objects.create(
        questionnaire=questionnaire,
        cycle=cycle,
        computed_at=now,
        responses=responses,
        dimensions=dimensions,
        careless=careless_counts([cycle.pk]),
    )


def pooled_report(
    questionnaire: Questionnaire, reports: list[InstrumentReport]
) -> InstrumentReport | None:
    """All of a version's cycle reports together (not stored): their totals added up.

    A dimension is pooled only where every report analysed the same items; where one
    did not (an item switched off), the dimension is left out and its name listed.
    """
    if not reports:
        return None
    scale = (questionnaire.scale_min, questionnaire.scale_max)
    by_code: dict[str, list[dict]] = {}
    for report in reports:
        for dim in report.dimensions:
            by_code.setdefault(dim["code"], []).append(dim)
    dimensions = []
    for parts in by_code.values():
        if len(parts) != len(reports) or len({tuple(p["totals"]["items"]) for p in parts}) > 1:
            continue
        first = parts[0]
        products: dict[tuple[int, int], float] = {}
        for part in parts:
            for a, b, value in part["totals"]["products"]:
                products[(a, b)] = products.get((a, b), 0) + value
        totals = {
            "n": sum(p["totals"]["n"] for p in parts),
            "items": first["totals"]["items"],
            "sums": [sum(v) for v in zip(*(p["totals"]["sums"] for p in parts), strict=True)],
            "squares": [
                sum(v) for v in zip(*(p["totals"]["squares"] for p in parts), strict=True)
            ],
            "products": [[a, b, value] for (a, b), value in products.items()],
        }
        items = []
        for i, item in enumerate(first["items"]):
            counts = {
                value: sum(p["items"][i]["counts"].get(value, 0) for p in parts)
                for value in item["counts"]
            }
            items.append(
                {k: item[k] for k in ("question_id", "text", "reverse_keyed")} | {"counts": counts}
            )
        meta = {k: first[k] for k in ("dimension_id", "code", "name", "axis")}
        meta["left_out"] = sorted({t for p in parts for t in p["left_out"]})
        dimensions.append(_dimension(meta, totals, items, scale=scale))
    careless: dict[str, int] = {}
    for report in reports:
        for key, value in report.careless.items():
            careless[key] = careless.get(key, 0) + value
    return InstrumentReport(
        questionnaire=questionnaire,
        cycle=None,
        computed_at=max(r.computed_at for r in reports),
        responses=sum(r.responses for r in reports),
        dimensions=dimensions,
        careless=careless,
    )
