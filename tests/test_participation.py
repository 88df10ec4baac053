"""The participation page: counts per team and overall, for HR and managers, never names."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Membership, Participant
from tests.conftest import add_members, make_cycle, submit_levels

URL = reverse("assessments:participation")


@pytest.fixture
def invited(cycle, alpha, beta, alice, bob, charlie, dora):
    """Alpha: alice + 4 members (bob manages); Beta: charlie + 1 member (dora manages)."""
    add_members(alpha, 4, "a")
    add_members(beta, 1, "b")
    services.invite_participants(cycle=cycle)
    return cycle


def rows(response):
    page = response.context["page"]
    return {
        row.name: (row.taking_part, row.invited, row.reminded, row.submitted, row.rate)
        for row in page.teams
    }


def test_hr_sees_every_team_and_the_whole_organisation(client, helga, invited, alice):
    submit_levels(alice, invited, (3, 3, 3, 3))
    client.force_login(helga)
    response = client.get(URL)
    # Beta has two members taking part, fewer than k = 5: withheld.
    assert rows(response) == {"Alpha": (5, 5, 0, 1, 20), "Beta": (None,) * 5}
    overall = response.context["page"].overall
    assert (overall.taking_part, overall.invited, overall.submitted) == (9, 9, 1)
    assert "1 of the 9 people taking part have submitted" in response.content.decode()


def test_participation_goes_up_as_people_submit_and_counts_reminders(
    client, helga, invited, alice
):
    client.force_login(helga)
    before = rows(client.get(URL))["Alpha"]
    submit_levels(alice, invited, (3, 3, 3, 3))
    Participant.objects.filter(user__username="a0").update(reminders_sent=1)
    after = rows(client.get(URL))["Alpha"]
    assert before[3] == 0 and after[3] == 1
    assert before[2] == 0 and after[2] == 1


def test_a_team_with_fewer_than_k_taking_part_is_withheld_for_its_manager_too(
    client, dora, invited
):
    client.force_login(dora)
    response = client.get(URL)
    assert rows(response) == {"Beta": (None,) * 5}
    assert "Fewer than 5 members take part: not shown" in response.content.decode()


def test_the_organisation_line_is_withheld_below_k(client, helga, cycle, alpha, alice):
    """Alone in the cycle, alice's "1 submitted" would be hers."""
    services.invite_participants(cycle=cycle)
    client.force_login(helga)
    response = client.get(URL)
    assert response.context["page"].overall.withheld
    assert "Fewer than 5 people take part" in response.content.decode()


def test_only_the_cycles_teams_have_lines(client, helga, cycle, alpha, beta, alice):
    """Alice is also in Beta, which does not take part: Beta gets no line of its own."""
    add_members(alpha, 5, "a")
    Membership.objects.create(user=alice, team=beta)
    cycle.teams.set([alpha])
    services.invite_participants(cycle=cycle)
    client.force_login(helga)
    assert set(rows(client.get(URL))) == {"Alpha"}


def test_people_deactivated_during_the_cycle_leave_the_count(client, helga, invited):
    client.force_login(helga)
    User = get_user_model()
    User.objects.filter(username="a0").update(is_active=False)
    page = client.get(URL).context["page"]
    assert page.overall.taking_part == 8
    assert rows(client.get(URL))["Alpha"] == (None,) * 5  # 4 left: below k


def test_a_manager_sees_only_the_teams_they_manage(client, bob, invited, alpha):
    client.force_login(bob)
    response = client.get(URL)
    assert set(rows(response)) == {"Alpha"}
    dashboard = reverse("assessments:team-dashboard", args=[alpha.pk])
    assert f'<a href="{dashboard}?cycle={invited.pk}">Alpha</a>' in response.content.decode()
    assert response.context["page"].overall is None
    assert "Whole organisation" not in response.content.decode()


def test_the_page_names_nobody(client, helga, invited, alice):
    submit_levels(alice, invited, (3, 3, 3, 3))
    client.force_login(helga)
    text = client.get(URL).content.decode()
    for name in ("alice", "Alice", "charlie", "a0@example.com"):
        assert name not in text


def test_an_employee_gets_404(client, alice, invited):
    client.force_login(alice)
    assert client.get(URL).status_code == 404


def test_an_unknown_or_future_cycle_gets_404(client, helga, invited, questionnaire):
    future = make_cycle(questionnaire, name="Next month", days_ago=-10)
    client.force_login(helga)
    assert client.get(f"{URL}?cycle={future.pk}").status_code == 404
    assert client.get(f"{URL}?cycle=999999").status_code == 404
    assert client.get(f"{URL}?cycle=abc").status_code == 404


def test_a_cycle_nobody_was_invited_to_says_so_and_where_its_counts_are(
    client, helga, bob, invited, questionnaire
):
    """The overview links here for its cycle: one that ran without invitations explains
    itself (no counts, no 404) and offers the cycles that had them."""
    other = make_cycle(questionnaire, name="Spring", open_=False, days_ago=200)
    overview = reverse("assessments:organisation-overview")
    client.force_login(helga)
    assert f"{URL}?cycle={other.pk}" in client.get(f"{overview}?cycle={other.pk}").content.decode()
    response = client.get(f"{URL}?cycle={other.pk}")
    html = response.content.decode()
    assert response.status_code == 200 and "Nobody was invited to Spring from LVM" in html
    assert f"{overview}?cycle={other.pk}" in html and 'id="cycle-select"' in html
    assert response.context["page"].teams == ()
    client.force_login(bob)  # a manager: no link to the overview he cannot open
    html = client.get(f"{URL}?cycle={other.pk}").content.decode()
    assert "Nobody was invited to Spring" in html and overview not in html


def test_a_low_rate_is_marked(client, bob, invited):
    client.force_login(bob)
    assert "below 60%" in client.get(URL).content.decode()


def test_before_any_invitation_the_page_says_so(client, helga, cycle):
    client.force_login(helga)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Nobody has been invited to a cycle yet." in response.content.decode()


def test_the_latest_open_cycle_is_shown_and_earlier_ones_can_be_picked(
    client, helga, invited, questionnaire, alice
):
    earlier = make_cycle(questionnaire, name="Last year", open_=False, days_ago=200)
    Participant.objects.create(cycle=earlier, user=alice, invited_at=timezone.now())
    client.force_login(helga)
    assert client.get(URL).context["page"].cycle == invited
    picked = client.get(f"{URL}?cycle={earlier.pk}").context["page"]
    assert picked.cycle == earlier and not picked.is_open
    assert rows_of(picked) == {"Alpha": None}  # one person: withheld


def rows_of(page):
    return {row.name: row.taking_part for row in page.teams}


@pytest.mark.parametrize("extra_teams", [0, 20])
def test_the_page_takes_the_same_number_of_queries_for_any_number_of_teams(
    client, helga, cycle, alpha, django_assert_num_queries, extra_teams
):
    from assessments.models import Team

    for i in range(extra_teams):
        add_members(Team.objects.create(name=f"T{i}"), 2, f"t{i}-")
    add_members(alpha, 3, "a")
    services.invite_participants(cycle=cycle, when=timezone.now() - timedelta(minutes=1))
    client.force_login(helga)
    client.get(URL)  # warm the session
    with django_assert_num_queries(7):
        client.get(URL)
