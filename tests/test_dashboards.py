"""The dashboard query layer: figures against hand-computed values, the k threshold, drafts.

The conftest questionnaire has two dimensions per axis with two items each, the second
reverse-keyed. ``submit_levels`` answers so that every item of a dimension keys to the
same level, so a dimension scores (level - 1) * 25 and the figures are easy to check.
"""

import math

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments import dashboards, services
from assessments.models import Answer, Membership, Response, Team

from .conftest import make_cycle, make_user


@pytest.fixture(autouse=True)
def _empty_cache():
    # Organisation figures are cached per cycle; no test may see another's.
    cache.clear()
    yield
    cache.clear()


def submit_levels(user, cycle, levels):
    """A submitted response whose dimensions (in order) key to ``levels`` (1-5 each)."""
    dimensions = list(cycle.questionnaire.dimensions.order_by("order"))
    questions = services.cycle_questions(cycle)
    level_of = dict(zip([d.pk for d in dimensions], levels, strict=True))
    given = {
        q.pk: 6 - level_of[q.dimension_id] if q.reverse_keyed else level_of[q.dimension_id]
        for q in questions
    }
    response = Response.objects.create(cycle=cycle, respondent=user)
    Answer.objects.bulk_create(
        Answer(response=response, question_id=q, value=v) for q, v in given.items()
    )
    services.lock_with_scores(response, questions=questions, given=given)
    return response


def start_draft(user, cycle):
    """A response in progress with one answer."""
    question = services.cycle_questions(cycle)[0]
    return services.save_draft(user=user, cycle=cycle, answers={question.pk: 5})


def add_members(team, count, prefix, role=Membership.Role.MEMBER):
    users = [make_user(f"{prefix}{i}") for i in range(count)]
    Membership.objects.bulk_create(Membership(user=u, team=team, role=role) for u in users)
    return users


# Levels per dimension (lead0, lead1, mgmt0, mgmt1) of the five members of the small team.
# Dimension scores: (level - 1) * 25.
#   p1: 100 100   0   0 -> leadership 100, management   0, balance 100, leader-leaning
#   p2:  75  75  25  25 -> leadership  75, management  25, balance  50, leader-leaning
#   p3:  50  50  50  50 -> leadership  50, management  50, balance   0, developing
#   p4:  50  50  25  75 -> leadership  50, management  50, balance   0, developing
#   p5:   0  50 100 100 -> leadership  25, management 100, balance -75, manager-leaning
TEAM_LEVELS = [(5, 5, 1, 1), (4, 4, 2, 2), (3, 3, 3, 3), (3, 3, 2, 4), (1, 3, 5, 5)]


@pytest.fixture
def small_team(cycle, alpha, bob):
    """Alpha with five members who submitted, one with a draft, and six outsiders.

    Six, so that the rest of the organisation less the viewer is still k = 5 people.
    """
    members = add_members(alpha, 6, "member")
    for user, levels in zip(members, TEAM_LEVELS, strict=False):
        submit_levels(user, cycle, levels)
    start_draft(members[5], cycle)
    beta = Team.objects.create(name="Outsiders")
    for user in add_members(beta, 6, "outsider"):
        submit_levels(user, cycle, (3, 3, 3, 3))  # leadership 50, management 50
    return alpha


def dashboard_for(team, user, cycle_pk=None):
    return dashboards.team_dashboard(
        team=dashboards.team_for_manager(user=user, team_pk=team.pk), cycle_pk=cycle_pk
    )


def test_team_axes_match_hand_computed_values(small_team, bob, cycle):
    page = dashboard_for(small_team, bob)
    assert (page.members, page.submitted, page.k) == (6, 5, 5)
    assert page.response_rate == 83  # 5 of 6
    axes = page.figures.axes
    assert axes.leadership == pytest.approx(60.0)  # (100+75+50+50+25)/5
    assert axes.management == pytest.approx(45.0)  # (0+25+50+50+100)/5
    assert axes.balance == pytest.approx(15.0)  # (100+50+0+0-75)/5
    # Population standard deviations: sqrt(sum of squared deviations / 5).
    assert axes.leadership_sd == pytest.approx(
        math.sqrt((40**2 + 15**2 + 10**2 + 10**2 + 35**2) / 5)
    )
    assert axes.management_sd == pytest.approx(
        math.sqrt((45**2 + 20**2 + 5**2 + 5**2 + 55**2) / 5)
    )
    assert axes.profile_label == "Leader-leaning"  # balance 15 >= 10


