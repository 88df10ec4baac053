"""Team pages: who may open them, what they show with and without figures, and the CSV.

Figures are published: a closed cycle is published by the first read of a page, and an
open cycle (by default) shows only who has submitted until it closes.
"""

import re

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Cycle, Dimension, Membership, Publication, Team

from .conftest import (
    TEAM_LEVELS,
    add_members,
    csv_rows,
    dashboard_url,
    export_url,
    make_cycle,
    make_user,
    start_draft,
    submit_levels,
)


def rows_of(response):
    return csv_rows(response.content)


def login(client, user):
    client.force_login(user)
    return client


def _team_in(cycle, alpha):
    def build(n, *, drafts=0):
        members = add_members(alpha, n + drafts, "member")
        for user, levels in zip(members[:n], TEAM_LEVELS * 2, strict=False):
            submit_levels(user, cycle, levels)
        for user in members[n:]:
            start_draft(user, cycle)
        return alpha

    return build


@pytest.fixture
def team_with(closed_cycle, alpha):
    """Alpha with ``n`` members who submitted to the closed cycle (see TEAM_LEVELS)."""
    return _team_in(closed_cycle, alpha)


@pytest.fixture
def open_team_with(cycle, alpha):
    """Alpha with ``n`` members who submitted to the open cycle."""
    return _team_in(cycle, alpha)


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url_of", [dashboard_url, export_url])
def test_manager_of_the_team_gets_200(client, bob, alpha, cycle, url_of):
    """Bob manages Alpha: he may open its page and its CSV."""
    assert login(client, bob).get(url_of(alpha)).status_code == 200


@pytest.mark.parametrize("url_of", [dashboard_url, export_url])
@pytest.mark.parametrize("who", ["dora", "alice", "charlie"])
def test_other_manager_member_and_outsider_get_404(client, request, alpha, cycle, url_of, who):
    """Anyone who does not manage Alpha is told it does not exist."""
    user = request.getfixturevalue(who)
    assert login(client, user).get(url_of(alpha)).status_code == 404


@pytest.mark.parametrize("url_of", [dashboard_url, export_url])
def test_anonymous_visitor_is_sent_to_login(client, alpha, cycle, url_of):
    """Without a session the pages redirect to the log-in form."""
    response = client.get(url_of(alpha))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("url_of", [dashboard_url, export_url])
def test_staff_sees_every_team(client, staff, alpha, beta, cycle, url_of):
    """HR may open any team's page."""
    login(client, staff)
    assert client.get(url_of(alpha)).status_code == 200
    assert client.get(url_of(beta)).status_code == 200


def test_unknown_team_gives_404_even_to_staff(client, staff, cycle):
    """A team id that does not exist is a 404."""
    response = login(client, staff).get(reverse("assessments:team-dashboard", args=[999_999]))
    assert response.status_code == 404


@pytest.mark.parametrize("raw", ["abc", "999999", "-1"])
def test_bad_cycle_parameter_gives_404(client, bob, alpha, cycle, raw):
    """A cycle parameter that names no cycle is a 404, not an error."""
    url = reverse("assessments:team-dashboard", args=[alpha.pk]) + f"?cycle={raw}"
    assert login(client, bob).get(url).status_code == 404


def test_future_cycle_gives_404(client, bob, alpha, questionnaire, cycle):
    """A cycle that has not opened cannot be chosen."""
    future = make_cycle(questionnaire, name="Next", days_ago=-10)
    assert login(client, bob).get(dashboard_url(alpha, future)).status_code == 404


def test_organisation_overview_is_for_staff_only(client, staff, bob, alice, cycle):
    """Managers and members get 404; visitors are sent to log in."""
    url = reverse("assessments:organisation-overview")
    assert client.get(url).status_code == 302
    assert login(client, bob).get(url).status_code == 404
    assert login(client, alice).get(url).status_code == 404
    assert login(client, staff).get(url).status_code == 200


@pytest.mark.parametrize("url_of", [dashboard_url, export_url])
def test_dashboard_and_csv_are_never_cached(client, bob, alpha, cycle, url_of):
    """Browsers and proxies must not keep a copy of team figures."""
    response = login(client, bob).get(url_of(alpha))
    assert "no-store" in response["Cache-Control"]


