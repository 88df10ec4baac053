"""Charts drawn on the server as inline SVG.

Pure functions: plain values in, a SafeString of ``<svg>`` markup out. No ORM, no JavaScript.

- The site runs a strict Content-Security-Policy, so there are no ``style`` attributes and
  no ``<style>`` elements: only SVG presentation attributes (fill, stroke, font-size...).
- Every chart has ``role="img"`` and is labelled by its own ``<title>`` and ``<desc>``;
  templates still show an accessible data table next to it.
- ``width="100%"`` and a viewBox 420 units wide, so the chart scales down to a phone:
  at 340 px wide the smallest text (14 units) still renders at 11 px or more. The CSS
  max-widths of ``.chart-wide`` and ``.chart-square`` keep desktop text near 15-19 px.
- Every label is escaped: labels come from admin-editable data.
- ``id_prefix`` keeps ids unique when several charts share a page.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.safestring import SafeString, mark_safe

from .scoring import (
    BALANCE_MARGIN,
    LEADERSHIP,
    MANAGEMENT,
    STRONG_THRESHOLD,
    Profile,
    profile_for,
)

__all__ = [
    "DimensionBar",
    "TrendPoint",
    "balance_quadrant",
    "dimension_bars",
    "quadrant_histogram",
    "trend_lines",
]

# One palette for every chart: blue and amber stay distinct for all common colour-vision
# deficiencies; grey is kept for the organisation and other references.
LEADERSHIP_COLOUR = "#0d6efd"
LEADERSHIP_DARK = "#0a58ca"
LEADERSHIP_TINT = "#e7f1ff"
MANAGEMENT_COLOUR = "#d97706"
MANAGEMENT_DARK = "#92400e"
MANAGEMENT_TINT = "#fdf1dc"
REFERENCE_COLOUR = "#6c757d"
TEXT_COLOUR = "#212529"
MUTED_TEXT = "#495057"
GRID_COLOUR = "#dee2e6"
AXIS_COLOUR = "#adb5bd"
COUNT_COLOUR = "#343a40"
STRONG_TINT = "#eceef1"
DEVELOPING_TINT = "#f8f9fa"

AXIS_COLOURS = {LEADERSHIP: LEADERSHIP_COLOUR, MANAGEMENT: MANAGEMENT_COLOUR}
AXIS_DARK = {LEADERSHIP: LEADERSHIP_DARK, MANAGEMENT: MANAGEMENT_DARK}
AXIS_NAMES = {LEADERSHIP: "Leadership", MANAGEMENT: "Management"}

LEADER_LEANING = Profile.LEADER_LEANING.label
BALANCED_STRONG = Profile.BALANCED_STRONG.label
DEVELOPING = Profile.DEVELOPING.label
MANAGER_LEANING = Profile.MANAGER_LEANING.label

FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
TICKS = (0, 25, 50, 75, 100)
# An average glyph is about this fraction of the font size wide: enough to lay text out
# without measuring it.
CHAR_WIDTH = 0.56
# Narrowest width a chart is drawn at (a phone) and the smallest text it may then show.
PHONE_WIDTH = 340
MIN_RENDERED_PX = 11
CHART_WIDTH = 420  # every chart's viewBox width
MIN_FONT = 14  # 14 * 340 / 420 = 11.3 px
TICK_FONT = MIN_FONT
LEGEND_FONT = MIN_FONT

_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class DimensionBar:
    """One row of `dimension_bars`: a score 0-100 and optional comparisons."""

    label: str
    axis: str  # "leadership" or "management"
    score: float
    previous: float | None = None
    reference: float | None = None
    spread_low: float | None = None
    spread_high: float | None = None


@dataclass(frozen=True)
class TrendPoint:
    """One cycle of `trend_lines`; None hides a value (e.g. a group below the minimum size)."""

    label: str
    leadership: float | None
    management: float | None


# --- helpers -------------------------------------------------------------------------------


def escape(text: object) -> str:
    """HTML-escape a label or attribute (the standard library's: charts call it thousands
    of times per page, and Django's lazy-aware wrapper costs several times more)."""
    return html.escape(str(text), quote=True)


def _fmt(value: float) -> str:
    """A score as shown to people: a whole number, halves rounded up."""
    rounded = Decimal(repr(float(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return str(int(rounded))


def _n(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _score(value: float, name: str) -> float:
    """A score clamped to 0-100; refuses NaN and infinities, which would break the SVG."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return min(100.0, max(0.0, value))


def _text_width(text: str, font_size: float) -> float:
    return len(text) * font_size * CHAR_WIDTH


def _truncate(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max(1, max_chars - 1)].rstrip() + "…"


def _check_prefix(id_prefix: str) -> str:
    if not _ID_PREFIX.match(id_prefix):
        raise ValueError(f"id_prefix must look like an HTML id (letters first), not {id_prefix!r}")
    return id_prefix


def _text(x: float, y: float, text: str, *, tooltip: str | None = None, **attrs: object) -> str:
    """A <text> element; `text` (and the optional full-text tooltip) are escaped."""
    title = f"<title>{escape(tooltip)}</title>" if tooltip and tooltip != text else ""
    return f'<text x="{_n(x)}" y="{_n(y)}"{_attrs(attrs)}>{title}{escape(text)}</text>'


def _attrs(attrs: dict[str, object]) -> str:
    # Python names use underscores; SVG attributes use hyphens (font_size -> font-size).
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, float):
            value = _n(value)
        elif not isinstance(value, int):
            value = escape(value)  # numbers need no escaping; every text does
        parts.append(f' {name.rstrip("_").replace("_", "-")}="{value}"')
    return "".join(parts)


def _svg(
    *, id_prefix: str, kind: str, width: int, height: float, title: str, desc: str, body: list[str]
) -> SafeString:
    p = _check_prefix(id_prefix)
    return mark_safe(  # every piece of text inside was escaped when it was built
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {_n(height)}" '
        f'width="100%" role="img" aria-labelledby="{p}-title {p}-desc" '
        f'class="lvm-chart lvm-chart-{kind}" id="{p}" font-family="{escape(FONT_FAMILY)}" '
        f'font-size="15" fill="{TEXT_COLOUR}">'
        f'<title id="{p}-title">{escape(title)}</title>'
        f'<desc id="{p}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _empty(*, id_prefix: str, kind: str, title: str, message: str) -> SafeString:
    body = [
        _text(CHART_WIDTH / 2, 44, message, text_anchor="middle", fill=MUTED_TEXT, font_size=15)
    ]
    return _svg(
        id_prefix=id_prefix,
        kind=kind,
        width=CHART_WIDTH,
        height=72,
        title=title,
        desc=message,
        body=body,
    )


def _legend(
    items: list[tuple[str, str]], *, x0: float, y: float, max_x: float
) -> tuple[list[str], float]:
    """A row (wrapping if needed) of entries, each a symbol drawn around (0, 0) and a label.

    Returns the markup and the y of the last row.
    """
    out, x = [], x0
    for symbol, label in items:
        width = 24 + _text_width(label, LEGEND_FONT)
        if x > x0 and x + width > max_x:
            x, y = x0, y + 24
        out.append(f'<g transform="translate({_n(x + 8)} {_n(y)})">{symbol}</g>')
        out.append(_text(x + 22, y + 5, label, font_size=LEGEND_FONT, fill=MUTED_TEXT))
        x += width + 18
    return out, y


def _mix(colour: str, strength: float) -> str:
    """`colour` blended onto white: 0 is white, 1 is the colour itself."""
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - (255 - c) * strength):02x}" for c in channels)


def _profile(leadership: float, management: float) -> str:
    return profile_for(leadership, management).label


# --- 1. dimension bars ----------------------------------------------------------------------

BAR_WIDTH = CHART_WIDTH
BAR_LEFT = 10
BAR_RIGHT = 376  # room for "100" after a full bar (and a marker or tick next to it)
BAR_HEIGHT = 18
BAR_LABEL_FONT = 15
ROW_HEIGHT = 54


def dimension_bars(
    bars: Sequence[DimensionBar],
    *,
    title: str,
    id_prefix: str,
    previous_label: str = "Previous cycle",
    reference_label: str = "Organisation average",
    spread_label: str = "Spread (middle half)",
) -> SafeString:
    """Horizontal 0-100 bars, leadership dimensions first, with optional comparisons."""
    if not bars:
        return _empty(id_prefix=id_prefix, kind="bars", title=title, message="No scores yet.")
    for bar in bars:
        if bar.axis not in AXIS_COLOURS:
            raise ValueError(f"axis must be {LEADERSHIP!r} or {MANAGEMENT!r}, not {bar.axis!r}")
    groups = [(axis, [b for b in bars if b.axis == axis]) for axis in (LEADERSHIP, MANAGEMENT)]
    groups = [(axis, rows) for axis, rows in groups if rows]

    span = BAR_RIGHT - BAR_LEFT

    def sx(value: float) -> float:
        return BAR_LEFT + value / 100 * span

    body: list[str] = []
    y = 8.0
    legend = []
    if any(b.previous is not None for b in bars):
        legend.append((_previous_marker(0, 0), previous_label))
    if any(b.reference is not None for b in bars):
        legend.append((_reference_tick(0, -8, 8), reference_label))
    if any(b.spread_low is not None and b.spread_high is not None for b in bars):
        legend.append((_spread_line(-8, 8, 0), spread_label))
    if legend:
        legend_body, last_row = _legend(legend, x0=BAR_LEFT, y=y + 10, max_x=BAR_WIDTH - 8)
        body.extend(legend_body)
        y = last_row + 18

    top = y
    rows: list[str] = []
    descs: list[str] = []
    for axis, group in groups:
        rows.append(
            _text(
                BAR_LEFT,
                y + 20,
                AXIS_NAMES[axis],
                font_size=16,
                font_weight="bold",
                fill=AXIS_DARK[axis],
            )
        )
        y += 30
        parts = []
        for bar in group:
            rows.append(_bar_row(bar, y=y, sx=sx, max_label_x=BAR_RIGHT))
            parts.append(_bar_desc(bar))
            y += ROW_HEIGHT
        descs.append(f"{AXIS_NAMES[axis]}: " + "; ".join(parts) + ".")
    bottom = y - 6

    for tick in TICKS:
        colour = AXIS_COLOUR if tick == 0 else GRID_COLOUR
        body.append(
            f'<line x1="{_n(sx(tick))}" y1="{_n(top)}" x2="{_n(sx(tick))}" y2="{_n(bottom)}" '
            f'stroke="{colour}" stroke-width="1"/>'
        )
        anchor = "start" if tick == 0 else "middle"
        body.append(
            _text(
                sx(tick),
                bottom + 20,
                str(tick),
                text_anchor=anchor,
                font_size=TICK_FONT,
                fill=MUTED_TEXT,
            )
        )
    body.extend(rows)
    return _svg(
        id_prefix=id_prefix,
        kind="bars",
        width=BAR_WIDTH,
        height=bottom + 30,
        title=title,
        desc="Scores out of 100. " + " ".join(descs),
        body=body,
    )


def _previous_marker(x: float, y: float) -> str:
    return (
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5.5" fill="#ffffff" stroke="{TEXT_COLOUR}" '
        f'stroke-width="2" class="lvm-previous"/>'
    )


def _reference_tick(x: float, y1: float, y2: float) -> str:
    return (
        f'<line x1="{_n(x)}" y1="{_n(y1)}" x2="{_n(x)}" y2="{_n(y2)}" stroke="{REFERENCE_COLOUR}" '
        f'stroke-width="3.5" class="lvm-reference"/>'
    )


def _spread_line(x1: float, x2: float, y: float) -> str:
    return (
        f'<g class="lvm-spread" stroke="{TEXT_COLOUR}" stroke-width="2">'
        f'<line x1="{_n(x1)}" y1="{_n(y)}" x2="{_n(x2)}" y2="{_n(y)}"/>'
        f'<line x1="{_n(x1)}" y1="{_n(y - 5)}" x2="{_n(x1)}" y2="{_n(y + 5)}"/>'
        f'<line x1="{_n(x2)}" y1="{_n(y - 5)}" x2="{_n(x2)}" y2="{_n(y + 5)}"/></g>'
    )


def _bar_row(bar: DimensionBar, *, y: float, sx, max_label_x: float) -> str:
    score = _score(bar.score, "score")
    max_chars = int((max_label_x - BAR_LEFT) / (BAR_LABEL_FONT * CHAR_WIDTH))
    label = _truncate(bar.label, max_chars)
    bar_top = y + 24
    mid = bar_top + BAR_HEIGHT / 2
    out = [
        _text(BAR_LEFT, y + 16, label, tooltip=bar.label, font_size=BAR_LABEL_FONT),
        f'<rect x="{_n(sx(0))}" y="{_n(bar_top)}" width="{_n(sx(score) - sx(0))}" '
        f'height="{BAR_HEIGHT}" fill="{AXIS_COLOURS[bar.axis]}" rx="2" '
        f'class="lvm-bar lvm-bar-{bar.axis}" data-score="{_n(score)}"/>',
    ]
    # Things drawn past the end of the bar, as x intervals the score text must not cover.
    taken: list[tuple[float, float]] = []
    if bar.spread_low is not None and bar.spread_high is not None:
        low = sx(_score(bar.spread_low, "spread_low"))
        high = sx(_score(bar.spread_high, "spread_high"))
        low, high = min(low, high), max(low, high)
        out.append(_spread_line(low, high, mid))
        taken.append((low - 1, high + 1))
    if bar.reference is not None:
        x = sx(_score(bar.reference, "reference"))
        out.append(_reference_tick(x, bar_top - 4, bar_top + BAR_HEIGHT + 4))
        taken.append((x - 2, x + 2))
    if bar.previous is not None:
        x = sx(_score(bar.previous, "previous"))
        out.append(_previous_marker(x, mid))
        taken.append((x - 7, x + 7))
    text = _fmt(score)
    width = _text_width(text, 16) + 2  # bold
    x = sx(score) + 6
    moved = True
    while moved:
        moved = False
        for start, end in taken:
            if start < x + width and end > x - 2:
                x, moved = end + 5, True
    out.append(_text(x, mid + 5, text, font_weight="bold", fill=TEXT_COLOUR, class_="lvm-score"))
    return "".join(out)


def _bar_desc(bar: DimensionBar) -> str:
    extras = []
    if bar.previous is not None:
        extras.append(f"previous {_fmt(_score(bar.previous, 'previous'))}")
    if bar.reference is not None:
        extras.append(f"organisation {_fmt(_score(bar.reference, 'reference'))}")
    if bar.spread_low is not None and bar.spread_high is not None:
        low, high = sorted((bar.spread_low, bar.spread_high))
        extras.append(f"spread {_fmt(_score(low, 'spread'))} to {_fmt(_score(high, 'spread'))}")
    text = f"{bar.label} {_fmt(_score(bar.score, 'score'))}"
    return text + (f" ({', '.join(extras)})" if extras else "")


# --- 2 and 3. the balance plane --------------------------------------------------------------

# x = management, y = leadership; the plot is a square so the balance diagonal is at 45°.
Q_LEFT = 60
Q_TOP = 14
Q_SIZE = 344
Q_WIDTH = Q_LEFT + Q_SIZE + 16  # = CHART_WIDTH
BAND_LABEL_FONT = MIN_FONT
BAND_LABEL_OFFSET = 12
Q_BOTTOM = Q_TOP + Q_SIZE


def _mx(management: float) -> float:
    return Q_LEFT + management / 100 * Q_SIZE


def _ly(leadership: float) -> float:
    return Q_BOTTOM - leadership / 100 * Q_SIZE


def _polygon(points: Sequence[tuple[float, float]], fill: str, cls: str) -> str:
    coords = " ".join(f"{_n(_mx(m))},{_n(_ly(ldr))}" for m, ldr in points)
    return f'<polygon points="{coords}" fill="{fill}" class="{cls}"/>'


def _region_tints() -> list[str]:
    """The four profile regions, drawn with the rule of `scoring.profile_for`.

    They are not quadrants split at 50: a profile leans once the balance reaches the margin,
    and within that diagonal band the mean of the two axes separates strong from developing.
    """
    d, t = BALANCE_MARGIN, STRONG_THRESHOLD
    a, b = (t - d / 2, t + d / 2), (t + d / 2, t - d / 2)  # threshold meets the band edges
    return [
        _polygon([(0, d), (0, 100), (100 - d, 100)], LEADERSHIP_TINT, "lvm-region-leader"),
        _polygon([(d, 0), (100, 0), (100, 100 - d)], MANAGEMENT_TINT, "lvm-region-manager"),
        _polygon(
            [a, (100 - d, 100), (100, 100), (100, 100 - d), b], STRONG_TINT, "lvm-region-strong"
        ),
        _polygon([(0, 0), (d, 0), b, a, (0, d)], DEVELOPING_TINT, "lvm-region-developing"),
    ]


def _line(m1: float, l1: float, m2: float, l2: float, **attrs: object) -> str:
    return (
        f'<line x1="{_n(_mx(m1))}" y1="{_n(_ly(l1))}" x2="{_n(_mx(m2))}" y2="{_n(_ly(l2))}"'
        f"{_attrs(attrs)}/>"
    )


def _plane_grid() -> list[str]:
    out = []
    for tick in TICKS[1:-1]:
        out.append(_line(tick, 0, tick, 100, stroke=GRID_COLOUR, stroke_width=1))
        out.append(_line(0, tick, 100, tick, stroke=GRID_COLOUR, stroke_width=1))
    return out


def _plane_boundaries() -> list[str]:
    d, t = BALANCE_MARGIN, STRONG_THRESHOLD
    edge = {"stroke": AXIS_COLOUR, "stroke_width": 1.5}
    return [
        _line(0, d, 100 - d, 100, **edge),
        _line(d, 0, 100, 100 - d, **edge),
        _line(t - d / 2, t + d / 2, t + d / 2, t - d / 2, **edge),
        _line(
            0,
            0,
            100,
            100,
            stroke=REFERENCE_COLOUR,
            stroke_width=1.5,
            stroke_dasharray="7 5",
            class_="lvm-balance-line",
        ),
    ]


def _plane_labels() -> list[str]:
    halo = {"stroke": "#ffffff", "stroke_width": 4, "stroke_linejoin": "round"}
    halo["paint_order"] = "stroke"
    # Band labels run along the diagonal, just on the leadership side of the dashed line and
    # clear of counts centred on the diagonal cells of the histogram. Their baseline sits
    # BAND_LABEL_OFFSET from the diagonal so the capitals stay inside the band, whose edge is
    # BALANCE_MARGIN / sqrt(2) percent of the plot away (about 24 units). Not bold, so that
    # "Balanced and strong" fits between the strong threshold and the top-right corner.
    off = BAND_LABEL_OFFSET / math.sqrt(2)

    def along(value: float, text: str) -> str:
        x, y = _mx(value) - off, _ly(value) - off
        return _text(
            x,
            y,
            text,
            text_anchor="middle",
            transform=f"rotate(-45 {_n(x)} {_n(y)})",
            fill=TEXT_COLOUR,
            font_size=BAND_LABEL_FONT,
            class_="lvm-region-label",
            **halo,
        )

    return [
        _text(
            _mx(0) + 10,
            _ly(100) + 20,
            LEADER_LEANING,
            fill=LEADERSHIP_DARK,
            font_weight="bold",
            class_="lvm-region-label",
            **halo,
        ),
        _text(
            _mx(100) - 10,
            _ly(0) - 12,
            MANAGER_LEANING,
            text_anchor="end",
            fill=MANAGEMENT_DARK,
            font_weight="bold",
            class_="lvm-region-label",
            **halo,
        ),
        # A little below the middle of its stretch: the top-right corner cuts into the band.
        along((STRONG_THRESHOLD + 100) / 2 - 2, BALANCED_STRONG),
        along(STRONG_THRESHOLD / 2, DEVELOPING),
    ]


def _plane_axes() -> list[str]:
    out = [
        f'<rect x="{Q_LEFT}" y="{Q_TOP}" width="{Q_SIZE}" height="{Q_SIZE}" fill="none" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    ]
    for tick in TICKS:
        out.append(
            _text(_mx(tick), Q_BOTTOM + 20, str(tick), text_anchor="middle", font_size=TICK_FONT)
        )
        out.append(
            _text(Q_LEFT - 8, _ly(tick) + 5, str(tick), text_anchor="end", font_size=TICK_FONT)
        )
    out.append(
        _text(
            _mx(50),
            Q_BOTTOM + 44,
            "Management score",
            text_anchor="middle",
            font_weight="bold",
            fill=MANAGEMENT_DARK,
        )
    )
    y_title = (18, _ly(50))
    out.append(
        _text(
            *y_title,
            "Leadership score",
            text_anchor="middle",
            font_weight="bold",
            fill=LEADERSHIP_DARK,
            transform=f"rotate(-90 {_n(y_title[0])} {_n(y_title[1])})",
        )
    )
    return out


def _arrow(x1: float, y1: float, x2: float, y2: float, *, gap1: float, gap2: float) -> str:
    """A straight arrow from (x1, y1) to (x2, y2), leaving room for the dots at both ends."""
    length = math.hypot(x2 - x1, y2 - y1)
    if length <= gap1 + gap2 + 10:
        return ""
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    sx, sy = x1 + ux * gap1, y1 + uy * gap1
    tx, ty = x2 - ux * gap2, y2 - uy * gap2
    bx, by = tx - ux * 10, ty - uy * 10  # base of the head
    corners = [(tx, ty), (bx - uy * 5, by + ux * 5), (bx + uy * 5, by - ux * 5)]
    head = " ".join(f"{_n(x)},{_n(y)}" for x, y in corners)
    return (
        f'<g class="lvm-arrow" stroke="{MUTED_TEXT}" fill="{MUTED_TEXT}">'
        f'<line x1="{_n(sx)}" y1="{_n(sy)}" x2="{_n(bx)}" y2="{_n(by)}" stroke-width="2"/>'
        f'<polygon points="{head}" stroke-width="1"/></g>'
    )


def _you_marker(x: float, y: float) -> str:
    return (
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="9" fill="{TEXT_COLOUR}" stroke="#ffffff" '
        f'stroke-width="2.5" class="lvm-you"/>'
    )


def _was_marker(x: float, y: float) -> str:
    return (
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="7" fill="#ffffff" stroke="{MUTED_TEXT}" '
        f'stroke-width="2.5" class="lvm-previous"/>'
    )


def balance_quadrant(
    *,
    leadership: float,
    management: float,
    id_prefix: str,
    title: str,
    previous: tuple[float, float] | None = None,
    current_label: str = "This cycle",
    previous_label: str = "Previous cycle",
) -> SafeString:
    """One position on the management (x) by leadership (y) plane, with the profile regions.

    `previous` is (leadership, management), in the same order as the keyword arguments.
    """
    lead, man = _score(leadership, "leadership"), _score(management, "management")
    body = _region_tints() + _plane_grid() + _plane_boundaries() + _plane_labels()
    body += _plane_axes()
    desc = (
        f"Leadership {_fmt(lead)}, management {_fmt(man)}: {_profile(lead, man)}. "
        f"The dashed diagonal marks leadership equal to management."
    )
    height = Q_BOTTOM + 56
    if previous is not None:
        was_lead, was_man = _score(previous[0], "previous"), _score(previous[1], "previous")
        was_x, was_y = _mx(was_man), _ly(was_lead)
        body.append(_was_marker(was_x, was_y))
        body.append(_arrow(was_x, was_y, _mx(man), _ly(lead), gap1=9, gap2=12))
        desc += (
            f" {previous_label}: leadership {_fmt(was_lead)}, management {_fmt(was_man)}"
            f" ({_profile(was_lead, was_man)})."
        )
        legend, last_row = _legend(
            [(_you_marker(0, 0), current_label), (_was_marker(0, 0), previous_label)],
            x0=Q_LEFT,
            y=height + 12,
            max_x=Q_WIDTH - 8,
        )
        body += legend
        height = last_row + 18
    body.append(
        _you_marker(_mx(man), _ly(lead)).replace(
            "/>", f' data-leadership="{_n(lead)}" data-management="{_n(man)}"/>'
        )
    )
    return _svg(
        id_prefix=id_prefix,
        kind="quadrant",
        width=Q_WIDTH,
        height=height,
        title=title,
        desc=desc,
        body=body,
    )


def quadrant_histogram(
    cells: Sequence[Sequence[int]], *, id_prefix: str, title: str, bins: int
) -> SafeString:
    """How many people fall in each cell of a bins x bins grid over the balance plane.

    cells[row][col]: row 0 is the lowest leadership bin, col 0 the lowest management bin.
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    if len(cells) != bins or any(len(row) != bins for row in cells):
        raise ValueError(f"cells must be {bins} rows of {bins} counts")
    if any(isinstance(c, bool) or int(c) != c or c < 0 for row in cells for c in row):
        raise ValueError("counts must be whole numbers, zero or more")
    counts = [[int(c) for c in row] for row in cells]
    total = sum(map(sum, counts))
    most = max(max(row) for row in counts)
    size = Q_SIZE / bins
    font = 16 if size >= 40 else MIN_FONT

    def edge(i: int) -> str:
        return _fmt(100 * i / bins)

    boxes, numbers, described = [], [], []
    for r, row in enumerate(counts):
        for c, count in enumerate(row):
            if not count:
                continue
            x, y = Q_LEFT + c * size, Q_BOTTOM - (r + 1) * size
            # Opaque colours, so a cell reads the same whichever region tint is behind it.
            strength = 0.2 + 0.7 * count / most
            boxes.append(
                f'<rect x="{_n(x + 1)}" y="{_n(y + 1)}" width="{_n(size - 2)}" '
                f'height="{_n(size - 2)}" fill="{_mix(COUNT_COLOUR, strength)}" '
                f'class="lvm-cell" data-row="{r}" data-col="{c}" data-count="{count}"/>'
            )
            numbers.append(
                _text(
                    x + size / 2,
                    y + size / 2 + font * 0.35,
                    str(count),
                    text_anchor="middle",
                    font_size=font,
                    font_weight="bold",
                    fill="#ffffff" if strength >= 0.5 else TEXT_COLOUR,
                    class_="lvm-count",
                )
            )
            described.append(
                f"leadership {edge(r)}-{edge(r + 1)} and management {edge(c)}-{edge(c + 1)}: "
                f"{count}"
            )
    body = _region_tints() + _plane_grid() + boxes + _plane_boundaries() + _plane_labels()
    body += numbers + _plane_axes()
    if not total:
        body.append(
            _text(_mx(50), _ly(50) + 5, "No one to show yet", text_anchor="middle", font_size=15)
        )
    people = "person" if total == 1 else "people"
    desc = f"{total} {people} by leadership and management score. " + "; ".join(described)
    return _svg(
        id_prefix=id_prefix,
        kind="histogram",
        width=Q_WIDTH,
        height=Q_BOTTOM + 56,
        title=title,
        desc=desc.rstrip() + ("." if described else ""),
        body=body,
    )


# --- 4. trend ---------------------------------------------------------------------------------

T_WIDTH = CHART_WIDTH
T_LEFT = 44
T_RIGHT = 404
T_LABEL_FONT = MIN_FONT
T_LABEL_MIN = 12  # characters a cut cycle name keeps before names are slanted instead
T_LABEL_MAX = 18  # characters of a slanted cycle name
T_TOP = 56
T_BOTTOM = 246
T_PAD = 40  # keeps the first and last cycle names inside the chart
SLANT_DEGREES = 40
SLANT_COS = math.cos(math.radians(SLANT_DEGREES))
SLANT_SIN = math.sin(math.radians(SLANT_DEGREES))


def _ty(value: float) -> float:
    return T_BOTTOM - value / 100 * (T_BOTTOM - T_TOP)


def _trend_marker(axis: str, x: float, y: float) -> str:
    # Two shapes as well as two colours, so the lines stay apart without colour.
    if axis == LEADERSHIP:
        return (
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5.5" fill="{LEADERSHIP_COLOUR}" '
            f'stroke="#ffffff" stroke-width="1.5"/>'
        )
    return (
        f'<rect x="{_n(x - 5)}" y="{_n(y - 5)}" width="10" height="10" '
        f'fill="{MANAGEMENT_COLOUR}" stroke="#ffffff" stroke-width="1.5"/>'
    )


def trend_lines(points: Sequence[TrendPoint], *, id_prefix: str, title: str) -> SafeString:
    """Leadership and management scores across cycles; None leaves a gap in the line."""
    if not points:
        return _empty(id_prefix=id_prefix, kind="trend", title=title, message="No cycles yet.")
    n = len(points)
    char = T_LABEL_FONT * CHAR_WIDTH
    longest = max(len(point.label) for point in points)
    pad = T_PAD
    slot = (T_RIGHT - T_LEFT - 2 * pad) / (n - 1) if n > 1 else T_RIGHT - T_LEFT
    fits = int((slot - 8) / char)
    # Names are cut to fit side by side while that leaves a readable stub; past that they are
    # slanted, and the first point moves right so its name (hanging down-left) stays inside.
    slant = fits < min(longest, T_LABEL_MIN)
    if slant:
        longest = min(longest, T_LABEL_MAX)
        pad = min(max(T_PAD, longest * char * SLANT_COS - T_LEFT + 4), 120)
        slot = (T_RIGHT - T_LEFT - 2 * pad) / (n - 1) if n > 1 else T_RIGHT - T_LEFT
        max_chars = T_LABEL_MAX
        label_room = longest * char * SLANT_SIN + T_LABEL_FONT
    else:
        max_chars = fits
        label_room = T_LABEL_FONT
    xs = [(T_LEFT + T_RIGHT) / 2] if n == 1 else [T_LEFT + pad + i * slot for i in range(n)]

    body: list[str] = []
    for tick in TICKS:
        colour = AXIS_COLOUR if tick == 0 else GRID_COLOUR
        body.append(
            f'<line x1="{T_LEFT}" y1="{_n(_ty(tick))}" x2="{T_RIGHT}" y2="{_n(_ty(tick))}" '
            f'stroke="{colour}" stroke-width="1"/>'
        )
        body.append(
            _text(T_LEFT - 8, _ty(tick) + 5, str(tick), text_anchor="end", font_size=TICK_FONT)
        )
    for x, point in zip(xs, points, strict=True):
        y = T_BOTTOM + 44
        body.append(
            _text(
                x,
                y,
                _truncate(point.label, max_chars),
                tooltip=point.label,
                text_anchor="end" if slant else "middle",
                transform=f"rotate(-{SLANT_DEGREES} {_n(x)} {_n(y)})" if slant else None,
                font_size=T_LABEL_FONT,
                class_="lvm-cycle",
            )
        )
        if point.leadership is None and point.management is None:
            body.append(
                _text(
                    x,
                    _ty(50) + 5,
                    "not shown" if slot >= _text_width("not shown", MIN_FONT) + 8 else "–",
                    text_anchor="middle",
                    font_size=MIN_FONT,
                    fill=REFERENCE_COLOUR,
                    class_="lvm-hidden",
                    tooltip="Not shown",
                )
            )
    legend, _ = _legend(
        [
            (_trend_marker(LEADERSHIP, 0, 0), "Leadership"),
            (_trend_marker(MANAGEMENT, 0, 0), "Management"),
        ],
        x0=T_LEFT,
        y=20,
        max_x=T_RIGHT,
    )
    body += legend

    values = {
        axis: [
            None if v is None else _score(v, axis)
            for v in (getattr(point, axis) for point in points)
        ]
        for axis in (LEADERSHIP, MANAGEMENT)
    }
    for axis in (MANAGEMENT, LEADERSHIP):
        run: list[str] = []
        for x, value in [*zip(xs, values[axis], strict=True), (0.0, None)]:
            if value is not None:
                run.append(f"{_n(x)},{_n(_ty(value))}")
                continue
            if len(run) > 1:
                body.append(
                    f'<polyline points="{" ".join(run)}" fill="none" '
                    f'stroke="{AXIS_COLOURS[axis]}" stroke-width="3" stroke-linejoin="round" '
                    f'class="lvm-line lvm-line-{axis}"/>'
                )
            run = []
    descs = []
    for i, (x, point) in enumerate(zip(xs, points, strict=True)):
        lead, man = values[LEADERSHIP][i], values[MANAGEMENT][i]
        for axis, value, other in ((LEADERSHIP, lead, man), (MANAGEMENT, man, lead)):
            if value is None:
                continue
            y = _ty(value)
            body.append(_trend_marker(axis, x, y))
            # The higher of the two values is labelled above its marker, the lower below,
            # so the two labels never sit on top of each other.
            above = other is None or value > other or (value == other and axis == LEADERSHIP)
            body.append(
                _text(
                    x,
                    y - 11 if above else y + 23,
                    _fmt(value),
                    text_anchor="middle",
                    font_size=14,
                    font_weight="bold",
                    fill=AXIS_DARK[axis],
                    class_=f"lvm-value lvm-value-{axis}",
                )
            )
        shown = [
            f"{AXIS_NAMES[a].lower()} {_fmt(v)}"
            for a, v in ((LEADERSHIP, lead), (MANAGEMENT, man))
            if v is not None
        ]
        descs.append(f"{point.label}: " + (", ".join(shown) if shown else "not shown"))
    return _svg(
        id_prefix=id_prefix,
        kind="trend",
        width=T_WIDTH,
        height=T_BOTTOM + 44 + label_room - T_LABEL_FONT + 12,
        title=title,
        desc="Scores out of 100 by cycle. " + "; ".join(descs) + ".",
        body=body,
    )