def test_dimension_means_and_spread_match_hand_computed_values(small_team, bob):
    dims = dashboard_for(small_team, bob).figures.dimensions
    assert [d.code for d in dims] == ["lead0", "lead1", "mana0", "mana1"]
    expected = [
        (55.0, math.sqrt((45**2 + 20**2 + 5**2 + 5**2 + 55**2) / 5)),  # 100 75 50 50 0
        (65.0, 20.0),  # 100 75 50 50 50
        (40.0, math.sqrt((40**2 + 15**2 + 10**2 + 15**2 + 60**2) / 5)),  # 0 25 50 25 100
        (50.0, math.sqrt((50**2 + 25**2 + 0 + 25**2 + 50**2) / 5)),  # 0 25 50 75 100
    ]
    for d, (mean, sd) in zip(dims, expected, strict=True):
        assert d.mean == pytest.approx(mean) and d.sd == pytest.approx(sd)


def test_organisation_reference_covers_everyone_who_submitted(small_team, bob):
    figures = dashboard_for(small_team, bob).figures
    assert figures.org_submitted == 11
    assert figures.org_axes.leadership == pytest.approx((300 + 6 * 50) / 11)
    assert figures.org_axes.management == pytest.approx((225 + 6 * 50) / 11)
    lead0 = figures.dimensions[0]
    assert lead0.org_mean == pytest.approx((275 + 6 * 50) / 11)
    assert lead0.difference == pytest.approx(55.0 - 575 / 11)


def test_quadrant_counts_people_per_cell_without_names(small_team, bob):
    figures = dashboard_for(small_team, bob).figures
    # 20-point cells (leadership bin, management bin); a score of 100 is in the top cell.
    cells = {(c.leadership_bin, c.management_bin): c.count for c in figures.quadrant}
    assert cells == {(4, 0): 1, (3, 1): 1, (2, 2): 2, (1, 4): 1}
    assert {p.label: p.count for p in figures.profiles} == {
        "Leader-leaning": 2,
        "Manager-leaning": 1,
        "Balanced and strong": 0,
        "Developing": 2,
    }
    assert figures.quadrant[0].leadership_range == (20, 40)


def test_drafts_are_never_counted(small_team, bob):
    page = dashboard_for(small_team, bob)
    assert page.submitted == 5 and page.figures.in_progress == 1
    assert page.figures.org_submitted == 11
    assert sum(c.count for c in page.figures.quadrant) == 5


def test_below_k_the_dashboard_carries_only_n_of_k(cycle, alpha, bob):
    for user, levels in zip(add_members(alpha, 4, "m"), TEAM_LEVELS, strict=False):
        submit_levels(user, cycle, levels)
    start_draft(add_members(alpha, 1, "d")[0], cycle)
    page = dashboard_for(alpha, bob)
    assert (page.submitted, page.k, page.figures) == (4, 5, None)
    assert page.withheld and page.response_rate is None
    rows = dashboards.team_export_rows(page)
    assert ["about", "status", "not enough responses yet (4 of 5)", ""] in rows
    assert {r[0] for r in rows} == {"section", "about"}


def test_at_k_the_figures_appear(cycle, alpha, bob):
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, cycle, levels)
    page = dashboard_for(alpha, bob)
    assert page.figures is not None and page.figures.axes.leadership == pytest.approx(60.0)


def test_k_never_goes_below_the_site_floor(cycle, alpha, bob, settings):
    settings.LVM_MIN_GROUP_SIZE_FLOOR = 6
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, cycle, levels)
    page = dashboard_for(alpha, bob)
    assert page.k == 6 and page.figures is None


def test_managers_own_response_is_not_in_the_team(cycle, alpha, bob):
    for user, levels in zip(add_members(alpha, 4, "m"), TEAM_LEVELS, strict=False):
        submit_levels(user, cycle, levels)
    submit_levels(bob, cycle, (5, 5, 5, 5))
    assert dashboard_for(alpha, bob).submitted == 4


