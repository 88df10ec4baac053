"""The dashboard query layer: published figures against hand-computed values, k, drafts.

The conftest questionnaire has two dimensions per axis with two items each, the second
reverse-keyed. ``submit_levels`` answers so that both items of a dimension key to the
same level, so a dimension scores (level - 1) * 25 and the figures are easy to check.

Figures are published, not computed live: most tests submit to a cycle that has closed,
and the first read of a dashboard publishes it. Standard deviations describe the group
itself (divided by n). Figures leave the query layer rounded to one decimal.
"""

import math
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest

from assessments import csv_export
from assessments.models import (
    Cycle,
    Membership,
    Publication,
    Team,
)
from assessments.queries.access import team_for_manager
from assessments.queries.figures import DimensionFigure, one_decimal, whole
from assessments.queries.organisation import organisation_overview
from assessments.queries.team import team_dashboard, team_list

from .conftest import (
    TEAM_LEVELS,
    add_members,
    close_cycle,
    make_cycle,
    make_user,
    start_draft,
    submit_levels,
)


# Levels per dimension (lead0, lead1, mgmt0, mgmt1) of the five members of the small team.
# Dimension scores: (level - 1) * 25.
#   p1: 100 100   0   0 -> leadership 100, management   0, balance 100, leader-leaning
#   p2:  75  75  25  25 -> leadership  75, management  25, balance  50, leader-leaning
#   p3:  50  50  50  50 -> leadership  50, management  50, balance   0, developing
#   p4:  50  50  25  75 -> leadership  50, management  50, balance   0, developing
#   p5:   0  50 100 100 -> leadership  25, management 100, balance -75, manager-leaning
@pytest.fixture
def small_team(closed_cycle, alpha, bob):
    """Alpha with five members who submitted and one with a draft; six others submitted.

    The six are the members of Outsiders, a group of their own of at least k = 5.
    """
    members = add_members(alpha, 6, "member")
    for user, levels in zip(members, TEAM_LEVELS, strict=False):
        submit_levels(user, closed_cycle, levels)
    start_draft(members[5], closed_cycle)
    outsiders = Team.objects.create(name="Outsiders")
    for user in add_members(outsiders, 6, "outsider"):
        submit_levels(user, closed_cycle, (3, 3, 3, 3))  # leadership 50, management 50
    return alpha


def dashboard_for(team, user, cycle_pk=None):
    return team_dashboard(team=team_for_manager(user=user, team_pk=team.pk), cycle_pk=cycle_pk)


# --- rounding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "one", "shown"),
    [
        (47.45, 47.5, 48),  # half away from zero at both steps
        (47.44, 47.4, 47),
        (0.25, 0.3, 0),
        (-0.5, -0.5, -1),
        (99.96, 100.0, 100),
    ],
)
def test_figures_round_half_away_from_zero(value, one, shown):
    """One decimal for the CSV, whole numbers for the page; halves go away from zero."""
    assert one_decimal(value) == one
    assert whole(one) == shown


@pytest.mark.parametrize(
    ("mean", "org_mean", "difference"),
    [
        (47.6, 47.4, 1),  # shown 48 and 47; 0.2 itself would round to 0
        (47.4, 47.6, -1),
        (47.5, 47.1, 1),  # shown 48 and 47
        (52.4, 51.6, 0),  # shown 52 and 52; 0.8 itself would round to 1
        (60.0, None, None),
    ],
)
def test_difference_is_taken_between_the_whole_numbers_shown(mean, org_mean, difference):
    """The difference column always equals team minus organisation as displayed."""
    figure = DimensionFigure(
        dimension_id=1,
        code="lead0",
        name="Leadership 0",
        axis="leadership",
        mean=mean,
        sd=1.0,
        org_mean=org_mean,
    )
    assert figure.difference == difference


# --- figures against hand-computed values ---------------------------------------------------


