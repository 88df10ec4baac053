"""The heatmap on the organisation overview: teams x (axes and dimensions) against the
organisation, read from the publication like every other figure.

Dimension scores are (level - 1) * 25 (see test_dashboards). Most tests use a closed
cycle, published by the first read, with Alpha and Beta of five members each.
"""

import importlib
import json
import re

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from assessments.models import Publication, PublishedGroup, Response, Team, TeamSnapshot
from assessments.queries.figures import whole
from assessments.queries.organisation import (
    MISSING,
    SHOWN,
    WITHHELD,
    HeatmapCell,
    organisation_overview,
)
from assessments.queries.team import team_dashboard
from assessments.rounding import stored_means

from .conftest import (
    TEAM_LEVELS,
    add_members,
    assert_no_group_below_k,
    close_cycle,
    make_cycle,
    make_hr,
    submit_levels,
)

# Beta: everyone at level 2 (25) in every dimension.
BETA_LEVELS = (2, 2, 2, 2)


def overview_url(cycle, **params):
    query = "".join(f"&{key}={value}" for key, value in params.items())
    return f"{reverse('assessments:organisation-overview')}?cycle={cycle.pk}{query}"


def answer(cycle, alpha, beta):
    """Alpha answers TEAM_LEVELS, Beta BETA_LEVELS."""
    for user, levels in zip(add_members(alpha, 5, "a"), TEAM_LEVELS, strict=True):
        submit_levels(user, cycle, levels)
    for user in add_members(beta, 5, "b"):
        submit_levels(user, cycle, BETA_LEVELS)


@pytest.fixture
def two_teams(closed_cycle, alpha, beta):
    """Alpha and Beta have answered; published by the first overview read."""
    answer(closed_cycle, alpha, beta)
    organisation_overview(cycle_pk=closed_cycle.pk)
    return closed_cycle


def rows_by_name(page):
    return {r.team_name: r for r in page.heatmap.rows}


def cell(page, team_name, key):
    index = [c.key for c in page.heatmap.columns].index(key)
    return rows_by_name(page)[team_name].cells[index]


def heatmap_html(client, cycle, **params):
    response = client.get(overview_url(cycle, **params))
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="heatmap"')
    return html[start : html.index("</section>", start)]


# --- figures --------------------------------------------------------------------------------


def test_columns_are_the_two_axes_each_followed_by_its_dimensions(two_teams):
    """Leadership, its dimensions, management, its dimensions; the organisation's means."""
    heatmap = organisation_overview(cycle_pk=two_teams.pk).heatmap
    assert [(c.key, c.is_axis) for c in heatmap.columns] == [
        ("leadership", True),
        ("lead0", False),
        ("lead1", False),
        ("management", True),
        ("mana0", False),
        ("mana1", False),
    ]
    # Organisation lead0: Alpha 100 + 75 + 50 + 50 + 0, Beta 5 x 25: 400 / 10 = 40.
    assert heatmap.columns[1].org_mean == 40


def test_cells_equal_the_published_means_the_team_dashboard_shows(two_teams, alpha, beta):
    """Every cell is the team's whole-number mean and its difference, as on its dashboard."""
    page = organisation_overview(cycle_pk=two_teams.pk)
    for team in (alpha, beta):
        figures = team_dashboard(team=team, cycle_pk=two_teams.pk).figures
        row = rows_by_name(page)[team.name]
        assert row.state == SHOWN
        for d in figures.dimensions:
            c = cell(page, team.name, d.code)
            assert (c.mean, c.difference) == (d.mean_shown, d.difference)
        for axis in ("leadership", "management"):
            team_mean = whole(getattr(figures.axes, axis))
            org_mean = whole(getattr(figures.org_axes, axis))
            c = cell(page, team.name, axis)
            assert (c.mean, c.difference) == (team_mean, team_mean - org_mean)


def test_differences_from_the_organisation_and_their_colour_bands(two_teams):
    """lead0: Alpha 55 and Beta 25 against 40: +15 and -15, the outer bands."""
    page = organisation_overview(cycle_pk=two_teams.pk)
    alpha, beta = cell(page, "Alpha", "lead0"), cell(page, "Beta", "lead0")
    assert (alpha.mean, alpha.difference, alpha.step) == (55, 15, 2)
    assert (beta.mean, beta.difference, beta.step) == (25, -15, -2)


@pytest.mark.parametrize(
    ("difference", "step"),
    [(-15, -2), (-10, -2), (-9, -1), (-5, -1), (-4, 0), (0, 0), (4, 0), (5, 1), (9, 1), (10, 2)],
)
def test_colour_bands_break_at_5_and_10(difference, step):
    assert HeatmapCell(mean=50, difference=difference).step == step