# --- with and without figures ---------------------------------------------------------------


def test_while_the_cycle_is_open_the_page_shows_only_the_response_rate(
    client, bob, open_team_with, cycle
):
    """By default figures wait for the close, however many have submitted."""
    team = open_team_with(5, drafts=1)
    response = login(client, bob).get(dashboard_url(team))
    html = response.content.decode()
    assert response.context["page"].waiting and response.context["page"].figures is None
    assert "Figures appear when the cycle closes" in html
    assert "5 of 6 submitted, 1 in progress" in html and "83%" in html
    assert "<svg" not in html and "score-figure text-lead" not in html
    assert "Leadership 0" not in html
    for chart in ("dimension_chart", "quadrant_chart", "trend_chart"):
        assert chart not in response.context
    assert not Publication.objects.exists()


def test_while_the_cycle_is_open_the_csv_has_no_figures(client, bob, open_team_with, cycle):
    """The CSV says when the figures come and holds nothing else."""
    team = open_team_with(5)
    rows = rows_of(login(client, bob).get(export_url(team)))
    status = f"figures are published when the cycle closes ({cycle.closes_at:%Y-%m-%d})"
    assert ["about", "status", status, ""] in rows
    assert {r[0] for r in rows} == {"section", "about"}


def test_below_k_the_page_shows_no_figures(client, bob, team_with):
    """Four of five members submitted to a closed cycle: response rate and an explanation."""
    team = team_with(4, drafts=1)
    response = login(client, bob).get(dashboard_url(team))
    html = response.content.decode()
    assert "No figures for this team in Current" in html
    assert "4 of 5 submitted" in html and "80%" in html
    assert "<svg" not in html and "score-figure text-lead" not in html
    assert "in progress" not in html and "Organisation" not in html
    for chart in ("dimension_chart", "quadrant_chart", "trend_chart"):
        assert chart not in response.context
    assert "Leadership 0" not in html


def test_below_k_the_csv_shows_no_figures(client, bob, team_with):
    """Only the about section, with the reason."""
    team = team_with(4, drafts=1)
    rows = rows_of(login(client, bob).get(export_url(team)))
    assert ["about", "status", "no figures: fewer than 5 people could be counted", ""] in rows
    assert {r[0] for r in rows} == {"section", "about"}
    assert not any("in progress" in r[1] for r in rows)


def test_at_k_the_page_shows_figures_and_charts(client, bob, team_with):
    """Five members submitted: averages, three charts and the tables behind them."""
    team = team_with(5, drafts=1)
    response = login(client, bob).get(dashboard_url(team))
    html = response.content.decode()
    assert "No figures" not in html
    assert html.count("<svg") == 3
    assert "5 of 6 submitted" in html and "83%" in html
    # Team leadership average 60, management 45 (see test_dashboards).
    assert '<div class="score-figure text-lead">60</div>' in html
    assert '<div class="score-figure text-mgmt">45</div>' in html
    assert "These figures count 5 members" in html and "They will not change" in html
    assert "Leadership 0" in html  # a dimension name, in the chart and its table
    assert "<details" in html and "Dimensions as a table" in html


def test_at_k_the_csv_has_exactly_the_figures_shown(client, bob, team_with):
    """One decimal; the organisation is the same five people here."""
    team = team_with(5, drafts=1)
    rows = rows_of(login(client, bob).get(export_url(team)))
    by_measure = {(r[0], r[1]): r[2:] for r in rows}
    assert by_measure[("about", "team members")] == ["6", ""]
    assert by_measure[("about", "team members who submitted")] == ["5", ""]
    assert by_measure[("about", "counted in the figures")] == ["5", "5"]
    assert ("about", "in progress") not in by_measure  # a closed cycle has nobody in progress
    assert by_measure[("axes (0-100)", "leadership mean")] == ["60.0", "60.0"]
    assert by_measure[("axes (0-100)", "management mean")] == ["45.0", "45.0"]
    # sqrt((40² + 15² + 10² + 10² + 35²) / 5) = sqrt(650) = 25.50
    assert by_measure[("axes (0-100)", "leadership standard deviation")] == ["25.5", "25.5"]
    assert by_measure[("dimension mean", "Leadership 1 (leadership)")] == ["65.0", "65.0"]
    assert by_measure[("quadrant (people)", "leadership 40-60, management 40-60")] == ["2", ""]
    assert by_measure[("trend", "Current: leadership")] == ["60.0", ""]


