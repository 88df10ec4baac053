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
    # Beta's two and the two managers (in no team's line) are four: counted in the
    # organisation's line, they would be its difference from Alpha's.
    overall = response.context["page"].overall
    assert (overall.taking_part, overall.invited, overall.submitted) == (5, 5, 1)
    text = response.content.decode()
    assert "1 of the 5 people counted have submitted" in text
    assert "4 people taking part are not counted in any line, this one included" in text


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


def test_a_manager_sees_only_the_teams_they_manage(client, bob, invited):
    client.force_login(bob)
    response = client.get(URL)
    assert set(rows(response)) == {"Alpha"}
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


def test_an_unknown_cycle_or_one_without_participants_gets_404(
    client, helga, invited, questionnaire
):
    other = make_cycle(questionnaire, name="Nobody invited")
    client.force_login(helga)
    assert client.get(f"{URL}?cycle={other.pk}").status_code == 404
    assert client.get(f"{URL}?cycle=999999").status_code == 404
    assert client.get(f"{URL}?cycle=abc").status_code == 404


def test_a_low_rate_is_marked(client, bob, invited):
    client.force_login(bob)
    assert "below 60 %" in client.get(URL).content.decode()


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
    with django_assert_num_queries(8):
        client.get(URL)


# --- an attacker's arithmetic -------------------------------------------------------------


def lines(page) -> dict[str, int | None]:
    found = {row.name: row.taking_part for row in page.teams}
    found["(organisation)"] = page.overall.taking_part
    return found


def test_the_organisation_minus_its_teams_never_counts_a_small_team(
    client, helga, cycle, alpha, beta
):
    """Without the rule: 7 in the organisation minus Alpha's 5 would be Beta's two."""
    add_members(alpha, 5, "a")
    add_members(beta, 2, "b")
    services.invite_participants(cycle=cycle)
    client.force_login(helga)
    page = client.get(URL).context["page"]
    assert lines(page) == {"Alpha": 5, "Beta": None, "(organisation)": 5}
    assert page.left_out == 2


def test_people_in_two_teams_are_counted_nowhere_when_fewer_than_k(
    client, helga, cycle, alpha, beta
):
    """Alpha plus Beta minus the organisation would be the two people in both."""
    add_members(alpha, 5, "a")
    add_members(beta, 5, "b")
    for person in add_members(alpha, 2, "ab"):
        Membership.objects.create(user=person, team=beta)
    services.invite_participants(cycle=cycle)
    submit_levels(get_user_model().objects.get(username="ab0"), cycle, (3, 3, 3, 3))
    client.force_login(helga)
    page = client.get(URL).context["page"]
    assert lines(page) == {"Alpha": 5, "Beta": 5, "(organisation)": 10}
    assert page.overall.submitted == 0, "ab0 submitted, and is counted nowhere"


def test_a_team_whose_members_are_all_in_small_overlaps_is_withheld(
    client, helga, cycle, alpha, beta
):
    """Gamma's five are each also in Alpha or Beta, in groups of two and three: Gamma
    gets no line, and its people are counted in their other team."""
    from assessments.models import Team

    gamma = Team.objects.create(name="Gamma")
    add_members(alpha, 5, "a")
    add_members(beta, 5, "b")
    for i, person in enumerate(add_members(gamma, 5, "g")):
        Membership.objects.create(user=person, team=alpha if i < 2 else beta)
    services.invite_participants(cycle=cycle)
    client.force_login(helga)
    response = client.get(URL)
    assert lines(response.context["page"]) == {
        "Alpha": 7,
        "Beta": 8,
        "Gamma": None,
        "(organisation)": 15,
    }
    assert "its members are split across other teams in groups of fewer than 5" in (
        response.content.decode()
    )


@pytest.mark.parametrize("seed", range(8))
def test_every_line_is_a_sum_of_whole_groups_of_at_least_k(
    client, helga, cycle, alpha, beta, settings, seed
):
    """Random teams, overlaps, managers and submissions, k = 3. Group the people taking
    part by which shown lines count them: every line's counts (taking part and
    submitted) must be sums over whole groups, each of k or more besides any one
    viewer, so that no sum or difference of lines narrows down to fewer than k."""
    import random

    from assessments.models import Team

    rng = random.Random(seed)
    settings.LVM_MIN_GROUP_SIZE_FLOOR = 3
    cycle.min_group_size = 3
    cycle.save()
    teams = [alpha, beta, Team.objects.create(name="Gamma")]
    User = get_user_model()
    memberships = {}
    for i in range(rng.randint(8, 18)):
        person = User.objects.create_user(f"p{i}", email=f"p{i}@example.com")
        chosen = rng.sample(teams, rng.choice((0, 1, 1, 1, 2)))
        role = Membership.Role.MANAGER if rng.random() < 0.1 else Membership.Role.MEMBER
        for team in chosen:
            Membership.objects.create(user=person, team=team, role=role)
        memberships[person.pk] = (
            {t.name for t in chosen} if role == Membership.Role.MEMBER else set(),
            role == Membership.Role.MANAGER,
        )
    services.invite_participants(cycle=cycle)
    taking_part = set(Participant.objects.filter(cycle=cycle).values_list("user_id", flat=True))
    assert taking_part == {pk for pk in memberships if Membership.objects.filter(user_id=pk)}
    memberships = {pk: memberships[pk] for pk in taking_part}
    done = set()
    for pk in memberships:
        if rng.random() < 0.5:
            submit_levels(User.objects.get(pk=pk), cycle, (3, 3, 3, 3))
            done.add(pk)
    client.force_login(helga)
    page = client.get(URL).context["page"]
    shown = {row.name for row in page.teams if not row.withheld}

    groups: dict[frozenset, list[int]] = {}
    for pk, (names, _) in memberships.items():
        groups.setdefault(frozenset(names & shown), []).append(pk)
    counted = {
        pattern: people
        for pattern, people in groups.items()
        if len(people) - (1 if any(memberships[p][1] for p in people) else 0) >= 3
    }
    for row in page.teams:
        if row.withheld:
            continue
        inside = [p for pattern, people in counted.items() if row.name in pattern for p in people]
        assert (row.taking_part, row.submitted) == (len(inside), len(done & set(inside)))
    everyone = [p for people in counted.values() for p in people]
    overall = page.overall
    if everyone:
        assert (overall.taking_part, overall.submitted) == (
            len(everyone),
            len(done & set(everyone)),
        )
    else:
        assert overall.withheld
    assert page.left_out == len(memberships) - len(everyone)
