"""Team dashboards for managers and the organisation overview for staff."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import queries


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    page = queries.home_page(user=request.user)
    return render(request, "assessments/team_list.html", {"page": page, "nav_section": "teams"})


@login_required
def team_dashboard(request: HttpRequest, team_pk: int) -> HttpResponse:
    raise Http404


@login_required
def team_export(request: HttpRequest, team_pk: int) -> HttpResponse:
    raise Http404


@login_required
def organisation_overview(request: HttpRequest) -> HttpResponse:
    raise Http404
