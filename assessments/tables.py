"""Table bodies of the dashboards, built in Python.

A dashboard shows a dozen small tables and the overview one line per team (hundreds).
Built as plain strings, with every text that comes from people or the admin escaped
(names, labels) and numbers that are ours, they cost a fraction of a template loop with
a tag per cell. The templates keep the tables' captions and headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe


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
            status = (
                f"{t.submitted} of {t.members} · figures when the cycle closes"
                if t.waiting
                else f"No figures ({t.submitted} submitted)"
            )
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
