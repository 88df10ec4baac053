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
from functools import lru_cache

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
    # What a point without values says: withheld, or (a cycle still open) not yet published.
    missing: str = "not shown"


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
# With a previous cycle, its marker has a lane of its own under the bar (never on the bar's
# end or the score), and the change is printed after the score.
PREVIOUS_ROW_HEIGHT = 60
PREVIOUS_GAP = 4  # between the bar's bottom and the marker
PREVIOUS_RADIUS = 5
SCORE_FONT = 15
CHANGE_FONT = MIN_FONT
CHANGE_GAP = 8  # between the score and the change


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

    with_previous = any(b.previous is not None for b in bars)
    # The longest "score change" after a full bar must still fit inside the chart.
    right = BAR_RIGHT
    if with_previous:
        room = max(_text_width(_change_text(b), CHANGE_FONT) for b in bars)
        right = min(right, BAR_WIDTH - 8 - 6 - _score_width("100") - CHANGE_GAP - room)
    span = right - BAR_LEFT
    row_height = PREVIOUS_ROW_HEIGHT if with_previous else ROW_HEIGHT

    def sx(value: float) -> float:
        return BAR_LEFT + value / 100 * span

    body: list[str] = []
    y = 8.0
    legend = []
    if with_previous:
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
            y += row_height
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
    """A hollow dot (as on the balance chart), drawn under a bar at the previous score."""
    return (
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{PREVIOUS_RADIUS}" fill="#ffffff" '
        f'stroke="{TEXT_COLOUR}" stroke-width="2" class="lvm-previous"/>'
    )


def _score_width(text: str) -> float:
    return _text_width(text, SCORE_FONT + 1) + 2  # bold is wider


def _change(bar: DimensionBar) -> int | None:
    """The change since the previous cycle as the result table shows it (rounded half up)."""
    if bar.previous is None:
        return None
    return int(_fmt(_score(bar.score, "score") - _score(bar.previous, "previous")))


def _change_text(bar: DimensionBar) -> str:
    change = _change(bar)
    if change is None:
        return ""
    if change > 0:
        return f"▲ +{change}"
    if change < 0:
        return f"▼ −{-change}"
    return "±0"


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
        out.append(_previous_marker(x, bar_top + BAR_HEIGHT + PREVIOUS_GAP + PREVIOUS_RADIUS))
    text = _fmt(score)
    width = _score_width(text)
    x = sx(score) + 6
    moved = True
    while moved:
        moved = False
        for start, end in taken:
            if start < x + width and end > x - 2:
                x, moved = end + 5, True
    out.append(
        _text(
            x,
            mid + 5,
            text,
            font_size=SCORE_FONT,
            font_weight="bold",
            fill=TEXT_COLOUR,
            class_="lvm-score",
        )
    )
    if bar.previous is not None:
        out.append(
            _text(
                x + width + CHANGE_GAP,
                mid + 5,
                _change_text(bar),
                font_size=CHANGE_FONT,
                fill=MUTED_TEXT,
                class_="lvm-change",
            )
        )
    return "".join(out)


def _bar_desc(bar: DimensionBar) -> str:
    extras = []
    change = _change(bar)
    if change is not None:
        moved = f"up {change}" if change > 0 else f"down {-change}" if change < 0 else "no change"
        extras.append(f"previous {_fmt(_score(bar.previous, 'previous'))}, {moved}")
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
Q_BOTTOM = Q_TOP + Q_SIZE


def _mx(management: float) -> float:
    return Q_LEFT + management / 100 * Q_SIZE


def _ly(leadership: float) -> float:
    return Q_BOTTOM - leadership / 100 * Q_SIZE


def _polygon(points: Sequence[tuple[float, float]], fill: str, cls: str) -> str:
    coords = " ".join(f"{_n(_mx(m))},{_n(_ly(ldr))}" for m, ldr in points)
    return f'<polygon points="{coords}" fill="{fill}" class="{cls}"/>'


@dataclass(frozen=True)
class _Region:
    label: str
    name: str  # for the class, lvm-region-<name>
    corners: tuple[tuple[float, float], ...]  # (management, leadership), 0-100
    tint: str  # in the plot, pale so that dots and cells stand out
    key: str  # in the key's miniature, strong enough to show at icon size
    text: str  # the key's label