def test_left_out_members_are_explained(client, bob, team_with, closed_cycle, beta):
    """A member also in Beta is a group of one: the page says one is not counted."""
    team = team_with(5)
    both = add_members(team, 1, "both")[0]
    Membership.objects.create(user=both, team=beta, role=Membership.Role.MEMBER)
    for user in add_members(beta, 5, "b"):
        submit_levels(user, closed_cycle, (3, 3, 3, 3))
    submit_levels(both, closed_cycle, (1, 1, 1, 1))
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    assert "6 of 6 submitted" in html and "These figures count 5 members" in html
    assert "1 member who submitted is not counted" in html
    assert '<div class="score-figure text-lead">60</div>' in html  # without the sixth's 0


def test_page_never_names_members(client, bob, team_with):
    """Neither usernames nor any other trace of who answered."""
    team = team_with(5)
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    for i in range(5):
        assert f"member{i}" not in html


def test_drafts_do_not_reach_k(client, bob, team_with):
    """Four submitted and three drafts are still four people: no figures."""
    team = team_with(4, drafts=3)
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    assert "No figures for this team" in html and "4 of 7 submitted" in html


def test_a_cycle_showing_figures_while_open_publishes_at_k(client, bob, open_team_with, cycle):
    """With show_while_open, four people are no figures yet and five are."""
    cycle.show_while_open = True
    cycle.save(update_fields=["show_while_open"])
    team = open_team_with(4)
    add_members(team, 1, "not-yet")  # five members: how many submitted may be shown
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    assert "No figures yet (4 submitted)" in html and "<svg" not in html
    submit_levels(add_members(team, 1, "fifth")[0], cycle, TEAM_LEVELS[4])
    html = client.get(dashboard_url(team)).content.decode()
    assert '<div class="score-figure text-lead">60</div>' in html
    assert "They will not change" not in html  # a later step may add people


def test_trend_gap_is_shown_as_no_figures(client, bob, alpha, questionnaire):
    """A closed cycle with four members is a gap in the trend, in the page and the CSV."""
    old = make_cycle(questionnaire, name="Old round", open_=False, days_ago=60)
    now = make_cycle(questionnaire, name="This round", open_=False, days_ago=5)
    members = add_members(alpha, 5, "m")
    for user in members:
        submit_levels(user, now, (4, 4, 2, 2))
    for user in members[:4]:
        submit_levels(user, old, (2, 2, 4, 4))
    html = login(client, bob).get(dashboard_url(alpha, now)).content.decode()
    assert re.search(r"<th scope=\"row\">Old round</th><td[^>]*>No figures</td>", html)
    rows = rows_of(client.get(export_url(alpha, now)))
    assert ["trend", "Old round: leadership", "no figures", ""] in rows
    assert ["trend", "This round: leadership", "75.0", ""] in rows


# --- precision ------------------------------------------------------------------------------


@pytest.fixture
def uneven_team(closed_cycle, alpha, beta):
    """Seven members and five others whose averages are not whole numbers."""
    for i, user in enumerate(add_members(alpha, 7, "m")):
        submit_levels(user, closed_cycle, (1 + i % 5, 2.5, 3.5 if i % 2 else 4, 1 + i % 3))
    for i, user in enumerate(add_members(beta, 5, "b")):
        submit_levels(user, closed_cycle, (1.5 + i % 3, 3, 4.5, 2 + i % 2))
    return alpha


def test_no_attribute_or_chart_text_carries_more_than_whole_numbers(client, bob, uneven_team):
    """Tooltips, data attributes and chart descriptions show what the text shows."""
    response = login(client, bob).get(dashboard_url(uneven_team))
    html = response.content.decode()
    assert response.context["page"].figures.axes.leadership % 1  # decimals to hide
    assert html.count("<svg") == 3
    assert re.findall(r'data-[a-z-]+="-?\d+\.\d', html) == []
    assert re.findall(r'(?:title|aria-label)="[^"]*\d\.\d[^"]*"', html) == []
    assert re.findall(r"<(?:title|desc)\b[^>]*>[^<]*\d\.\d", html) == []
    text = re.sub(r"<[^>]*>", " ", html)  # what is read on the page
    assert re.findall(r"\d\.\d", text) == []


