"""CSV downloads: the one way LVM writes a CSV, every cell safe to open in a spreadsheet."""

import csv
import unicodedata
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

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