def test_cells_say_their_difference_to_screen_readers(client, two_teams):
    """The number, and in visually hidden text how far from the organisation."""
    client.force_login(make_hr())
    html = heatmap_html(client, two_teams)
    assert '55<span class="hm-mark" aria-hidden="true">▲▲</span>' in html
    assert '<span class="visually-hidden"> (+15 vs organisation)</span>' in html
    assert '<span class="visually-hidden"> (-15 vs organisation)</span>' in html
    assert '<th scope="row">Organisation</th>' in html
    assert 'tabindex="0" role="region"' in html and "<caption" in html
    assert html.count('<th scope="col"') == 1 + 6


# --- withheld and missing -------------------------------------------------------------------


def test_a_team_without_published_figures_is_withheld_and_a_newer_team_has_no_data(
    client, two_teams
):
    """Two people in Tiny are too few; Later was made after the cycle was published."""
    tiny = Team.objects.create(name="Tiny")
    cycle = make_cycle(two_teams.questionnaire, name="Second", open_=True)
    for user in add_members(tiny, 2, "t"):
        submit_levels(user, cycle, (3, 3, 3, 3))
    for team, prefix in (
        (Team.objects.get(name="Alpha"), "a2"),
        (Team.objects.get(name="Beta"), "b2"),
    ):
        for user in add_members(team, 5, prefix):
            submit_levels(user, cycle, (3, 3, 3, 3))
    close_cycle(cycle)
    organisation_overview(cycle_pk=cycle.pk)  # publishes
    Team.objects.create(name="Later")
    page = organisation_overview(cycle_pk=cycle.pk)
    rows = rows_by_name(page)
    assert rows["Tiny"].state == WITHHELD and rows["Tiny"].cells == ()
    assert rows["Later"].state == MISSING and rows["Later"].cells == ()
    assert (page.heatmap.withheld, page.heatmap.missing) == (1, 1)
    client.force_login(make_hr())
    html = heatmap_html(client, cycle)
    tiny_row = re.search(r"<tr><th scope=\"row\"><a [^>]*>Tiny</a></th>(.*?)</tr>", html)
    assert tiny_row and "Withheld to protect privacy" in tiny_row.group(1)
    assert not re.search(r">\d+<", tiny_row.group(1))  # not a single number
    assert "No data for this cycle" in html and "no data: not a team of this cycle" in html


def test_a_dimension_scored_by_part_of_a_team_is_withheld_in_that_cell(client, two_teams):
    """A dimension whose n is below the group's (items switched off mid-cycle) is left out."""
    group = PublishedGroup.objects.get(team__name="Alpha", publication__cycle=two_teams)
    group.dimensions = [
        [*row[:4], row[4] - 1, *row[5:]] if row[1] == "mana1" else row for row in group.dimensions
    ]
    group.save(update_fields=["dimensions"])  # the stored means follow
    page = organisation_overview(cycle_pk=two_teams.pk)
    withheld = cell(page, "Alpha", "mana1")
    assert withheld.state == WITHHELD and withheld.mean is None
    assert cell(page, "Alpha", "mana0").state == SHOWN
    assert cell(page, "Beta", "mana1").state == SHOWN
    client.force_login(make_hr())
    assert '<span class="visually-hidden">withheld</span>' in heatmap_html(client, two_teams)


def test_no_heatmap_while_the_cycle_waits_for_its_close(client, cycle, alpha):
    for user in add_members(alpha, 5, "m"):
        submit_levels(user, cycle, (3, 3, 3, 3))
    assert organisation_overview(cycle_pk=cycle.pk).heatmap is None
    client.force_login(make_hr())
    assert 'id="heatmap"' not in client.get(overview_url(cycle)).content.decode()


# --- sorting --------------------------------------------------------------------------------


@pytest.fixture
def three_teams(closed_cycle, alpha, beta):
    """Gamma (level 4 everywhere: 75) and Tiny (withheld) besides Alpha and Beta."""
    answer(closed_cycle, alpha, beta)
    gamma = Team.objects.create(name="Gamma")
    tiny = Team.objects.create(name="Tiny")
    for user in add_members(gamma, 5, "g"):
        submit_levels(user, closed_cycle, (4, 4, 4, 4))
    for user in add_members(tiny, 2, "t"):
        submit_levels(user, closed_cycle, (5, 5, 5, 5))
    organisation_overview(cycle_pk=closed_cycle.pk)  # publishes
    return closed_cycle


def order(cycle, **sort):
    return [r.team_name for r in organisation_overview(cycle_pk=cycle.pk, **sort).heatmap.rows]