def test_team_axes_match_hand_computed_values(small_team, bob):
    """Means and standard deviations of the team's axis scores, to one decimal."""
    page = dashboard_for(small_team, bob)
    assert (page.members, page.submitted, page.k) == (6, 5, 5)
    assert page.response_rate == 83  # 5 of 6
    axes = page.figures.axes
    assert axes.leadership == 60.0  # (100+75+50+50+25)/5
    assert axes.management == 45.0  # (0+25+50+50+100)/5
    assert axes.balance == 15.0  # (100+50+0+0-75)/5
    # Standard deviations of the group: sqrt(sum of squared deviations / 5), one decimal.
    assert axes.leadership_sd == pytest.approx(
        math.sqrt((40**2 + 15**2 + 10**2 + 10**2 + 35**2) / 5), abs=0.05
    )
    assert axes.management_sd == pytest.approx(
        math.sqrt((45**2 + 20**2 + 5**2 + 5**2 + 55**2) / 5), abs=0.05
    )
    assert axes.balance_sd == pytest.approx(
        math.sqrt((85**2 + 35**2 + 15**2 + 15**2 + 90**2) / 5), abs=0.05
    )
    assert axes.profile_label == "Leader-leaning"  # balance 15 >= 10


def test_dimension_means_and_spread_match_hand_computed_values(small_team, bob):
    """Each dimension's mean and standard deviation over the five counted members."""
    dims = dashboard_for(small_team, bob).figures.dimensions
    assert [d.code for d in dims] == ["lead0", "lead1", "mana0", "mana1"]
    expected = [
        (55.0, math.sqrt((45**2 + 20**2 + 5**2 + 5**2 + 55**2) / 5)),  # 100 75 50 50 0
        (65.0, 20.0),  # 100 75 50 50 50
        (40.0, math.sqrt((40**2 + 15**2 + 10**2 + 15**2 + 60**2) / 5)),  # 0 25 50 25 100
        (50.0, math.sqrt((50**2 + 25**2 + 0 + 25**2 + 50**2) / 5)),  # 0 25 50 75 100
    ]
    for d, (mean, sd) in zip(dims, expected, strict=True):
        assert d.mean == mean and d.sd == pytest.approx(sd, abs=0.05)
    # Whiskers: whole mean +/- whole SD, inside 0-100 (lead0: 55 +/- 33).
    assert (dims[0].spread_low, dims[0].spread_high) == (22, 88)


def test_organisation_reference_covers_everyone_counted(small_team, bob):
    """The organisation's figures take in the team and the six outsiders: 11 people."""
    figures = dashboard_for(small_team, bob).figures
    assert (figures.org.counted, figures.org.submitted) == (11, 11)
    assert figures.org_axes.leadership == pytest.approx((300 + 6 * 50) / 11, abs=0.05)
    assert figures.org_axes.management == pytest.approx((225 + 6 * 50) / 11, abs=0.05)
    lead0 = figures.dimensions[0]
    assert lead0.org_mean == pytest.approx((275 + 6 * 50) / 11, abs=0.05)  # 52.3
    assert lead0.difference == 55 - 52


def test_quadrant_and_profiles_count_people_without_names(small_team, bob):
    """20-point cells and the four profiles hold counts of the five members only."""
    figures = dashboard_for(small_team, bob).figures
    # (leadership bin, management bin); a score of 100 is in the top cell.
    cells = {(c.leadership_bin, c.management_bin): c.count for c in figures.quadrant}
    assert cells == {(4, 0): 1, (3, 1): 1, (2, 2): 2, (1, 4): 1}
    assert {p.label: p.count for p in figures.profiles} == {
        "Leader-leaning": 2,
        "Manager-leaning": 1,
        "Balanced and strong": 0,
        "Developing": 2,
    }
    assert figures.quadrant[0].leadership_range == (20, 40)