def _regions(margin: float = BALANCE_MARGIN) -> list[_Region]:
    """The four profile regions, drawn with the rule of `scoring.profile_for`, in the key's
    order (as they lie on the plane: top left, top right, bottom left, bottom right).

    They are not quadrants split at 50: a profile leans once the balance reaches the margin,
    and within that diagonal band the mean of the two axes separates strong from developing.
    """
    d, t = margin, STRONG_THRESHOLD
    a, b = (t - d / 2, t + d / 2), (t + d / 2, t - d / 2)  # threshold meets the band edges
    return [
        _Region(
            LEADER_LEANING,
            "leader",
            ((0, d), (0, 100), (100 - d, 100)),
            LEADERSHIP_TINT,
            _mix(LEADERSHIP_COLOUR, 0.5),
            LEADERSHIP_DARK,
        ),
        _Region(
            BALANCED_STRONG,
            "strong",
            (a, (100 - d, 100), (100, 100), (100, 100 - d), b),
            STRONG_TINT,
            _mix(COUNT_COLOUR, 0.75),
            TEXT_COLOUR,
        ),
        _Region(
            DEVELOPING,
            "developing",
            ((0, 0), (d, 0), b, a, (0, d)),
            DEVELOPING_TINT,
            _mix(COUNT_COLOUR, 0.35),
            TEXT_COLOUR,
        ),
        _Region(
            MANAGER_LEANING,
            "manager",
            ((d, 0), (100, 0), (100, 100 - d)),
            MANAGEMENT_TINT,
            _mix(MANAGEMENT_COLOUR, 0.55),
            MANAGEMENT_DARK,
        ),
    ]


def _region_tints() -> list[str]:
    return [_polygon(r.corners, r.tint, f"lvm-region-{r.name}") for r in _regions()]


KEY_ICON = 22
KEY_ROW = 30
# The key's miniatures widen the diagonal band, so that its two regions show at icon size.
KEY_MARGIN = 2.5 * BALANCE_MARGIN


def _region_key(y: float) -> tuple[list[str], float]:
    """The profile regions' names in two columns under the plot, from `y`; returns the y
    below them. Each name has a miniature of the plane with its region shaded.

    Outside the plot, so that no name is ever printed over a dot or a cell.
    """

    def corners(region: _Region) -> str:
        return " ".join(
            f"{_n(m / 100 * KEY_ICON)},{_n(KEY_ICON - ldr / 100 * KEY_ICON)}"
            for m, ldr in region.corners
        )

    out = []
    regions = _regions(KEY_MARGIN)
    # Every miniature shows the whole plane in its pale tints, with one region in strong.
    plane = "".join(f'<polygon points="{corners(r)}" fill="{r.tint}"/>' for r in regions)
    for i, region in enumerate(regions):
        x, top = Q_LEFT + (i % 2) * (Q_SIZE / 2), y + (i // 2) * KEY_ROW
        out.append(
            f'<g transform="translate({_n(x)} {_n(top)})" class="lvm-region-key">{plane}'
            f'<polygon points="{corners(region)}" fill="{region.key}"/>'
            f'<rect x="0" y="0" width="{KEY_ICON}" height="{KEY_ICON}" fill="none" '
            f'stroke="{REFERENCE_COLOUR}" stroke-width="1"/></g>'
        )
        out.append(
            _text(
                x + KEY_ICON + 8,
                top + KEY_ICON / 2 + 5,
                region.label,
                font_size=LEGEND_FONT,
                fill=region.text,
                class_="lvm-region-label",
            )
        )
    return out, y + 2 * KEY_ROW


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
    body = _region_tints() + _plane_grid() + _plane_boundaries() + _plane_axes()
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
    key, height = _region_key(height + 6)
    body += key
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
            fill = _cell_fill(count, most)
            boxes.append(
                f'<rect x="{_n(x + 1)}" y="{_n(y + 1)}" width="{_n(size - 2)}" '
                f'height="{_n(size - 2)}" fill="{fill}" '
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
                    fill=_text_on(fill),
                    class_="lvm-count",
                )
            )
            described.append(
                f"leadership {edge(r)}-{edge(r + 1)} and management {edge(c)}-{edge(c + 1)}: "
                f"{count}"
            )
    body = _region_tints() + _plane_grid() + boxes + _plane_boundaries()
    body += numbers + _plane_axes()
    height = Q_BOTTOM + 56
    if total:
        shading, height = _shading_legend(
            sorted({c for row in counts for c in row if c}), most, height + 10
        )
        body += shading
    else:
        body.append(
            _text(_mx(50), _ly(50) + 5, "No one to show yet", text_anchor="middle", font_size=15)
        )
    key, height = _region_key(height + 6)
    body += key
    people = "person" if total == 1 else "people"
    desc = f"{total} {people} by leadership and management score. " + "; ".join(described)
    desc = desc.rstrip() + ("." if described else "")
    if total:
        desc += " Darker cells hold more people."
    return _svg(
        id_prefix=id_prefix,
        kind="histogram",
        width=Q_WIDTH,
        height=height,
        title=title,
        desc=desc,
        body=body,
    )


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    linear = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = linear
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""
    dark, light = sorted((_luminance(one), _luminance(other)))
    return (light + 0.05) / (dark + 0.05)


@lru_cache(maxsize=1024)  # a few dozen fills: worked out once, not per cell and request
def _text_on(fill: str) -> str:
    """White or dark text, whichever stands out more on `fill`."""
    return max(("#ffffff", TEXT_COLOUR), key=lambda text: contrast(text, fill))


