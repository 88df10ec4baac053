"""Team dashboards for managers and the organisation overview for staff.

Access goes through ``_get_team_for_manager``: anyone who does not manage the team gets
404, whatever id they put in the URL. Every figure comes from ``queries``, which reads
only published figures. Charts get the whole numbers the page shows, so no attribute of
the SVG carries more precision than the text.
"""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import charts, csv_export, services, tables
from .csv_export import csv_response
from .forms import ActionPlanForm
from .models import Membership, Team, TeamActionPlan
from .queries import access, instrument, organisation, participation
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
@require_safe
def team_list(request: HttpRequest) -> HttpResponse:
    """The teams the user manages (staff: every team), with the latest cycle's status."""
    page = team_pages.team_list(user=request.user)
    return render(request, "assessments/team_list.html", {"page": page, "nav_section": "teams"})


@never_cache
@login_required
@require_safe
def team_dashboard(request: HttpRequest, team_pk: int) -> HttpResponse:
    """A team's aggregated figures for one cycle (``?cycle=<pk>``, the latest by default)."""
    page = _dashboard(request, team_pk)
    # Only the team's own managers write its plan (team_for_manager noted it, no query).
    can_plan = getattr(request.user, "_lvm_manages", False)
    context = {"page": page, "nav_section": "teams", "can_plan": can_plan}
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
                    missing="after it closes" if p.waiting else "not shown",
                )
                for p in page.trend
            ],
            id_prefix="team-trend",
            title=f"{page.team_name}: average scores across cycles",
        )
    return render(request, "assessments/team_dashboard.html", context)


@never_cache
@login_required
@require_safe
def team_export(request: HttpRequest, team_pk: int) -> HttpResponse:
    """The aggregates of the dashboard as CSV; below the minimum group size only n of k."""
    page = _dashboard(request, team_pk)
    suffix = f"-cycle-{page.cycle.pk}" if page.cycle else ""
    return csv_response(f"lvm-team-{page.team_pk}{suffix}.csv", csv_export.team_rows(page))


@never_cache
@login_required
@require_safe
def organisation_overview(request: HttpRequest) -> HttpResponse:
    """HR only: the organisation's figures for a cycle, one line per team and the heatmap
    (``?sort=<column>&dir=desc``: the query ignores a column it does not know)."""
    if not access.sees_organisation(request.user):
        raise Http404("No such page.")
    page = organisation.organisation_overview(
        cycle_pk=_cycle_pk(request),
        sort=request.GET.get("sort", ""),
        direction=request.GET.get("dir", ""),
    )
    if page is None:
        raise Http404("No such cycle.")
    context = {
        "page": page,
        "nav_section": "teams",
        "team_rows": tables.overview_rows(page),
        "heatmap_rows": tables.heatmap_rows(page),
    }
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


def _hr_only(view):
    """HR and administrators (the organisation permission); 404 for everyone else."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not access.sees_organisation(request.user):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return never_cache(login_required(wrapper))


def _instrument(request: HttpRequest) -> instrument.InstrumentPage:
    """The report asked for: ``report=c<cycle id>`` or ``v<version id>`` (all its cycles)."""
    params = request.POST if request.method == "POST" else request.GET
    raw = params.get("report", "")
    wanted = {}
    if raw:
        kind, number = raw[:1], raw[1:]
        if kind not in ("c", "v") or not number.isdigit() or len(number) > 18:
            raise Http404("No such report.")
        wanted = {"cycle_pk" if kind == "c" else "questionnaire_pk": int(number)}
    page = instrument.instrument_page(**wanted)
    if page is None:
        raise Http404("No such report.")
    return page


@_hr_only
@require_safe
def instrument_report(request: HttpRequest) -> HttpResponse:
    """How reliably each dimension measures, pooled over everyone who submitted."""
    context = {"page": _instrument(request), "nav_section": "teams"}
    return render(request, "assessments/instrument_report.html", context)


@_hr_only
@require_safe
def instrument_export(request: HttpRequest) -> HttpResponse:
    """The instrument report as CSV: per dimension and per item."""
    page = _instrument(request)
    if not page.ready:
        raise Http404("No report yet.")
    suffix = f"cycle-{page.cycle.pk}" if page.cycle else f"version-{page.questionnaire.pk}"
    return csv_response(f"lvm-instrument-{suffix}.csv", csv_export.instrument_rows(page))


@never_cache
@login_required
@require_safe
def participation_page(request: HttpRequest) -> HttpResponse:
    """How many take part in a cycle, were invited and reminded, and submitted: per team
    (a manager's own teams; every team for HR) and overall for HR. No names."""
    if not access.sees_teams(request.user):
        raise Http404("No such page.")
    page = participation.participation_page(user=request.user, cycle_pk=_cycle_pk(request))
    if page is None:
        raise Http404("No such cycle.")
    context = {"page": page, "nav_section": "teams"}
    return render(request, "assessments/participation.html", context)


def _plan_page(request: HttpRequest, team_pk: int) -> tuple[Team, team_pages.TeamDashboard]:
    """The team and its dashboard, if the person manages it: only its managers write
    its action plan. HR, who see every team, read plans but get 403 here; others 404."""
    team = _get_team_for_manager(request, team_pk)
    if not Membership.objects.filter(
        team=team, user=request.user, role=Membership.Role.MANAGER
    ).exists():
        raise PermissionDenied("Only the team's managers write its action plan.")
    return team, _dashboard(request, team_pk)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_plan(request: HttpRequest, team_pk: int) -> HttpResponse:
    """Write or change the team's action plan for a cycle whose figures are published."""
    team, page = _plan_page(request, team_pk)
    if page.figures is None:
        messages.info(request, "An action plan needs the team's published figures.")
        return redirect("assessments:team-dashboard", team.pk)
    plan = page.plan
    initial = {"focus": plan.focus_codes, "actions": plan.actions, "due": plan.due} if plan else {}
    form = ActionPlanForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        choices=page.plan_choices,
        limit=TeamActionPlan.MAX_FOCUS,
    )
    if request.method == "POST" and form.is_valid():
        services.save_action_plan(
            team=team, cycle_pk=page.cycle.pk, author=request.user, **form.cleaned_data
        )
        messages.success(request, "The team's action plan is saved.")
        return redirect(_dashboard_url(team.pk, page.cycle.pk) + "#plan")
    context = {"page": page, "form": form, "nav_section": "teams"}
    return render(request, "assessments/team_plan.html", context)


@never_cache
@login_required
@require_POST
def team_plan_done(request: HttpRequest, team_pk: int) -> HttpResponse:
    """Mark the plan done (or not done again)."""
    team, page = _plan_page(request, team_pk)
    if page.plan is None:
        raise Http404("No action plan for this cycle.")
    done = request.POST.get("done") == "1"
    services.mark_action_plan(team=team, cycle_pk=page.cycle.pk, done=done)
    messages.success(request, "Marked as done." if done else "Marked as not done yet.")
    return redirect(_dashboard_url(team.pk, page.cycle.pk) + "#plan")


def _dashboard_url(team_pk: int, cycle_pk: int) -> str:
    return f"{reverse('assessments:team-dashboard', args=[team_pk])}?cycle={cycle_pk}"
