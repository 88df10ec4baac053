"""CSV downloads: the rows of each export, and the one way LVM writes a CSV.

Every export is built here from what its page shows (a dataclass of ``queries``), so a
CSV never carries more than the screen; ``csv_response`` makes every cell safe to open
in a spreadsheet.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone

from .models import Response
from .queries.figures import one_decimal
from .queries.instrument import InstrumentPage
from .queries.own import PersonalExport
from .queries.team import TeamDashboard

# A spreadsheet runs a cell as a formula when it starts with one of these, in ASCII or
# full width, even after leading spaces when "trim spaces" is on.
FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")


def _skipped(char: str) -> bool:
    """Characters a spreadsheet may drop before the formula sign: spaces of every kind,
    tabs, line breaks, and invisible control or format characters (e.g. a BOM)."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def csv_safe(row) -> list:
    """Neutralise cells a spreadsheet would run as a formula: prefix them with a quote."""
    out = []
    for cell in row:
        if isinstance(cell, str) and cell:
            first = next((c for c in cell if not _skipped(c)), "")
            if first in FORMULA_STARTS or unicodedata.category(cell[0]) == "Cc":
                cell = "'" + cell
        out.append(cell)
    return out


def csv_response(filename: str, rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download of ``rows``, every cell formula-safe. The one way LVM writes a CSV."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(csv_safe(row) for row in rows)
    return response


def when(moment: datetime | None) -> str:
    """A date and time in the configured time zone, to the second (as the pages show it)."""
    if moment is None:
        return ""
    return timezone.localtime(moment).isoformat(timespec="seconds")


# --- the rows of each export ----------------------------------------------------------------


def response_rows(responses: Iterable[Response]) -> Iterator[list]:
    """HR's export of selected responses from the admin: one line per response."""
    yield [
        "username",
        "cycle",
        "status",
        "submitted_at",
        "leadership",
        "management",
        "balance",
        "profile",
    ]
    for r in responses:
        yield [
            r.respondent.get_username(),
            r.cycle.name,
            r.status,
            when(r.submitted_at),
            "" if r.leadership_score is None else round(r.leadership_score, 1),
            "" if r.management_score is None else round(r.management_score, 1),
            "" if r.balance is None else round(r.balance, 1),
            r.profile,
        ]


def personal_rows(export: PersonalExport) -> list[list]:
    """The person's own answers and scores for a cycle (their data, one decimal)."""
    result = export.result
    rows: list[list] = [
        ["section", "dimension", "statement", "value"],
        ["summary", "", "cycle", result.cycle_name],
        ["summary", "", "submitted at", when(result.submitted_at)],
        ["summary", "", "leadership score (0-100)", round(result.leadership, 1)],
        ["summary", "", "management score (0-100)", round(result.management, 1)],
        ["summary", "", "balance", round(result.balance, 1)],
        ["summary", "", "profile", result.profile_label],
    ]
    for name, score in export.dimension_scores:
        rows.append(["dimension score (0-100)", name, "", round(score, 1)])
    for dimension, statement, value in export.answers:
        rows.append(["answer", dimension, statement, value])
    return rows


def _r(value: float | None) -> float | str:
    return "" if value is None else one_decimal(value)


def team_rows(dashboard: TeamDashboard) -> list[list]:
    """Exactly the aggregates the dashboard shows, as CSV rows (one decimal at most)."""
    cycle = dashboard.cycle
    rows: list[list] = [
        ["section", "measure", "team", "organisation"],
        ["about", "team", dashboard.team_name, ""],
        ["about", "cycle", cycle.name if cycle else "", ""],
        ["about", "minimum group size (k)", dashboard.k, ""],
    ]
    figures = dashboard.figures
    rows += [
        # The response rate's two sides: members (not managers) of the team, and those
        # of them who submitted; "counted in the figures" below is what the means rest on.
        ["about", "team members", dashboard.members, ""],
        ["about", "team members who submitted", dashboard.submitted, ""],
    ]
    if cycle is not None and cycle.publication_pk is not None:
        rows.append(["about", "published", when(cycle.published_at), ""])
    if figures is None:
        if cycle is None:
            status = "no cycle has started"
        elif dashboard.waiting:
            closes = timezone.localdate(cycle.closes_at)
            status = f"figures are published when the cycle closes ({closes:%Y-%m-%d})"
        else:
            status = f"no figures: fewer than {dashboard.k} people could be counted"
        rows.append(["about", "status", status, ""])
        return rows
    org = figures.org
    rows += [
        ["about", "counted in the figures", figures.team.counted, org.counted if org else ""],
        [
            "about",
            "left out to protect privacy"
            + (" or flagged as careless" if cycle.careless_left_out else ""),
            dashboard.left_out,
            "",
        ],
    ]
    if cycle.is_open:
        rows.append(["about", "in progress", dashboard.in_progress, ""])
    for label, attr in (
        ("leadership mean", "leadership"),
        ("leadership standard deviation", "leadership_sd"),
        ("management mean", "management"),
        ("management standard deviation", "management_sd"),
        ("balance mean", "balance"),
        ("balance standard deviation", "balance_sd"),
    ):
        rows.append(
            [
                "axes (0-100)",
                label,
                _r(getattr(figures.axes, attr)),
                _r(getattr(org.axes, attr)) if org else "",
            ]
        )
    for d in figures.dimensions:
        measure = f"{d.name} ({d.axis})"
        rows.append(["dimension mean", measure, _r(d.mean), _r(d.org_mean)])
        rows.append(["dimension standard deviation", measure, _r(d.sd), _r(d.org_sd)])
    for p in figures.profiles:
        rows.append(["profile (people)", p.label, p.count, ""])
    for cell in figures.quadrant:
        lo_l, hi_l = cell.leadership_range
        lo_m, hi_m = cell.management_range
        rows.append(
            [
                "quadrant (people)",
                f"leadership {lo_l}-{hi_l}, management {lo_m}-{hi_m}",
                cell.count,
                "",
            ]
        )
    for point in dashboard.trend:
        if point.is_gap:
            status = "no figures"
            rows.append(["trend", f"{point.cycle_name}: leadership", status, ""])
            rows.append(["trend", f"{point.cycle_name}: management", status, ""])
        else:
            rows.append(["trend", f"{point.cycle_name}: leadership", _r(point.leadership), ""])
            rows.append(["trend", f"{point.cycle_name}: management", _r(point.management), ""])
    return rows


def instrument_rows(page: InstrumentPage) -> list[list]:
    """The instrument report: one line per dimension, then one per item (pooled figures)."""
    cycle = page.cycle.name if page.cycle else "all cycles of this version"
    rows: list[list] = [
        ["questionnaire", str(page.questionnaire)],
        ["cycle", cycle],
        ["responses", page.reported],
        ["computed", when(page.computed_at)],
        ["flagged as careless", page.flagged],
        [],
        ["dimension", "axis", "alpha", "95% CI low", "95% CI high", "reading"],
    ]
    for d in page.dimensions:
        rows.append([d.name, d.axis, d.alpha, d.ci_low, d.ci_high, d.reading])
    values = [value for value, _ in page.scale]
    rows += [
        [],
        [
            "dimension",
            "item",
            "statement",
            "reverse-keyed",
            "mean",
            "SD",
            "item-rest r",
            "alpha if dropped",
            "keying suspect",
            *(f"answered {v}" for v in values),
        ],
    ]
    for d in page.dimensions:
        for i in d.items:
            counts = dict(i.counts)
            rows.append(
                [
                    d.name,
                    i.number,
                    i.text,
                    "yes" if i.reverse_keyed else "no",
                    i.mean,
                    "" if i.sd is None else i.sd,
                    "" if i.item_rest is None else i.item_rest,
                    "" if i.alpha_if_dropped is None else i.alpha_if_dropped,
                    "yes" if i.keying_suspect else "no",
                    *(counts.get(v, 0) for v in values),
                ]
            )
    return rows