def test_difference_from_the_organisation_uses_the_displayed_numbers(closed_cycle, alpha, bob):
    """Team lead0 47.5 (shown 48) against organisation 47.1 (shown 47): +1, not 0."""
    for user, lead0 in zip(add_members(alpha, 5, "m"), (2.5, 3, 3, 3, 3), strict=True):
        submit_levels(user, closed_cycle, (lead0, 3, 3, 3))  # lead0: 37.5 + 4 x 50 = 237.5
    others = Team.objects.create(name="Others")
    for user, lead0 in zip(add_members(others, 8, "o"), (2.5, 2.5) + (3,) * 6, strict=True):
        submit_levels(user, closed_cycle, (lead0, 3, 3, 3))  # lead0: 2 x 37.5 + 6 x 50 = 375
    lead0 = dashboard_for(alpha, bob).figures.dimensions[0]
    assert lead0.mean == 47.5  # 237.5 / 5
    assert lead0.org_mean == pytest.approx((237.5 + 375) / 13, abs=0.05)  # 47.1
    assert lead0.difference == 1


# --- who is counted -------------------------------------------------------------------------


def test_drafts_are_never_counted(small_team, bob):
    """The sixth member's draft is in no figure, the team's or the organisation's."""
    page = dashboard_for(small_team, bob)
    assert (page.members, page.submitted, page.counted, page.in_progress) == (6, 5, 5, 0)
    assert page.figures.org.counted == 11
    assert sum(c.count for c in page.figures.quadrant) == 5
    assert sum(p.count for p in page.figures.profiles) == 5


def test_below_k_the_dashboard_carries_only_the_response_rate(closed_cycle, alpha, bob):
    """Four of five members submitted: no figures, in the page or the CSV."""
    for user, levels in zip(add_members(alpha, 4, "m"), TEAM_LEVELS, strict=False):
        submit_levels(user, closed_cycle, levels)
    start_draft(add_members(alpha, 1, "d")[0], closed_cycle)
    page = dashboard_for(alpha, bob)
    assert (page.members, page.submitted, page.k, page.figures) == (5, 4, 5, None)
    assert page.withheld and not page.waiting and page.response_rate == 80
    rows = csv_export.team_rows(page)
    assert ["about", "status", "no figures: fewer than 5 people could be counted", ""] in rows
    assert {r[0] for r in rows} == {"section", "about"}


def test_at_k_the_figures_appear(closed_cycle, alpha, bob):
    """Five members who submitted are a group of k: the team is shown."""
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, closed_cycle, levels)
    page = dashboard_for(alpha, bob)
    assert page.figures is not None and page.figures.axes.leadership == 60.0
    assert page.counted == 5 and page.left_out == 0


def test_k_never_goes_below_the_site_floor(closed_cycle, alpha, bob, settings):
    """A cycle's k of 5 is raised to the site's floor of 6, so five people are too few."""
    settings.LVM_MIN_GROUP_SIZE_FLOOR = 6
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, closed_cycle, levels)
    page = dashboard_for(alpha, bob)
    assert page.k == 6 and page.figures is None and page.submitted == 5


def test_managers_own_response_counts_in_the_organisation_only(closed_cycle, alpha, bob):
    """Bob manages Alpha, so he is no member of it: his response joins the people in no team."""
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, closed_cycle, levels)
    submit_levels(bob, closed_cycle, (5, 5, 5, 5))
    for user in [make_user(f"other{i}") for i in range(5)]:
        submit_levels(user, closed_cycle, (3, 3, 3, 3))
    page = dashboard_for(alpha, bob)
    assert (page.submitted, page.counted) == (5, 5)
    assert page.figures.axes.leadership == 60.0  # the members' figure, not Bob's 100
    # Bob and five others form a group of 6, 5 besides Bob: counted.
    assert page.figures.org.counted == 11


def test_people_in_no_team_need_k_besides_a_manager_among_them(closed_cycle, alpha, bob):
    """Bob and four people in no team: four besides Bob is below k, so all five are left out."""
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, closed_cycle, levels)
    submit_levels(bob, closed_cycle, (5, 5, 5, 5))
    for user in [make_user(f"other{i}") for i in range(4)]:
        submit_levels(user, closed_cycle, (3, 3, 3, 3))
    figures = dashboard_for(alpha, bob).figures
    assert (figures.org.counted, figures.org.submitted) == (5, 10)
    assert figures.org_axes == figures.axes  # the organisation is the team alone
    assert organisation_overview().left_out == 5


