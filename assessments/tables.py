"""Table bodies of the dashboards, built in Python.

A dashboard shows a dozen small tables and the overview one line per team (hundreds).
Built as plain strings, with every text that comes from people or the admin escaped
(names, labels) and numbers that are ours, they cost a fraction of a template loop with
a tag per cell. The templates keep the tables' captions and headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from .queries.organisation import HeatmapCell


def _signed(value: int | None) -> str:
    if value is None:
        return "–"
    return f"+{value}" if value > 0 else str(value)


def _join(rows: list[str]) -> SafeString:
    return mark_safe("\n".join(rows))


def dimension_rows(
    dimensions: Iterable, *, with_org: bool, axis_class: str = "d-none d-sm-table-cell"
) -> SafeString:
    """Dimension, side, mean and spread, and with_org the organisation and the difference."""
    rows = []
    for d in dimensions:
        org = ""
        if with_org:
            mean = "–" if d.org_mean_shown is None else d.org_mean_shown
            diff = _signed(d.difference)
            org = f'<td class="text-end">{mean}</td><td class="text-end">{diff}</td>'
        rows.append(
            f'<tr><th scope="row">{escape(d.name)}</th><td class="{axis_class}">'
            f'{escape(d.axis.title())}</td><td class="text-end">{d.mean_shown}</td>'
            f'<td class="text-end">±{d.sd_shown}</td>{org}</tr>'
        )
    return _join(rows)


def quadrant_rows(cells: Iterable) -> SafeString:
    """People per region of the leadership x management chart."""
    rows = []
    for c in cells:
        (l_lo, l_hi), (m_lo, m_hi) = c.leadership_range, c.management_range
        rows.append(
            f"<tr><td>{l_lo}–{l_hi}</td><td>{m_lo}–{m_hi}</td>"
            f'<td class="text-end">{c.count}</td></tr>'
        )
    return _join(rows)


def profile_rows(profiles: Iterable) -> SafeString:
    return _join(
        [
            f'<tr><th scope="row">{escape(p.label)}</th><td class="text-end">{p.count}</td></tr>'
            for p in profiles
        ]
    )


def trend_rows(trend: Iterable) -> SafeString:
    rows = []
    for p in trend:
        if p.is_gap:
            note = "Published when the cycle closes" if p.waiting else "No figures"
            cells = f'<td colspan="2" class="text-end text-body-secondary">{note}</td>'
        else:
            cells = (
                f'<td class="text-end">{p.leadership_shown}</td>'
                f'<td class="text-end">{p.management_shown}</td>'
            )
        rows.append(f'<tr><th scope="row">{escape(p.cycle_name)}</th>{cells}</tr>')
    return _join(rows)


def overview_rows(page) -> SafeString:
    """The organisation overview's line per team.

    Plain strings with the one text from people (the team's name) escaped: hundreds of
    lines, where format_html's per-value work would be most of the page's time.
    """
    if page.cycle is None:
        return SafeString("")
    marker = "999999999"
    url = escape(reverse("assessments:team-dashboard", args=[int(marker)]))
    cycle = page.cycle.pk
    rows = []
    for t in page.teams:
        link = (
            f'<th scope="row"><a href="{url.replace(marker, str(t.team_pk))}?cycle={cycle}">'
            f'{escape(t.team_name)}</a></th><td class="text-end d-none d-sm-table-cell">'
            f"{t.members}</td>"
        )
        if t.withheld:
            if not t.counts_shown:
                status = f"No figures: fewer than {t.k} members"
            elif t.waiting:
                status = f"{t.submitted} of {t.members} · figures when the cycle closes"
            else:
                status = f"No figures ({t.submitted} submitted)"
            cells = (
                f'<td class="text-body-secondary">{status}</td><td class="text-end">–</td>'
                '<td class="text-end">–</td><td class="text-end d-none d-sm-table-cell">–</td>'
            )
        else:
            lead, mgmt, balance = t.shown
            rate = f" ({t.response_rate}%)" if t.response_rate is not None else ""
            left = f" · {t.left_out} not counted" if t.left_out else ""
            cells = (
                f'<td>{t.submitted} of {t.members}{rate}{left}</td><td class="text-end">{lead}'
                f'</td><td class="text-end">{mgmt}</td>'
                f'<td class="text-end d-none d-sm-table-cell">{_signed(balance)}</td>'
            )
        rows.append(f"<tr>{link}{cells}</tr>")
    if not rows:
        return mark_safe(
            '<tr><td colspan="6" class="text-body-secondary">'
            "No teams yet. Add them in the admin.</td></tr>"
        )
    return _join(rows)


_WITHHELD_TEAM = "Withheld to protect privacy"
_MISSING_TEAM = "No data for this cycle"
_BAND_CLASS = {-2: "hm-down2", -1: "hm-down1", 0: "hm-level", 1: "hm-up1", 2: "hm-up2"}
# Colour is not the only cue: the outer bands carry a mark that prints in black and white.
_BAND_MARK = {-2: "▼▼", -1: "▼", 0: "", 1: "▲", 2: "▲▲"}


def _heatmap_cell(cell) -> str:
    """A team's number in one column, and for screen readers how far from the organisation."""
    if cell.mean is None:
        return (
            '<td class="hm hm-withheld"><span aria-hidden="true">–</span>'
            '<span class="visually-hidden">withheld</span></td>'
        )
    if cell.difference is None:
        return (
            f'<td class="hm hm-level">{cell.mean}'
            '<span class="visually-hidden"> (no organisation figure to compare)</span></td>'
        )
    step = cell.step
    mark = _BAND_MARK[step]
    if mark:
        mark = f'<span class="hm-mark" aria-hidden="true">{mark}</span>'
    versus = (
        f"{_signed(cell.difference)} vs organisation" if cell.difference else "as organisation"
    )
    return (
        f'<td class="hm {_BAND_CLASS[step]}">{cell.mean}{mark}'
        f'<span class="visually-hidden"> ({versus})</span></td>'
    )


def heatmap_rows(page) -> SafeString:
    """The heatmap's body: the organisation for reference, then a line per team.

    A team without figures gets one cell across the columns that says why, withheld
    (privacy) or no data (not part of this cycle's publication), never a number.
    """
    heatmap = page.heatmap
    if heatmap is None:
        return SafeString("")
    columns = heatmap.columns
    span = len(columns)
    org = "".join(
        f'<td class="hm hm-org">{"–" if c.org_mean is None else c.org_mean}</td>' for c in columns
    )
    rows = [f'<tr class="hm-org-row"><th scope="row">Organisation</th>{org}</tr>']
    marker = "999999999"
    url = escape(reverse("assessments:team-dashboard", args=[int(marker)]))
    cycle = page.cycle.pk
    # The query makes each distinct cell once and repeats it (see organisation._heatmap):
    # each is written once too, looked up by identity, which is cheaper than by value.
    rendered: dict[int, str] = {}

    def cell_html(cell: HeatmapCell) -> str:
        html = rendered.get(id(cell))
        if html is None:
            html = rendered[id(cell)] = _heatmap_cell(cell)
        return html

    for r in heatmap.rows:
        name = (
            f'<th scope="row"><a href="{url.replace(marker, str(r.team_pk))}?cycle={cycle}">'
            f"{escape(r.team_name)}</a></th>"
        )
        if r.state == "withheld":
            cells = f'<td colspan="{span}" class="hm hm-withheld hm-span">{_WITHHELD_TEAM}</td>'
        elif r.state == "missing":
            name = f'<th scope="row">{escape(r.team_name)}</th>'
            cells = f'<td colspan="{span}" class="hm hm-missing hm-span">{_MISSING_TEAM}</td>'
        else:
            cells = "".join(map(cell_html, r.cells))
        rows.append(f"<tr>{name}{cells}</tr>")
    return _join(rows)