def test_organisation_reference_is_hidden_when_the_rest_is_below_k(cycle, alpha, bob):
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, cycle, levels)
    beta = Team.objects.create(name="Few")
    for user in add_members(beta, 4, "o"):
        submit_levels(user, cycle, (3, 3, 3, 3))
    figures = dashboard_for(alpha, bob).figures
    # 9 in the organisation minus 5 in the team leaves 4 < k: the difference would leak.
    assert figures.org_axes is None and figures.org_submitted is None
    assert all(d.org_mean is None for d in figures.dimensions)


def test_trend_leaves_a_gap_for_a_cycle_below_k(questionnaire, alpha, bob):
    old = make_cycle(questionnaire, name="Old", open_=False, days_ago=90)
    gap = make_cycle(questionnaire, name="Gap", open_=False, days_ago=40)
    now = make_cycle(questionnaire, name="Now")
    members = add_members(alpha, 5, "m")
    for user in members:
        submit_levels(user, old, (2, 2, 4, 4))  # leadership 25, management 75
        submit_levels(user, now, (4, 4, 2, 2))  # leadership 75, management 25
    for user in members[:4]:
        submit_levels(user, gap, (5, 5, 5, 5))
    trend = dashboard_for(alpha, bob, cycle_pk=now.pk).figures.trend
    assert [(p.cycle_name, p.leadership, p.management) for p in trend] == [
        ("Old", 25.0, 75.0),
        ("Gap", None, None),
        ("Now", 75.0, 25.0),
    ]
    assert trend[1].is_gap and (trend[1].submitted, trend[1].k) == (4, 5)


def test_an_earlier_cycle_shows_only_the_trend_up_to_it(questionnaire, alpha, bob):
    old = make_cycle(questionnaire, name="Old", open_=False, days_ago=90)
    now = make_cycle(questionnaire, name="Now")
    for user in add_members(alpha, 5, "m"):
        submit_levels(user, old, (2, 2, 4, 4))
    page = dashboard_for(alpha, bob, cycle_pk=old.pk)
    assert page.cycle.name == "Old" and [p.cycle_name for p in page.figures.trend] == ["Old"]
    assert dashboard_for(alpha, bob).cycle.pk == now.pk  # the latest by default
    assert dashboard_for(alpha, bob).figures is None


def test_unknown_or_future_cycle_gives_none(questionnaire, alpha, bob, cycle):
    future = make_cycle(questionnaire, name="Future", days_ago=-10)
    assert dashboard_for(alpha, bob, cycle_pk=future.pk) is None
    assert dashboard_for(alpha, bob, cycle_pk=999_999) is None


def test_team_for_manager_only_finds_managed_teams(alpha, beta, alice, bob, charlie, dora, staff):
    assert dashboards.team_for_manager(user=bob, team_pk=alpha.pk) == alpha
    assert dashboards.team_for_manager(user=bob, team_pk=beta.pk) is None
    assert dashboards.team_for_manager(user=alice, team_pk=alpha.pk) is None
    assert dashboards.team_for_manager(user=dora, team_pk=alpha.pk) is None
    assert dashboards.team_for_manager(user=staff, team_pk=beta.pk) == beta


def test_organisation_figures_are_cached_per_cycle(small_team, cycle, django_assert_num_queries):
    ref = dashboards._cycle_refs()[0]
    with django_assert_num_queries(2):
        first = dashboards.organisation_figures(cycle=ref)
    submit_levels(make_user("late"), cycle, (1, 1, 1, 1))
    with django_assert_num_queries(0):
        assert dashboards.organisation_figures(cycle=ref) == first
    dashboards.forget_organisation_figures(cycle_pk=cycle.pk)
    assert dashboards.organisation_figures(cycle=ref).submitted == 12


def test_query_count_does_not_depend_on_team_size(cycle, alpha, beta, bob, dora):
    for user in add_members(alpha, 5, "small"):
        submit_levels(user, cycle, (3, 3, 3, 3))
    for i, user in enumerate(add_members(beta, 50, "large")):
        submit_levels(user, cycle, (1 + i % 5, 3, 3, 1 + i % 3))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for team, manager in ((alpha, bob), (beta, dora)):
        dashboards.organisation_figures(cycle=dashboards._cycle_refs()[0])  # warm
        found = dashboards.team_for_manager(user=manager, team_pk=team.pk)
        with CaptureQueriesContext(connection) as queries:
            page = dashboards.team_dashboard(team=found)
        assert page.figures is not None
        counts.append(len(queries))
    # cycles, per-cycle team figures, overlap check, dimensions, quadrant (organisation
    # figures cached)
    assert counts == [5, 5]