def test_a_team_below_k_is_left_out_of_the_organisation_too(closed_cycle, alpha, bob):
    """Four people in Few would be the organisation minus Alpha: they are in no figure."""
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, closed_cycle, levels)
    few = Team.objects.create(name="Few")
    for user in add_members(few, 4, "o"):
        submit_levels(user, closed_cycle, (5, 5, 5, 5))
    figures = dashboard_for(alpha, bob).figures
    assert (figures.org.counted, figures.org.submitted) == (5, 9)
    assert figures.org_axes.leadership == 60.0  # no trace of Few's 100s
    rows = {t.team_name: t for t in organisation_overview().teams}
    assert rows["Few"].withheld and (rows["Few"].submitted, rows["Few"].left_out) == (4, 4)


def test_members_in_a_group_below_k_are_not_counted_in_any_team(closed_cycle, alpha, beta, bob):
    """One person in both Alpha and Beta is a group of one: left out of both teams."""
    alpha_only = add_members(alpha, 5, "a")
    beta_only = add_members(beta, 5, "b")
    both = add_members(alpha, 1, "both")[0]
    Membership.objects.create(user=both, team=beta, role=Membership.Role.MEMBER)
    for user, levels in zip(alpha_only, TEAM_LEVELS, strict=True):
        submit_levels(user, closed_cycle, levels)
    for user in beta_only:
        submit_levels(user, closed_cycle, (3, 3, 3, 3))
    submit_levels(both, closed_cycle, (1, 1, 1, 1))
    page = dashboard_for(alpha, bob)
    assert (page.members, page.submitted, page.counted, page.left_out) == (6, 5 + 1, 5, 1)
    assert page.figures.axes.leadership == 60.0
    assert (page.figures.org.counted, page.figures.org.submitted) == (10, 11)


# --- when figures are published -------------------------------------------------------------


def test_an_open_cycle_shows_only_the_response_rate_until_it_closes(cycle, alpha, bob):
    """By default nothing is published while the cycle is open, however many submit."""
    members = add_members(alpha, 6, "m")
    for user, levels in zip(members, TEAM_LEVELS, strict=False):
        submit_levels(user, cycle, levels)
    start_draft(members[5], cycle)
    page = dashboard_for(alpha, bob)
    assert page.waiting and page.figures is None and page.left_out == 0
    assert (page.members, page.submitted, page.in_progress, page.response_rate) == (6, 5, 1, 83)
    assert not Publication.objects.exists()
    rows = csv_export.team_rows(page)
    closes = f"{cycle.closes_at:%Y-%m-%d}"
    assert ["about", "status", f"figures are published when the cycle closes ({closes})", ""] in (
        rows
    )
    close_cycle(cycle)
    page = dashboard_for(alpha, bob)
    assert page.cycle.final and page.figures.axes.leadership == 60.0


def test_a_cycle_showing_figures_while_open_publishes_once_k_have_submitted(cycle, alpha, bob):
    """Live figures come in steps of at least k newcomers; a sixth person waits for more."""
    Cycle.objects.filter(pk=cycle.pk).update(show_while_open=True)
    members = add_members(alpha, 6, "m")
    for user, levels in zip(members[:4], TEAM_LEVELS, strict=False):
        submit_levels(user, cycle, levels)
    page = dashboard_for(alpha, bob)
    assert not page.waiting and page.figures is None and page.submitted == 4
    assert not Publication.objects.exists()

    submit_levels(members[4], cycle, TEAM_LEVELS[4])
    page = dashboard_for(alpha, bob)
    assert page.figures.axes.leadership == 60.0 and page.counted == 5
    assert not page.cycle.final

    submit_levels(members[5], cycle, (1, 1, 1, 1))
    page = dashboard_for(alpha, bob)
    assert (page.submitted, page.counted, page.left_out) == (6, 5, 1)
    assert page.figures.axes.leadership == 60.0  # unchanged until k more have submitted
    assert Publication.objects.filter(cycle=cycle).count() == 1