def test_rows_sort_by_name_by_default_and_in_reverse(three_teams):
    assert order(three_teams) == ["Alpha", "Beta", "Gamma", "Tiny"]
    assert order(three_teams, sort="name", direction="desc") == ["Tiny", "Gamma", "Beta", "Alpha"]


def test_rows_sort_by_a_dimension_both_ways_with_withheld_teams_last(three_teams):
    """lead0: Beta 25, Alpha 55, Gamma 75; Tiny has no number and stays at the end."""
    assert order(three_teams, sort="lead0", direction="desc") == ["Gamma", "Alpha", "Beta", "Tiny"]
    assert order(three_teams, sort="lead0", direction="asc") == ["Beta", "Alpha", "Gamma", "Tiny"]
    assert order(three_teams, sort="management") == ["Beta", "Alpha", "Gamma", "Tiny"]


def test_header_links_sort_without_javascript(client, three_teams):
    """Plain links; the sorted column says so (aria-sort) and its link turns the order."""
    client.force_login(make_hr())
    html = heatmap_html(client, three_teams, sort="lead0", dir="desc")
    assert f'href="?cycle={three_teams.pk}&amp;sort=lead0&amp;dir=asc#heatmap"' in html
    assert f'href="?cycle={three_teams.pk}&amp;sort=lead1&amp;dir=desc#heatmap"' in html
    assert f'href="?cycle={three_teams.pk}&amp;sort=name&amp;dir=asc#heatmap"' in html
    assert html.count("aria-sort=") == 1 and 'aria-sort="descending"' in html
    names = re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a>', html)
    assert names == ["Gamma", "Alpha", "Beta", "Tiny"]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "%3Cscript%3E", "dir": "desc"},
        {"sort": "lead0", "dir": "sideways"},
        {"sort": "x" * 5000},
        {"sort": "leadership-dimension"},
        {"sort": "", "dir": ""},
    ],
)
def test_a_tampered_sort_is_ignored(client, three_teams, params):
    """Never a 500: an unknown column sorts by name, an unknown direction ascends."""
    client.force_login(make_hr())
    response = client.get(overview_url(three_teams, **params))
    assert response.status_code == 200
    names = [r.team_name for r in response.context["page"].heatmap.rows]
    expected = ["Alpha", "Beta", "Gamma", "Tiny"]
    if params.get("dir") == "desc":
        expected.reverse()
    if params.get("sort") == "lead0":
        expected = ["Beta", "Alpha", "Gamma", "Tiny"]
    assert names == expected
    assert "<script>" not in response.content.decode()


def test_hostile_team_and_dimension_names_are_escaped(client, two_teams, alpha):
    Team.objects.filter(pk=alpha.pk).update(name="<img src=x onerror=alert(1)>")
    group = PublishedGroup.objects.get(team__isnull=True, publication__cycle=two_teams)
    group.dimensions = [[*row[:2], "<b>dim</b>", *row[3:]] for row in group.dimensions]
    group.save()
    client.force_login(make_hr())
    html = heatmap_html(client, two_teams)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>dim</b>" not in html and "&lt;b&gt;dim&lt;/b&gt;" in html


# --- privacy --------------------------------------------------------------------------------


def test_shown_teams_and_the_organisation_leave_no_group_below_k(client, closed_cycle):
    """Five only in Alpha, five only in Beta, five in both, two in Tiny: Tiny is withheld,
    and the sets the heatmap describes (each shown team, the organisation) never isolate
    fewer than k people."""
    alpha, beta, tiny = (Team.objects.create(name=n) for n in ("Alpha", "Beta", "Tiny"))
    people = add_members(alpha, 5, "a") + add_members(beta, 5, "b") + add_members(tiny, 2, "t")
    both = add_members(alpha, 5, "ab")
    for user in both:
        beta.memberships.create(user=user, role="member")
    for i, user in enumerate(people + both):
        submit_levels(user, closed_cycle, (1 + i % 5, 3, 2 + i % 3, 4))
    page = organisation_overview(cycle_pk=closed_cycle.pk)
    rows = rows_by_name(page)
    assert rows["Tiny"].state == WITHHELD and rows["Tiny"].cells == ()
    shown = [name for name, r in rows.items() if r.state == SHOWN]
    assert shown == ["Alpha", "Beta"]
    counted = Response.objects.filter(cycle=closed_cycle, published_step__isnull=False)
    sets = {"organisation": set(counted.values_list("respondent_id", flat=True))}
    for name in shown:
        sets[name] = set(
            TeamSnapshot.objects.filter(
                cycle=closed_cycle, team__name=name, response__in=counted
            ).values_list("response__respondent_id", flat=True)
        )
        assert PublishedGroup.objects.get(
            team__name=name, publication__cycle=closed_cycle
        ).n == len(sets[name])
    assert_no_group_below_k(sets, viewers=set(), k=closed_cycle.min_group_size)
    assert all(len(s) >= closed_cycle.min_group_size for s in sets.values())
    client.force_login(make_hr())
    html = heatmap_html(client, closed_cycle)
    tiny_row = re.search(r"<tr><th scope=\"row\"><a [^>]*>Tiny</a></th>(.*?)</tr>", html)
    assert tiny_row and not re.search(r">\d+<", tiny_row.group(1))