def test_csv_figures_have_at_most_one_decimal(client, bob, uneven_team):
    """Every number in the CSV is whole or has one decimal."""
    rows = rows_of(login(client, bob).get(export_url(uneven_team)))
    numbers = [cell for row in rows for cell in row[2:] if re.fullmatch(r"-?[\d.]+", cell)]
    assert len(numbers) > 20
    assert [n for n in numbers if not re.fullmatch(r"-?\d+(\.\d)?", n)] == []
    assert any(re.fullmatch(r"-?\d+\.[1-9]", n) for n in numbers)


def test_difference_column_subtracts_the_numbers_shown(client, bob, closed_cycle, alpha):
    """Team 47.5 (shown 48) against organisation 47.1 (shown 47) reads +1, not +0."""
    for user, lead0 in zip(add_members(alpha, 5, "m"), (2.5, 3, 3, 3, 3), strict=True):
        submit_levels(user, closed_cycle, (lead0, 3, 3, 3))  # lead0 scores 37.5, 4 x 50
    others = Team.objects.create(name="Others")
    for user, lead0 in zip(add_members(others, 8, "o"), (2.5, 2.5) + (3,) * 6, strict=True):
        submit_levels(user, closed_cycle, (lead0, 3, 3, 3))  # 2 x 37.5, 6 x 50
    html = login(client, bob).get(dashboard_url(alpha)).content.decode()
    # Team SD: sqrt((10² + 4 x 2.5²) / 5) = 5; organisation (237.5 + 375) / 13 = 47.1.
    row = (
        '<tr><th scope="row">Leadership 0</th><td class="d-none d-sm-table-cell">Leadership'
        '</td><td class="text-end">48</td><td class="text-end">±5</td>'
        '<td class="text-end">47</td><td class="text-end">+1</td></tr>'
    )
    assert row in html


# --- a closed cycle does not change ---------------------------------------------------------


def _member_leaves(leaver, cycle):
    leaver.delete()


def _member_joins(leaver, cycle):
    Membership.objects.create(user=make_user("newcomer"), team=leaver.team, role="member")


def _member_is_erased(leaver, cycle):
    assert services.delete_responses_of(user=leaver.user) == 1


def _k_is_raised(leaver, cycle):
    Cycle.objects.filter(pk=cycle.pk).update(min_group_size=7)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_member_leaves, id="member leaves"),
        pytest.param(_member_joins, id="member joins"),
        pytest.param(_member_is_erased, id="member is erased"),
        pytest.param(_k_is_raised, id="k is raised"),
    ],
)
def test_closed_cycle_csv_is_unchanged_by_later_team_changes(
    client, bob, team_with, closed_cycle, change
):
    """Once published, a closed cycle's figures are frozen, byte for byte."""
    team = team_with(6, drafts=1)
    for user in add_members(Team.objects.create(name="Others"), 5, "o"):
        submit_levels(user, closed_cycle, (2, 3, 4, 5))
    login(client, bob)
    before = client.get(export_url(team)).content
    change(Membership.objects.get(team=team, user__username="member0"), closed_cycle)
    after = client.get(export_url(team)).content
    assert b"dimension mean" in before  # there are figures to keep
    assert after == before


# --- escaping and the CSV -------------------------------------------------------------------


def test_hostile_names_are_escaped(client, bob, team_with):
    """Team and dimension names are text, never markup."""
    team = team_with(5)
    Team.objects.filter(pk=team.pk).update(name="<script>alert('team')</script>")
    # Dimension names are stored in the publication, made by the first read.
    Dimension.objects.filter(code="lead0").update(name="<script>alert('dim')</script>")
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;team&#x27;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#x27;dim&#x27;)&lt;/script&gt;" in html