def test_a_closed_cycle_is_published_once_then_read(small_team, bob, closed_cycle):
    """The first read publishes the final figures; later reads only read them."""
    first = dashboard_for(small_team, bob)
    assert first.cycle.final and first.cycle.publication_pk is not None
    second = dashboard_for(small_team, bob)
    assert second == first
    assert Publication.objects.filter(cycle=closed_cycle).count() == 1


# --- trend and cycles -----------------------------------------------------------------------


def test_trend_leaves_a_gap_for_a_cycle_below_k(questionnaire, alpha, bob):
    """Each cycle's published team figures, oldest first; four people are no figures."""
    old = make_cycle(questionnaire, name="Old", open_=False, days_ago=90)
    gap = make_cycle(questionnaire, name="Gap", open_=False, days_ago=40)
    now = make_cycle(questionnaire, name="Now", open_=False, days_ago=5)
    members = add_members(alpha, 5, "m")
    for user in members:
        submit_levels(user, old, (2, 2, 4, 4))  # leadership 25, management 75
        submit_levels(user, now, (4, 4, 2, 2))  # leadership 75, management 25
    for user in members[:4]:
        submit_levels(user, gap, (5, 5, 5, 5))
    trend = dashboard_for(alpha, bob, cycle_pk=now.pk).trend
    assert [(p.cycle_name, p.leadership, p.management) for p in trend] == [
        ("Old", 25.0, 75.0),
        ("Gap", None, None),
        ("Now", 75.0, 25.0),
    ]
    assert trend[1].is_gap and (trend[1].counted, trend[1].k) == (0, 5)


def test_an_earlier_cycle_shows_only_the_trend_up_to_it(questionnaire, alpha, bob):
    """Choosing Old shows Old alone; the open cycle by default waits and points to Old."""
    old = make_cycle(questionnaire, name="Old", open_=False, days_ago=90)
    now = make_cycle(questionnaire, name="Now")
    for user in add_members(alpha, 5, "m"):
        submit_levels(user, old, (2, 2, 4, 4))
    page = dashboard_for(alpha, bob, cycle_pk=old.pk)
    assert page.cycle.name == "Old" and [p.cycle_name for p in page.trend] == ["Old"]
    latest = dashboard_for(alpha, bob)  # the latest to have opened, by default
    assert latest.cycle.pk == now.pk and latest.waiting and latest.figures is None
    assert latest.latest_published.pk == old.pk
    assert [(p.cycle_name, p.is_gap, p.waiting) for p in latest.trend] == [
        ("Old", False, False),
        ("Now", True, True),
    ]


def test_unknown_or_future_cycle_gives_none(questionnaire, alpha, bob, cycle):
    """Only cycles that have opened can be chosen."""
    future = make_cycle(questionnaire, name="Future", days_ago=-10)
    assert dashboard_for(alpha, bob, cycle_pk=future.pk) is None
    assert dashboard_for(alpha, bob, cycle_pk=999_999) is None


def test_team_for_manager_only_finds_managed_teams(alpha, beta, alice, bob, charlie, dora, staff):
    """Managers find their own teams, staff every team, anyone else none."""
    assert team_for_manager(user=bob, team_pk=alpha.pk) == alpha
    assert team_for_manager(user=bob, team_pk=beta.pk) is None
    assert team_for_manager(user=alice, team_pk=alpha.pk) is None
    assert team_for_manager(user=dora, team_pk=alpha.pk) is None
    assert team_for_manager(user=staff, team_pk=beta.pk) == beta


# --- speed ----------------------------------------------------------------------------------


def test_query_count_does_not_depend_on_team_size(
    closed_cycle, alpha, beta, bob, dora, django_assert_num_queries
):
    """Four queries for a published cycle (cycles, published rows, team tips, action plans),
    for 5 or 50 members."""
    for user in add_members(alpha, 5, "small"):
        submit_levels(user, closed_cycle, (3, 3, 3, 3))
    for i, user in enumerate(add_members(beta, 50, "large")):
        submit_levels(user, closed_cycle, (1 + i % 5, 3, 3, 1 + i % 3))
    team_list(user=bob)  # the first read publishes
    for team, manager in ((alpha, bob), (beta, dora)):
        found = team_for_manager(user=manager, team_pk=team.pk)
        with django_assert_num_queries(4):
            page = team_dashboard(team=found)
        assert page.figures is not None


