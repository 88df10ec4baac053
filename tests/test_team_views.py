"""Team pages: who may open them, what they show above and below k, and the CSV."""

import csv
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Dimension, Team

from .conftest import make_cycle
from .test_dashboards import TEAM_LEVELS, add_members, start_draft, submit_levels


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def dashboard_url(team, cycle=None):
    url = reverse("assessments:team-dashboard", args=[team.pk])
    return f"{url}?cycle={cycle.pk}" if cycle else url


def export_url(team, cycle=None):
    url = reverse("assessments:team-export", args=[team.pk])
    return f"{url}?cycle={cycle.pk}" if cycle else url


def rows_of(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def team_with(cycle, alpha):
    """Alpha with ``n`` members who submitted (leadership 80 +/-, see TEAM_LEVELS)."""

    def build(n, *, drafts=0):
        members = add_members(alpha, n + drafts, "member")
        for user, levels in zip(members[:n], TEAM_LEVELS * 2, strict=False):
            submit_levels(user, cycle, levels)
        for user in members[n:]:
            start_draft(user, cycle)
        return alpha

    return build


def login(client, user):
    client.force_login(user)
    return client


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url_of", [dashboard_url, export_url])
def test_manager_of_the_team_gets_200(client, bob, alpha, cycle, url_of):
    assert login(client, bob).get(url_of(alpha)).status_code == 200


@pytest.mark.parametrize("url_of", [dashboard_url, export_url])
@pytest.mark.parametrize("who", ["dora", "alice", "charlie"])
def test_other_manager_member_and_outsider_get_404(client, request, alpha, cycle, url_of, who):
    user = request.getfixturevalue(who)
    assert login(client, user).get(url_of(alpha)).status_code == 404


@pytest.mark.parametrize("url_of", [dashboard_url, export_url])
def test_anonymous_visitor_is_sent_to_login(client, alpha, cycle, url_of):
    response = client.get(url_of(alpha))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("url_of", [dashboard_url, export_url])
def test_staff_sees_every_team(client, staff, alpha, beta, cycle, url_of):
    login(client, staff)
    assert client.get(url_of(alpha)).status_code == 200
    assert client.get(url_of(beta)).status_code == 200


def test_unknown_team_gives_404_even_to_staff(client, staff, cycle):
    response = login(client, staff).get(reverse("assessments:team-dashboard", args=[999_999]))
    assert response.status_code == 404


@pytest.mark.parametrize("raw", ["abc", "999999", "-1"])
def test_bad_cycle_parameter_gives_404(client, bob, alpha, cycle, raw):
    url = reverse("assessments:team-dashboard", args=[alpha.pk]) + f"?cycle={raw}"
    assert login(client, bob).get(url).status_code == 404


def test_future_cycle_gives_404(client, bob, alpha, questionnaire, cycle):
    future = make_cycle(questionnaire, name="Next", days_ago=-10)
    assert login(client, bob).get(dashboard_url(alpha, future)).status_code == 404


def test_organisation_overview_is_for_staff_only(client, staff, bob, alice, cycle):
    url = reverse("assessments:organisation-overview")
    assert client.get(url).status_code == 302
    assert login(client, bob).get(url).status_code == 404
    assert login(client, alice).get(url).status_code == 404
    assert login(client, staff).get(url).status_code == 200


@pytest.mark.parametrize("url_of", [dashboard_url, export_url])
def test_dashboard_and_csv_are_never_cached(client, bob, alpha, cycle, url_of):
    response = login(client, bob).get(url_of(alpha))
    assert "no-store" in response["Cache-Control"]


# --- the k threshold ------------------------------------------------------------------------


def test_below_k_the_page_reveals_only_n_of_k(client, bob, team_with, cycle):
    team = team_with(4, drafts=1)
    response = login(client, bob).get(dashboard_url(team))
    html = response.content.decode()
    assert "Not enough responses yet (4 of 5)" in html
    assert "<svg" not in html and "score-figure" not in html
    assert "in progress" not in html and "Organisation" not in html
    for chart in ("dimension_chart", "quadrant_chart", "trend_chart"):
        assert chart not in response.context
    # Every section says so, and no per-dimension name appears.
    assert html.count("Not enough responses yet (4 of 5)") == 5
    assert "Leadership 0" not in html


def test_below_k_the_csv_reveals_only_n_of_k(client, bob, team_with):
    team = team_with(4, drafts=1)
    rows = rows_of(login(client, bob).get(export_url(team)))
    assert ["about", "status", "not enough responses yet (4 of 5)", ""] in rows
    assert {r[0] for r in rows} == {"section", "about"}
    assert not any("in progress" in r[1] for r in rows)


def test_at_k_the_page_shows_figures_and_charts(client, bob, team_with):
    team = team_with(5, drafts=1)
    response = login(client, bob).get(dashboard_url(team))
    html = response.content.decode()
    assert "Not enough responses yet" not in html
    assert html.count("<svg") == 3
    assert "5 of 6 submitted, 1 in progress" in html and "83%" in html
    # Team leadership average 60, management 45 (see test_dashboards).
    assert '<div class="score-figure text-lead">60</div>' in html
    assert '<div class="score-figure text-mgmt">45</div>' in html
    assert "Leadership 0" in html  # a dimension name, in the chart and its table
    assert "<details" in html and "Dimensions as a table" in html


def test_at_k_the_csv_has_exactly_the_figures_shown(client, bob, team_with):
    team = team_with(5, drafts=1)
    rows = rows_of(login(client, bob).get(export_url(team)))
    by_measure = {(r[0], r[1]): r[2:] for r in rows}
    assert by_measure[("about", "submitted")] == ["5", ""]
    assert by_measure[("about", "in progress")] == ["1", ""]
    assert by_measure[("axes (0-100)", "leadership mean")] == ["60.0", ""]
    assert by_measure[("axes (0-100)", "management mean")] == ["45.0", ""]
    assert by_measure[("dimension mean", "Leadership 1 (leadership)")] == ["65.0", ""]
    assert by_measure[("quadrant (people)", "leadership 40-60, management 40-60")] == ["2", ""]


def test_page_never_names_members(client, bob, team_with):
    team = team_with(5)
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    for i in range(5):
        assert f"member{i}" not in html


def test_drafts_do_not_reach_k(client, bob, team_with):
    team = team_with(4, drafts=3)
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    assert "Not enough responses yet (4 of 5)" in html


def test_trend_gap_is_shown_as_not_enough(client, bob, alpha, questionnaire):
    old = make_cycle(questionnaire, name="Old round", open_=False, days_ago=60)
    now = make_cycle(questionnaire, name="This round")
    members = add_members(alpha, 5, "m")
    for user in members:
        submit_levels(user, now, (4, 4, 2, 2))
    for user in members[:4]:
        submit_levels(user, old, (2, 2, 4, 4))
    html = login(client, bob).get(dashboard_url(alpha, now)).content.decode()
    assert "Not enough responses (4 of 5)" in html
    rows = rows_of(client.get(export_url(alpha, now)))
    assert ["trend", "Old round: leadership", "not enough responses (4 of 5)", ""] in rows


# --- escaping and the CSV -------------------------------------------------------------------


def test_hostile_names_are_escaped(client, bob, team_with, cycle):
    team = team_with(5)
    Team.objects.filter(pk=team.pk).update(name="<script>alert('team')</script>")
    Dimension.objects.filter(code="lead0").update(name="<script>alert('dim')</script>")
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;team&#x27;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#x27;dim&#x27;)&lt;/script&gt;" in html


def test_csv_neutralises_formulas(client, bob, team_with):
    team = team_with(5)
    Team.objects.filter(pk=team.pk).update(name='=HYPERLINK("http://x")')
    Dimension.objects.filter(code="lead0").update(name="@SUM(A1)")
    rows = rows_of(login(client, bob).get(export_url(team)))
    assert ["about", "team", '\'=HYPERLINK("http://x")', ""] in rows
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert any(r[1] == "'@SUM(A1) (leadership)" for r in rows)


def test_no_inline_styles_or_scripts(client, bob, team_with):
    team = team_with(5)
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    assert "style=" not in html and "<style" not in html
    assert html.count("<script") == html.count("<script src=")


# --- speed ----------------------------------------------------------------------------------


def test_query_count_is_the_same_for_5_and_50_members(client, cycle, alpha, beta, bob, dora):
    for user in add_members(alpha, 5, "small"):
        submit_levels(user, cycle, (3, 3, 3, 3))
    for i, user in enumerate(add_members(beta, 50, "large")):
        submit_levels(user, cycle, (1 + i % 5, 2, 4, 1 + i % 3))
    counts = []
    for team, manager in ((alpha, bob), (beta, dora)):
        login(client, manager)
        client.get(dashboard_url(team))  # warms the organisation figures
        with CaptureQueriesContext(connection) as queries:
            response = client.get(dashboard_url(team))
        assert response.status_code == 200 and response.context["page"].figures
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10


# --- lists ----------------------------------------------------------------------------------


def test_team_list_shows_managed_teams_only(client, bob, alpha, beta, dora, cycle):
    html = login(client, bob).get(reverse("assessments:team-list")).content.decode()
    assert dashboard_url(alpha) in html and dashboard_url(beta) not in html
    assert "Not enough responses yet (0 of 5)" in html


def test_team_list_for_a_member_says_there_is_nothing(client, alice, cycle):
    html = login(client, alice).get(reverse("assessments:team-list")).content.decode()
    assert "You don't manage a team" in html


def test_staff_team_list_links_to_the_overview(client, staff, alpha, beta, cycle):
    html = login(client, staff).get(reverse("assessments:team-list")).content.decode()
    assert dashboard_url(alpha) in html and dashboard_url(beta) in html
    assert reverse("assessments:organisation-overview") in html


def test_organisation_overview_shows_teams_above_k_and_n_of_k_below(
    client, staff, team_with, beta, cycle
):
    team_with(5)
    add_members(beta, 1, "b")
    html = login(client, staff).get(reverse("assessments:organisation-overview")).content.decode()
    assert "Not enough responses yet (0 of 5)" in html  # Beta
    assert html.count("<svg") == 2
    assert "1 of 2 with figures" in html