def test_groups_published_before_means_were_stored_get_them_when_migrating(two_teams, monkeypatch):
    """The migration that adds the stored means works them out for earlier publications
    (with its own copy of the rounding, which must agree with the app's), a batch at a
    time, and the heatmap then shows what it showed before."""
    migration = importlib.import_module("assessments.migrations.0011_published_group_means")
    Team.objects.create(name="Empty")  # published with nobody in it: no means
    Response.objects.filter(cycle=two_teams).update(published_step=None)
    Publication.objects.filter(cycle=two_teams).delete()
    before = organisation_overview(cycle_pk=two_teams.pk).heatmap  # publishes again
    groups = PublishedGroup.objects.order_by("pk")
    expected = {g.pk: stored_means(g) for g in groups}
    assert len(expected) == 4 and list(expected.values()).count(None) == 1
    PublishedGroup.objects.update(means=None)
    monkeypatch.setattr(migration, "BATCH", 1)
    state = MigrationLoader(connection).project_state(
        ("assessments", "0011_published_group_means")
    )
    migration.means_of_existing_groups(state.apps, None)
    assert {g.pk: g.means for g in groups.all()} == expected
    assert organisation_overview(cycle_pk=two_teams.pk).heatmap == before


# --- speed ----------------------------------------------------------------------------------


@pytest.mark.parametrize("teams", [3, 30])
def test_query_count_is_the_same_for_3_and_30_teams(
    client, closed_cycle, teams, django_assert_num_queries
):
    """Six queries (session, user, roles, cycles, every group of the publication, teams:
    the teams' lines reuse the groups), sorted or not, however many teams there are."""
    for i in range(teams):
        team = Team.objects.create(name=f"Team {i:02d}")
        for user in add_members(team, 5, f"t{i}-"):
            submit_levels(user, closed_cycle, (1 + i % 5, 3, 3, 2))
    client.force_login(make_hr())
    client.get(overview_url(closed_cycle))  # the first read publishes
    with django_assert_num_queries(6):
        response = client.get(overview_url(closed_cycle, sort="lead0", dir="desc"))
    heatmap = response.context["page"].heatmap
    assert len(heatmap.rows) == teams and all(r.state == SHOWN for r in heatmap.rows)


def test_a_heatmap_line_shows_the_numbers_the_full_figures_would():
    """``means_shown`` (the heatmap's quick read) agrees with ``figures_of`` (the
    dashboard's), halves and partly scored dimensions included, on random groups."""
    import random
    from types import SimpleNamespace

    from assessments.queries.figures import figures_of
    from assessments.rounding import means_from_stored, means_shown, stored_means

    rng = random.Random(7)
    for _ in range(2000):
        n = rng.randint(0, 40)
        sums = {f"{axis}_sum": rng.uniform(0, 100) * n for axis in AXES_AND_BALANCE}
        dimensions = [
            [
                pk,
                f"d{pk}",
                f"D{pk}",
                "leadership",
                rng.choice([n, n, n, max(n - 1, 0)]),
                round(rng.uniform(0, 100) * n * 2) / 2,
                0.0,
            ]
            for pk in range(1, 6)
        ]
        group = SimpleNamespace(
            n=n,
            submitted=n,
            members=n,
            changed_at=None,
            profiles={},
            quadrant=[],
            dimensions=dimensions,
            **sums,
            **{f"{a}_sumsq": 0.0 for a in AXES_AND_BALANCE},
        )
        figures, means = figures_of(group), means_shown(group)
        assert means_from_stored(json.loads(json.dumps(stored_means(group)))) == means
        if figures is None:
            assert means is None
            continue
        expected = {
            "leadership": whole(figures.axes.leadership),
            "management": whole(figures.axes.management),
        } | {d.dimension_id: d.mean_shown for d in figures.dimensions}
        assert means == expected


AXES_AND_BALANCE = ("leadership", "management", "balance")