# --- lists ----------------------------------------------------------------------------------


def test_team_list_shows_figures_or_no_figures(small_team, beta, bob, staff):
    """Managers see their teams; staff see every team, Beta (nobody submitted) without figures."""
    rows = team_list(user=bob).teams
    assert [(r.team_name, r.submitted, r.withheld) for r in rows] == [("Alpha", 5, False)]
    assert rows[0].axes.leadership == 60.0 and rows[0].shown == (60, 45, 15)
    by_name = {r.team_name: r for r in team_list(user=staff).teams}
    assert set(by_name) == {"Alpha", "Beta", "Outsiders"}
    assert by_name["Beta"].withheld and by_name["Beta"].submitted == 0
    assert by_name["Outsiders"].shown == (50, 50, 0)


def test_team_list_waits_while_the_cycle_is_open(cycle, alpha, bob):
    """While figures wait for the close, the list has only who has submitted."""
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, cycle, levels)
    (row,) = team_list(user=bob).teams
    assert row.waiting and row.withheld and row.submitted == 5 and row.left_out == 0


def test_organisation_overview_withholds_small_teams(small_team, closed_cycle, bob):
    """Tiny's one member and Bob (a manager) are too few to count; everyone else is in."""
    lonely = make_user("lonely")
    Membership.objects.create(user=lonely, team=Team.objects.create(name="Tiny"), role="member")
    submit_levels(lonely, closed_cycle, (5, 5, 5, 5))
    submit_levels(bob, closed_cycle, (3, 3, 3, 3))  # a manager's response is not a member's
    page = organisation_overview()
    # Members: Alpha 6, Outsiders 6, Tiny 1. Submitted as members: 5 + 6 + 1; Bob too.
    assert (page.people, page.people_submitted, page.submitted) == (13, 12, 13)
    assert page.response_rate == round(100 * 12 / 13)
    assert (page.org.submitted, page.org.counted, page.left_out) == (13, 11, 2)
    rows = {t.team_name: t for t in page.teams}
    assert rows["Tiny"].withheld and rows["Tiny"].submitted == 1 and rows["Tiny"].axes is None
    assert rows["Alpha"].axes.leadership == 60.0
    assert page.teams_shown == 2
    assert sum(c.count for c in page.quadrant) == 11


def test_organisation_overview_counts_a_person_in_two_teams_once(closed_cycle, alpha, beta):
    """Response rate counts people, not memberships."""
    both = add_members(alpha, 1, "both")[0]
    Membership.objects.create(user=both, team=beta, role=Membership.Role.MEMBER)
    add_members(beta, 1, "b")
    submit_levels(both, closed_cycle, (3, 3, 3, 3))
    page = organisation_overview()
    assert (page.people, page.people_submitted, page.submitted) == (2, 1, 1)
    assert page.response_rate == 50


def test_organisation_overview_waits_while_the_cycle_is_open(cycle, alpha):
    """No organisation figures before the close; the counts are live."""
    for user, levels in zip(add_members(alpha, 5, "m"), TEAM_LEVELS, strict=True):
        submit_levels(user, cycle, levels)
    page = organisation_overview()
    assert page.cycle.waiting and page.org is None and page.left_out == 0
    assert (page.people, page.people_submitted, page.submitted) == (5, 5, 5)
    assert page.teams_shown == 0 and page.teams[0].waiting


def test_rounding_matches_decimal_half_up_on_600000_values():
    """The fast rounding agrees with Decimal's ROUND_HALF_UP (what a person expects)."""
    rng = random.Random(2026)
    values = [rng.uniform(-100, 100) for _ in range(200_000)]
    values += [i / 2000 for i in range(-200_000, 200_001)]  # every half, to 3 places
    for value in values:
        exact = Decimal(repr(value))
        assert one_decimal(value) == float(exact.quantize(Decimal("0.1"), ROUND_HALF_UP))
        assert whole(value) == int(exact.quantize(Decimal(1), ROUND_HALF_UP))