def test_hostile_names_are_escaped_on_the_overview_and_team_list(client, staff, team_with):
    """The overview's and the list's lines are built in Python: still text, never markup."""
    team = team_with(5)
    Team.objects.filter(pk=team.pk).update(name="<img src=x onerror=alert(1)>")
    Dimension.objects.filter(code="lead0").update(name="<b>dim</b>")
    client.force_login(staff)
    for url in (reverse("assessments:organisation-overview"), reverse("assessments:team-list")):
        html = client.get(url).content.decode()
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    html = client.get(reverse("assessments:organisation-overview")).content.decode()
    assert "<b>dim</b>" not in html and "&lt;b&gt;dim&lt;/b&gt;" in html


def test_csv_neutralises_formulas(client, bob, team_with):
    """A cell that would start a spreadsheet formula is prefixed with a quote."""
    team = team_with(5)
    Team.objects.filter(pk=team.pk).update(name='=HYPERLINK("http://x")')
    Dimension.objects.filter(code="lead0").update(name="@SUM(A1)")
    rows = rows_of(login(client, bob).get(export_url(team)))
    assert ["about", "team", '\'=HYPERLINK("http://x")', ""] in rows
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert any(r[1] == "'@SUM(A1) (leadership)" for r in rows)


def test_no_inline_styles_or_scripts(client, bob, team_with):
    """The page works under a strict Content-Security-Policy."""
    team = team_with(5)
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    assert "<svg" in html
    assert "style=" not in html and "<style" not in html
    assert html.count("<script") == html.count("<script src=")


# --- speed ----------------------------------------------------------------------------------


def test_page_query_count_is_small_and_the_same_for_5_and_50_members(
    client, closed_cycle, alpha, beta, bob, dora, django_assert_max_num_queries
):
    """A published closed cycle: at most 9 queries, whatever the team's size."""
    for user in add_members(alpha, 5, "small"):
        submit_levels(user, closed_cycle, (3, 3, 3, 3))
    for i, user in enumerate(add_members(beta, 50, "large")):
        submit_levels(user, closed_cycle, (1 + i % 5, 2, 4, 1 + i % 3))
    counts = []
    for team, manager in ((alpha, bob), (beta, dora)):
        login(client, manager)
        client.get(dashboard_url(team))  # the first read publishes
        with django_assert_max_num_queries(9) as queries:
            response = client.get(dashboard_url(team))
        assert response.status_code == 200 and response.context["page"].figures
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- lists ----------------------------------------------------------------------------------


def test_team_list_shows_managed_teams_only(client, bob, alpha, beta, dora, closed_cycle):
    """Bob sees Alpha, not Beta; nobody submitted, so no figures."""
    html = login(client, bob).get(reverse("assessments:team-list")).content.decode()
    assert dashboard_url(alpha) in html and dashboard_url(beta) not in html
    assert "No figures: fewer than 5 members" in html


def test_a_team_smaller_than_k_shows_no_response_counts(client, bob, open_team_with, cycle):
    """In a team of three, "1 submitted" or "33 %" tells its manager who answered: the
    list and the dashboard say why there is nothing to show instead."""
    team = open_team_with(1)
    add_members(team, 2, "quiet")
    login(client, bob)
    listing = client.get(reverse("assessments:team-list")).content.decode()
    assert "No figures: fewer than 5 members" in listing and "1 submitted" not in listing
    page = client.get(dashboard_url(team))
    html = page.content.decode()
    assert page.context["page"].response_rate is None
    assert "This team is smaller than the minimum group size" in html
    assert "not shown for fewer than 5 members" in html
    assert "1 of 3" not in html and "(1 submitted)" not in html and "33%" not in html


def test_team_list_shows_whole_numbers_once_published(client, bob, team_with):
    """A published team has its response count and whole averages."""
    team_with(5, drafts=1)
    html = login(client, bob).get(reverse("assessments:team-list")).content.decode()
    assert "5 submitted (83%)" in html
    assert '<td class="text-end d-none d-sm-table-cell">60</td>' in html


def test_team_list_says_figures_wait_for_the_close(client, bob, open_team_with, cycle):
    """While the cycle is open, only the number who submitted."""
    open_team_with(5)
    html = login(client, bob).get(reverse("assessments:team-list")).content.decode()
    assert "5 submitted · figures when the cycle closes" in html
    assert "Its figures are published when it closes" in html