# Shades of the count colour on which a count reads at 4.5:1 or more (WCAG AA). Mid-greys
# fall short with white and with dark text alike, so cells skip them.
MIN_TEXT_CONTRAST = 4.5
_READABLE_SHADES = [
    strength / 100
    for strength in range(15, 96)
    if contrast(_text_on(_mix(COUNT_COLOUR, strength / 100)), _mix(COUNT_COLOUR, strength / 100))
    >= MIN_TEXT_CONTRAST
]


@lru_cache(maxsize=4096)
def _cell_fill(count: int, most: int) -> str:
    """Opaque, so a cell reads the same whichever region tint is behind it; darker the
    fuller, at the readable shade nearest to its share of the fullest cell."""
    wanted = 0.2 + 0.7 * count / most
    return _mix(COUNT_COLOUR, min(_READABLE_SHADES, key=lambda s: (abs(s - wanted), s)))


SHADING_SWATCH = 30
SHADING_MAX_SWATCHES = 6


def _shading_legend(values: list[int], most: int, y: float) -> tuple[list[str], float]:
    """What the cells' shades mean: a swatch per count shown (a few when there are many),
    each with its count in it; returns the markup and the y below it."""
    if len(values) > SHADING_MAX_SWATCHES:
        step = (len(values) - 1) / (SHADING_MAX_SWATCHES - 1)
        values = [values[round(i * step)] for i in range(SHADING_MAX_SWATCHES)]
    label = "People per cell:"
    out = [_text(Q_LEFT, y + 17, label, font_size=LEGEND_FONT, fill=MUTED_TEXT)]
    x = Q_LEFT + _text_width(label, LEGEND_FONT) + 10
    for value in values:
        fill = _cell_fill(value, most)
        out.append(
            f'<g class="lvm-shading-key"><rect x="{_n(x)}" y="{_n(y)}" '
            f'width="{SHADING_SWATCH}" height="24" fill="{fill}"/>'
            + _text(
                x + SHADING_SWATCH / 2,
                y + 17,
                str(value),
                text_anchor="middle",
                font_size=LEGEND_FONT,
                font_weight="bold",
                fill=_text_on(fill),
            )
            + "</g>"
        )
        x += SHADING_SWATCH + 4
    return out, y + 24


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


MARKER_SPAN = 13  # the widest trend marker, its white outline included


def _trend_marker(axis: str, x: float, y: float) -> str:
    # Two shapes as well as two colours, so the lines stay apart without colour.
    if axis == LEADERSHIP:
        return (
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5.5" fill="{LEADERSHIP_COLOUR}" '
            f'stroke="#ffffff" stroke-width="1.5" class="lvm-marker lvm-marker-{axis}"/>'
        )
    return (
        f'<rect x="{_n(x - 5)}" y="{_n(y - 5)}" width="10" height="10" '
        f'fill="{MANAGEMENT_COLOUR}" stroke="#ffffff" stroke-width="1.5" '
        f'class="lvm-marker lvm-marker-{axis}"/>'
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
                    point.missing if slot >= _text_width(point.missing, MIN_FONT) + 8 else "–",
                    text_anchor="middle",
                    font_size=MIN_FONT,
                    fill=REFERENCE_COLOUR,
                    class_="lvm-hidden",
                    tooltip=point.missing.capitalize(),
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
    # Where the two markers of a cycle would overlap, they move apart sideways (leadership
    # left, management right), so both stay visible; the lines follow them.
    marker_xs: dict[str, list[float]] = {LEADERSHIP: [], MANAGEMENT: []}
    for x, lead, man in zip(xs, values[LEADERSHIP], values[MANAGEMENT], strict=True):
        close = lead is not None and man is not None and abs(_ty(lead) - _ty(man)) < MARKER_SPAN
        shift = MARKER_SPAN / 2 + 0.5 if close else 0
        marker_xs[LEADERSHIP].append(x - shift)
        marker_xs[MANAGEMENT].append(x + shift)
    for axis in (MANAGEMENT, LEADERSHIP):
        run: list[str] = []
        for x, value in [*zip(marker_xs[axis], values[axis], strict=True), (0.0, None)]:
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
    for i, point in enumerate(points):
        lead, man = values[LEADERSHIP][i], values[MANAGEMENT][i]
        for axis, value, other in ((LEADERSHIP, lead, man), (MANAGEMENT, man, lead)):
            if value is None:
                continue
            x, y = marker_xs[axis][i], _ty(value)
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
        descs.append(f"{point.label}: " + (", ".join(shown) if shown else point.missing))
    return _svg(
        id_prefix=id_prefix,
        kind="trend",
        width=T_WIDTH,
        height=T_BOTTOM + 44 + label_room - T_LABEL_FONT + 12,
        title=title,
        desc="Scores out of 100 by cycle. " + "; ".join(descs) + ".",
        body=body,
    )
