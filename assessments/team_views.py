"""Team dashboards for managers and the organisation overview for staff.

Access goes through ``_get_team_for_manager``: anyone who does not manage the team gets
404, whatever id they put in the URL. Every figure comes from ``queries``, which reads
only published figures. Charts get the whole numbers the page shows, so no attribute of
the SVG carries more precision than the text.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import charts, csv_export, tables
from .csv_export import csv_response
from .models import Team
from .queries import access, organisation
from .queries import team as team_pages

SPREAD_LABEL = "Spread (± 1 standard deviation)"


def _get_team_for_manager(request: HttpRequest, pk: int) -> Team:
    """The team if the user manages it (staff: any team); 404 for everyone else."""
    team = access.team_for_manager(user=request.user, team_pk=pk)
    if team is None:
        raise Http404("No such team.")
    return team


def _dashboard(request: HttpRequest, team_pk: int) -> team_pages.TeamDashboard:
    """The dashboard of a team the person may see, for the cycle asked for; else 404."""
    team = _get_team_for_manager(request, team_pk)
    page = team_pages.team_dashboard(team=team, cycle_pk=_cycle_pk(request))
    if page is None:
        raise Http404("No such cycle.")
    return page


def _cycle_pk(request: HttpRequest) -> int | None:
    raw = request.GET.get("cycle", "")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404("No such cycle.") from None


def _figure_context(
    dimensions, quadrant, *, bins: int, with_org: bool, prefix: str, titles, **row_options
) -> dict:
    """The dimension table and chart and the quadrant table and chart of a group."""
    dimension_title, quadrant_title = titles
    return {
        "dimension_rows": tables.dimension_rows(dimensions, with_org=with_org, **row_options),
        "quadrant_rows": tables.quadrant_rows(quadrant),
        "dimension_chart": charts.dimension_bars(
            _bars(dimensions, with_reference=with_org),
            title=dimension_title,
            id_prefix=f"{prefix}-dims",
            spread_label=SPREAD_LABEL,
        ),
        "quadrant_chart": charts.quadrant_histogram(
            _grid(quadrant, bins), id_prefix=f"{prefix}-quad", title=quadrant_title, bins=bins
        ),
    }


def _bars(dimensions, *, with_reference: bool) -> list[charts.DimensionBar]:
    return [
        charts.DimensionBar(
            label=d.name,
            axis=d.axis,
            score=d.mean_shown,
            reference=d.org_mean_shown if with_reference else None,
            spread_low=d.spread_low,
            spread_high=d.spread_high,
        )
        for d in dimensions
    ]


def _grid(cells, bins: int) -> list[list[int]]:
    grid = [[0] * bins for _ in range(bins)]
    for cell in cells:
        grid[cell.leadership_bin][cell.management_bin] = cell.count
    return grid


@never_cache
@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    """The teams the user manages (staff: every team), with the latest cycle's status."""
    page = team_pages.team_list(user=request.user)
    return render(request, "assessments/team_list.html", {"page": page, "nav_section": "teams"})


@never_cache
@login_required
def team_dashboard(request: HttpRequest, team_pk: int) -> HttpResponse:
    """A team's aggregated figures for one cycle (``?cycle=<pk>``, the latest by default)."""
    page = _dashboard(request, team_pk)
    context = {"page": page, "nav_section": "teams"}
    figures = page.figures
    if figures is not None:
        context |= _figure_context(
            figures.dimensions,
            figures.quadrant,
            bins=figures.bins,
            with_org=figures.org_axes is not None,
            prefix="team",
            titles=(
                f"{page.team_name}: average per dimension (0–100)",
                f"How {page.team_name} spreads between leadership and management",
            ),
        )
        context["profile_rows"] = tables.profile_rows(figures.profiles)
    if page.has_trend:
        context["trend_rows"] = tables.trend_rows(page.trend)
        context["trend_chart"] = charts.trend_lines(
            [
                charts.TrendPoint(
                    label=p.cycle_name,
                    leadership=p.leadership_shown,
                    management=p.management_shown,
                )
                for p in page.trend
            ],
            id_prefix="team-trend",
            title=f"{page.team_name}: average scores across cycles",
        )
    return render(request, "assessments/team_dashboard.html", context)


@never_cache
@login_required
def team_export(request: HttpRequest, team_pk: int) -> HttpResponse:
    """The aggregates of the dashboard as CSV; below the minimum group size only n of k."""
    page = _dashboard(request, team_pk)
    suffix = f"-cycle-{page.cycle.pk}" if page.cycle else ""
    return csv_response(f"lvm-team-{page.team_pk}{suffix}.csv", csv_export.team_rows(page))


@never_cache
@login_required
def organisation_overview(request: HttpRequest) -> HttpResponse:
    """HR only: the organisation's figures for a cycle and one line per team."""
    if not access.sees_organisation(request.user):
        raise Http404("No such page.")
    page = organisation.organisation_overview(cycle_pk=_cycle_pk(request))
    if page is None:
        raise Http404("No such cycle.")
    context = {"page": page, "nav_section": "teams", "team_rows": tables.overview_rows(page)}
    if page.org is not None:
        context |= _figure_context(
            page.org.dimensions,
            page.quadrant,
            bins=page.bins,
            with_org=False,
            prefix="org",
            titles=(
                "Organisation: average per dimension (0–100)",
                "How the organisation spreads between leadership and management",
            ),
            axis_class="",
        )
    return render(request, "assessments/organisation_overview.html", context)