def test_team_list_for_a_member_says_there_is_nothing(client, alice, cycle):
    """A member without a team to manage is told so."""
    html = login(client, alice).get(reverse("assessments:team-list")).content.decode()
    assert "You don't manage a team" in html


def test_staff_team_list_links_to_the_overview(client, staff, alpha, beta, cycle):
    """Staff see every team and a link to the organisation overview."""
    html = login(client, staff).get(reverse("assessments:team-list")).content.decode()
    assert dashboard_url(alpha) in html and dashboard_url(beta) in html
    assert reverse("assessments:organisation-overview") in html


def test_organisation_overview_shows_teams_with_figures_and_without(
    client, staff, team_with, beta
):
    """Alpha is published, Beta (nobody submitted) has no figures."""
    team_with(5)
    add_members(beta, 1, "b")
    html = login(client, staff).get(reverse("assessments:organisation-overview")).content.decode()
    assert "No figures: fewer than 5 members" in html  # Beta
    assert html.count("<svg") == 2
    assert "1 of 2 with figures" in html
    assert "5 of 6 team members" in html  # Alpha 5 of 5, Beta 0 of 1


def test_overview_shows_no_response_counts_for_a_team_smaller_than_k(
    client, staff, cycle, open_team_with, beta
):
    """As on the team list: "1 of 3" for a team of three tells HR who answered."""
    open_team_with(5)
    quiet = add_members(beta, 3, "quiet")
    submit_levels(quiet[0], cycle, TEAM_LEVELS[0])
    html = login(client, staff).get(reverse("assessments:organisation-overview")).content.decode()
    assert "No figures: fewer than 5 members" in html
    assert "1 of 3" not in html
    assert "5 of 5 · figures when the cycle closes" in html  # Alpha, large enough


def test_organisation_overview_of_a_closed_cycle_without_figures_says_why(
    client, staff, team_with
):
    """Four people are too few to count, for good: no "yet", and no figures."""
    team_with(4)
    html = login(client, staff).get(reverse("assessments:organisation-overview")).content.decode()
    assert "No figures for Current" in html and "4 people submitted" in html
    assert "No figures yet" not in html and "<svg" not in html


def test_organisation_overview_waits_while_the_cycle_is_open(client, staff, open_team_with):
    """No organisation figures before the close: the count of who submitted."""
    open_team_with(5)
    html = login(client, staff).get(reverse("assessments:organisation-overview")).content.decode()
    assert "Figures appear when the cycle closes" in html
    assert "5 of 5 team members" in html and "<svg" not in html


def test_overview_explains_who_the_figures_count_beyond_the_response_rate(
    client, helga, bob, alpha, closed_cycle
):
    """The manager answers too: among who submitted, not in the response rate (and, alone
    in a group of one, not counted either)."""
    members = add_members(alpha, 5, "m")
    for user, levels in zip(members, TEAM_LEVELS, strict=True):
        submit_levels(user, closed_cycle, levels)
    submit_levels(bob, closed_cycle, TEAM_LEVELS[0])
    html = login(client, helga).get(reverse("assessments:organisation-overview")).content
    text = " ".join(html.decode().split())
    assert "5 of 5 team members" in text
    assert (
        "These figures count 5 of the 6 people who had submitted (the response rate's "
        "5 team members, plus 1 not in it: managers" in text
    )


@pytest.mark.parametrize(
    "name", ["home", "team-list", "organisation-overview", "participation", "instrument-report"]
)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_pages_that_only_show_refuse_other_methods(client, staff, cycle, name, method):
    """A page that only shows something answers 405 to a form or an API call sent to it."""
    client.force_login(staff)
    response = getattr(client, method)(reverse(f"assessments:{name}"))
    assert response.status_code == 405


def test_the_trend_says_an_open_cycle_is_shown_after_it_closes(client, bob, team_with, cycle):
    """An open cycle's point is not "not shown" (which reads as withheld): it comes later."""
    team = team_with(5)  # published in the closed cycle; the open one is the latest
    html = login(client, bob).get(dashboard_url(team)).content.decode()
    assert 'class="lvm-hidden"><title>After it closes</title>after it closes</text>' in html
    assert f"{cycle.name}: after it closes." in html  # the chart's description
    assert ">not shown<" not in html