def test_team_list_shows_n_of_k_or_figures(small_team, beta, bob, staff, cycle):
    rows = dashboards.team_list(user=bob).teams
    assert [(r.team_name, r.submitted, r.withheld) for r in rows] == [("Alpha", 5, False)]
    assert rows[0].axes.leadership == pytest.approx(60.0)
    by_name = {r.team_name: r for r in dashboards.team_list(user=staff).teams}
    assert set(by_name) == {"Alpha", "Beta", "Outsiders"}
    assert by_name["Beta"].withheld and by_name["Beta"].submitted == 0


def test_organisation_overview_withholds_small_teams(small_team, cycle):
    Membership.objects.create(
        user=make_user("lonely"), team=Team.objects.create(name="Tiny"), role="member"
    )
    submit_levels(Membership.objects.get(user__username="lonely").user, cycle, (5, 5, 5, 5))
    bob = Membership.objects.get(role="manager").user
    submit_levels(bob, cycle, (3, 3, 3, 3))  # a manager's response is not a member's
    page = dashboards.organisation_overview()
    assert page.people == 13 and page.org.submitted == 13
    assert page.people_submitted == 12 and page.response_rate == round(100 * 12 / 13)
    rows = {t.team_name: t for t in page.teams}
    assert rows["Tiny"].withheld and rows["Tiny"].submitted == 1 and rows["Tiny"].axes is None
    assert rows["Alpha"].axes.leadership == pytest.approx(60.0)
    assert page.teams_shown == 2
    assert sum(c.count for c in page.quadrant) == 13


def _overlapping_teams(cycle, alpha, beta, extra):
    """Alpha's five submitted members are all in Beta too; Beta has ``extra`` more."""
    members = add_members(alpha, 5, "both")
    for user, levels in zip(members, TEAM_LEVELS, strict=True):
        submit_levels(user, cycle, levels)
    Membership.objects.bulk_create(Membership(user=u, team=beta, role="member") for u in members)
    for user in add_members(beta, extra, "betaonly"):
        submit_levels(user, cycle, (3, 3, 3, 3))


def test_teams_differing_by_fewer_than_k_people_are_both_withheld(cycle, alpha, beta, staff):
    """Beta minus Alpha is one person: showing both would reveal that person's scores."""
    _overlapping_teams(cycle, alpha, beta, extra=1)
    for team in (alpha, beta):
        page = dashboard_for(team, staff)
        assert page.submitted >= page.k
        assert page.figures is None and page.overlapping
        assert ["about", "status", "hidden: overlaps another team by fewer than 5 people", ""] in (
            dashboards.team_export_rows(page)
        )
    rows = {r.team_name: r for r in dashboards.team_list(user=staff).teams}
    assert rows["Alpha"].overlapping and rows["Alpha"].axes is None
    assert rows["Beta"].overlapping and rows["Beta"].axes is None
    overview = {r.team_name: r for r in dashboards.organisation_overview().teams}
    assert overview["Alpha"].axes is None and overview["Beta"].axes is None


def test_teams_differing_by_k_or_more_people_are_shown(cycle, alpha, beta, staff):
    _overlapping_teams(cycle, alpha, beta, extra=5)
    assert dashboard_for(alpha, staff).figures is not None
    assert dashboard_for(beta, staff).figures is not None


def test_organisation_reference_needs_k_people_besides_the_team_and_the_viewer(cycle, alpha, bob):
    """Team of 5, the manager and 4 others: org minus team minus manager is 4 people."""
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, cycle, levels)
    submit_levels(bob, cycle, (5, 5, 5, 5))
    for user in [make_user(f"other{i}") for i in range(4)]:
        submit_levels(user, cycle, (3, 3, 3, 3))
    figures = dashboard_for(alpha, bob).figures
    assert figures is not None and figures.org_axes is None
    assert all(d.org_mean is None for d in figures.dimensions)


def test_overlapping_teams_page_says_why_figures_are_hidden(client, cycle, alpha, beta, staff):
    _overlapping_teams(cycle, alpha, beta, extra=1)
    client.force_login(staff)
    html = client.get(reverse("assessments:team-dashboard", args=[alpha.pk])).content.decode()
    assert "Figures hidden to protect privacy" in html
    assert "<svg" not in html
