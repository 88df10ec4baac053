"""Published results: snapshots, publications, and the attacks they must defeat.

Each attack is tried the way a curious manager would: through the team CSV exports and
the dashboard pages, doing the arithmetic on what they show. In each, the figures that
can safely be shown are still shown.
"""

import io
import random
import re
from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import (
    Cycle,
    Membership,
    Publication,
    PublishedGroup,
    Response,
    Team,
    TeamSnapshot,
)

from .conftest import (
    answers_for,
    assert_no_group_below_k,
    close_cycle,
    csv_rows,
    dashboard_url,
    export_url,
    make_cycle,
    make_member,
    make_user,
)

MEMBER, MANAGER = Membership.Role.MEMBER, Membership.Role.MANAGER


def submit(user, cycle, lead=3, mgmt=3):
    outcome = services.submit_response(
        user=user, cycle=cycle, answers=answers_for(cycle, lead, mgmt)
    )
    assert outcome.submitted
    return outcome.response


def export(client, user, team, cycle):
    client.force_login(user)
    response = client.get(export_url(team, cycle))
    assert response.status_code == 200
    return response.content


def figures(content):
    """{measure: (team value, organisation value)} from a team CSV."""
    return {row[1]: (row[2], row[3]) for row in csv_rows(content)[1:]}


def mean(content, measure="leadership mean", column=0):
    return float(figures(content)[measure][column])


def shown_figures(html):
    """The big numbers of a dashboard page and its response-rate line."""
    return re.findall(r'class="score-figure[^"]*">([^<]*)<', html) + re.findall(
        r"\d+ of \d+ submitted", html
    )


def dashboard_html(client, user, team, cycle):
    client.force_login(user)
    response = client.get(dashboard_url(team, cycle))
    assert response.status_code == 200
    return response.content.decode()


# --- the snapshot -----------------------------------------------------------------------


def test_submission_records_the_teams_the_person_is_a_member_of(questionnaire):
    """Member roles are snapshotted; a team the person manages is not theirs to be in."""
    cycle = make_cycle(questionnaire)
    alpha, beta, gamma = (Team.objects.create(name=n) for n in ("A", "B", "C"))
    user = make_member("eve", alpha, beta)
    Membership.objects.create(user=user, team=gamma, role=MANAGER)
    response = submit(user, cycle)
    assert set(response.snapshot.values_list("team_id", flat=True)) == {alpha.pk, beta.pk}


def test_later_team_changes_do_not_change_the_snapshot(questionnaire):
    cycle = make_cycle(questionnaire)
    alpha, beta = Team.objects.create(name="A"), Team.objects.create(name="B")
    user = make_member("eve", alpha)
    response = submit(user, cycle)
    Membership.objects.filter(user=user).delete()
    Membership.objects.create(user=user, team=beta, role=MEMBER)
    assert list(response.snapshot.values_list("team_id", flat=True)) == [alpha.pk]


def test_a_draft_has_no_snapshot(questionnaire, alice):
    cycle = make_cycle(questionnaire)
    services.save_draft(user=alice, cycle=cycle, answers={})
    assert not TeamSnapshot.objects.exists()


# --- when figures are published ----------------------------------------------------------


@pytest.fixture
def five(questionnaire):
    """An open cycle and a team of five members who submitted, with its manager."""
    cycle = make_cycle(questionnaire)
    team = Team.objects.create(name="Five")
    manager = make_member("boss", team, role=MANAGER)
    members = [make_member(f"m{i}", team) for i in range(5)]
    for i, member in enumerate(members):
        submit(member, cycle, lead=1 + i, mgmt=5 - i)
    return cycle, team, manager, members


def test_an_open_cycle_publishes_nothing_by_default(five, client):
    """Until the cycle closes the page says when figures will appear, and shows none."""
    cycle, team, manager, _ = five
    assert services.publish_cycle(cycle=cycle) is None
    html = dashboard_html(client, manager, team, cycle)
    assert "Figures appear when the cycle closes" in html
    assert "5 of 5 submitted" in html
    assert "leadership mean" not in export(client, manager, team, cycle).decode()
    assert not Publication.objects.exists()


def test_the_first_read_after_closing_publishes_once(five, client):
    cycle, team, manager, _ = five
    close_cycle(cycle)
    dashboard_html(client, manager, team, cycle)
    dashboard_html(client, manager, team, cycle)
    publication = Publication.objects.get()
    assert publication.is_final and publication.counted == 5 and publication.step == 1
    assert services.publish_cycle(cycle=cycle) is None
    group = PublishedGroup.objects.get(team=team)
    assert group.n == 5 and group.leadership_sum == pytest.approx(0 + 25 + 50 + 75 + 100)


def test_publish_results_command_publishes_due_cycles_and_dry_run_writes_nothing(five):
    cycle, *_ = five
    close_cycle(cycle)
    out = io.StringIO()
    call_command("publish_results", "--dry-run", stdout=out)
    assert "1 cycle(s) due" in out.getvalue() and not Publication.objects.exists()
    call_command("publish_results", stdout=io.StringIO())
    call_command("publish_results", stdout=io.StringIO())
    assert Publication.objects.get().counted == 5


def test_minimum_group_size_cannot_be_lowered_once_people_have_answered(five):
    cycle, *_ = five
    cycle.min_group_size = 4
    with pytest.raises(ValidationError, match="can't be lowered"):
        cycle.full_clean()
    cycle.min_group_size = 7
    cycle.full_clean()  # raising it is fine


def test_a_published_cycle_cannot_be_reopened(five):
    """Reopening would take answers that no publication can ever count."""
    cycle, *_ = five
    close_cycle(cycle)
    services.publish_cycle(cycle=cycle)
    cycle.closes_at = timezone.now() + timedelta(days=3)
    with pytest.raises(ValidationError, match="can't be reopened"):
        cycle.full_clean()


# --- attack 1: three overlapping teams ---------------------------------------------------


def test_three_overlapping_teams_reveal_nothing_about_the_extra_person(questionnaire, client):
    """x = 6·P − (10·R − 5·Q) no longer gives x's scores: x is in no figure at all."""
    cycle = make_cycle(questionnaire)
    p_team, q_team, r_team = (Team.objects.create(name=n) for n in "PQR")
    manager = make_member("boss")
    for team in (p_team, q_team, r_team):
        Membership.objects.create(user=manager, team=team, role=MANAGER)
    ps = [make_member(f"p{i}", p_team, r_team) for i in range(5)]
    qs = [make_member(f"q{i}", q_team, r_team) for i in range(5)]
    x = make_member("x", p_team)
    for i, user in enumerate(ps + qs):
        submit(user, cycle, lead=2 + i % 3, mgmt=3)
    submit(x, cycle, lead=5, mgmt=1)  # leadership 100, management 0
    close_cycle(cycle)

    p_csv, q_csv, r_csv = (export(client, manager, t, cycle) for t in (p_team, q_team, r_team))
    guess = 6 * mean(p_csv) - (10 * mean(r_csv) - 5 * mean(q_csv))
    assert abs(guess - 100) > 20
    # What is shown: P describes p1..p5 exactly, and says one member was left out.
    p_scores = [r.leadership_score for r in Response.objects.filter(respondent__in=ps)]
    assert mean(p_csv) == pytest.approx(sum(p_scores) / 5, abs=0.05)
    assert figures(p_csv)["counted in the figures"][0] == "5"
    assert figures(p_csv)["left out to protect privacy"][0] == "1"
    assert figures(r_csv)["counted in the figures"] == ("10", "10")
    html = dashboard_html(client, manager, p_team, cycle)
    assert "1 member who submitted is not counted" in html


# --- attack 2: the organisation minus teams minus the viewer -----------------------------


def test_organisation_minus_teams_minus_own_result_reveals_nobody(questionnaire, client):
    """12·org − 5·A − 5·B − own no longer gives the person in no team."""
    cycle = make_cycle(questionnaire)
    a_team, b_team = Team.objects.create(name="A"), Team.objects.create(name="B")
    manager = make_member("boss")
    for team in (a_team, b_team):
        Membership.objects.create(user=manager, team=team, role=MANAGER)
    for i in range(5):
        submit(make_member(f"a{i}", a_team), cycle, lead=2, mgmt=4)
        submit(make_member(f"b{i}", b_team), cycle, lead=4, mgmt=2)
    own = submit(manager, cycle, lead=3, mgmt=3)
    submit(make_member("loner"), cycle, lead=5, mgmt=1)  # leadership 100
    close_cycle(cycle)

    a_csv, b_csv = export(client, manager, a_team, cycle), export(client, manager, b_team, cycle)
    org = mean(a_csv, column=1)
    guess = 12 * org - 5 * mean(a_csv) - 5 * mean(b_csv) - own.leadership_score
    assert abs(guess - 100) > 20
    # The organisation figure is A and B together; the two outside any team are left out.
    assert figures(a_csv)["counted in the figures"] == ("5", "10")
    assert org == pytest.approx((5 * 25 + 5 * 75) / 10)


# --- attacks 3 and 4: a leaver or an erasure after the cycle closed -----------------------


def _leaves(member, team, outsiders):
    Membership.objects.filter(user=member, team=team).delete()


def _someone_joins(member, team, outsiders):
    make_member("newcomer", team)


def _is_erased(member, team, outsiders):
    services.delete_responses_of(user=member)


def _moves_to_another_team(member, team, outsiders):
    Membership.objects.filter(user=member, team=team).update(team=outsiders)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_leaves, id="leave"),
        pytest.param(_someone_joins, id="join"),
        pytest.param(_is_erased, id="erase"),
        pytest.param(_moves_to_another_team, id="move"),
    ],
)
def test_a_closed_cycle_does_not_move_when_people_leave_join_or_are_erased(five, client, change):
    """Before − after would give one person's result; a closed cycle's CSV never changes."""
    cycle, team, manager, members = five
    outsiders = Team.objects.create(name="Outsiders")
    for i in range(5):
        submit(make_member(f"o{i}", outsiders), cycle, lead=3, mgmt=3)
    close_cycle(cycle)
    before = export(client, manager, team, cycle)
    page_before = dashboard_html(client, manager, team, cycle)
    change(members[0], team, outsiders)
    assert export(client, manager, team, cycle) == before
    assert shown_figures(dashboard_html(client, manager, team, cycle)) == shown_figures(
        page_before
    )
    assert mean(before) == pytest.approx(50.0)


# --- attack 5: one more submission while figures are live ---------------------------------


def test_live_figures_move_only_in_steps_of_k_people(questionnaire, client):
    """With figures shown while open, one more submission changes nothing on the page."""
    cycle = make_cycle(questionnaire)
    Cycle.objects.filter(pk=cycle.pk).update(show_while_open=True)
    cycle.refresh_from_db()
    team = Team.objects.create(name="Live")
    manager = make_member("boss", team, role=MANAGER)
    members = [make_member(f"m{i}", team) for i in range(11)]
    for member in members[:4]:
        submit(member, cycle, lead=2, mgmt=2)
    assert "No figures yet (4 submitted)" in dashboard_html(client, manager, team, cycle)
    submit(members[4], cycle, lead=2, mgmt=2)
    first = export(client, manager, team, cycle)
    assert mean(first) == 25.0 and figures(first)["counted in the figures"][0] == "5"

    submit(members[5], cycle, lead=5, mgmt=1)  # the newcomer an attacker wants
    after_one = export(client, manager, team, cycle)
    assert figures(after_one)["leadership mean"] == figures(first)["leadership mean"]
    assert figures(after_one)["left out to protect privacy"][0] == "1"
    assert "not counted yet" in dashboard_html(client, manager, team, cycle)

    for member in members[6:10]:
        submit(member, cycle, lead=3, mgmt=3)
    second = export(client, manager, team, cycle)
    assert figures(second)["counted in the figures"][0] == "10"
    # second − first describes the five newcomers together, never one of them.
    newcomers = 10 * mean(second) - 5 * mean(first)
    assert newcomers == pytest.approx(100 + 4 * 50, abs=1)
    assert Publication.objects.filter(cycle=cycle).count() == 2

    close_cycle(cycle)
    final = export(client, manager, team, cycle)
    assert Publication.objects.get(cycle=cycle, is_final=True).step == 3
    assert figures(final)["leadership mean"] == figures(second)["leadership mean"]


def test_a_live_step_that_admits_nobody_is_not_retried_until_someone_new_submits(
    questionnaire, client
):
    """Five in one team, one of them a manager elsewhere: 4 besides that viewer, too few."""
    cycle = make_cycle(questionnaire)
    Cycle.objects.filter(pk=cycle.pk).update(show_while_open=True)
    team, other = Team.objects.create(name="T"), Team.objects.create(name="Other")
    manager = make_member("boss", team, role=MANAGER)
    members = [make_member(f"m{i}", team) for i in range(6)]
    Membership.objects.create(user=members[0], team=other, role=MANAGER)
    for member in members[:5]:
        submit(member, cycle)
    with CaptureQueriesContext(connection) as first:
        assert "No figures yet (5 submitted)" in dashboard_html(client, manager, team, cycle)
    assert Cycle.objects.get(pk=cycle.pk).publish_checked != 0
    with CaptureQueriesContext(connection) as second:
        dashboard_html(client, manager, team, cycle)
    assert len(second.captured_queries) < len(first.captured_queries)
    assert not Publication.objects.exists()
    # The viewer's response is erased and someone else submits: still 5 waiting, but
    # not the same 5, so the next read tries again and now counts them.
    services.delete_responses_of(user=members[0])
    submit(members[5], cycle)
    assert "No figures yet" not in dashboard_html(client, manager, team, cycle)
    assert Publication.objects.get().counted == 5


# --- randomised, through the database ---------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_random_organisations_publish_no_group_smaller_than_k(questionnaire, seed):
    """Random overlapping teams and viewers, published by the service: brute-force check.

    Every published set is rebuilt from the rows (who is counted, in which teams) and
    checked against the stored sums, then the respondents are grouped by exactly which
    published sets contain them.
    """
    rng = random.Random(seed)
    k = rng.randint(3, 5)
    cycle = make_cycle(questionnaire, k=k)
    Cycle.objects.filter(pk=cycle.pk).update(show_while_open=seed % 2 == 1)
    teams = [Team.objects.create(name=f"T{i}") for i in range(rng.randint(2, 6))]
    users = []
    for i in range(rng.randint(12, 40)):
        chosen = [t for t in teams if rng.random() < 0.4]
        role = MANAGER if rng.random() < 0.1 else MEMBER
        user = make_member(f"u{i}")
        for team in chosen:
            Membership.objects.create(user=user, team=team, role=role)
        users.append(user)
    viewers = services.viewer_ids()
    for user in users:
        submit(user, cycle, lead=rng.randint(1, 5), mgmt=rng.randint(1, 5))
        if rng.random() < 0.3:
            services.publish_cycle(cycle=Cycle.objects.get(pk=cycle.pk))
    close_cycle(cycle)
    services.publish_cycle(cycle=cycle)

    sets = {}
    publications = list(Publication.objects.filter(cycle=cycle).order_by("step"))
    teams_at = {p.step: set(p.teams) for p in publications}
    snapshot = defaultdict(set)
    for response_id, team_id in TeamSnapshot.objects.filter(cycle=cycle).values_list(
        "response_id", "team_id"
    ):
        snapshot[response_id].add(team_id)
    counted = list(
        Response.objects.filter(cycle=cycle, published_step__isnull=False).values_list(
            "pk", "respondent_id", "published_step", "leadership_score"
        )
    )
    for publication in publications:
        step = publication.step
        members = {("org", step): {r for _, r, s, _ in counted if s <= step}}
        for team in teams:
            members[(team.pk, step)] = {
                r for pk, r, s, _ in counted if s <= step and team.pk in snapshot[pk] & teams_at[s]
            }
        score_of = {r: score for _, r, _, score in counted}
        for group in publication.groups.all():
            people = members[("org" if group.team_id is None else group.team_id, step)]
            assert group.n == len(people)
            assert group.leadership_sum == pytest.approx(sum(score_of[r] for r in people))
        sets.update({name: people for name, people in members.items() if people})
    assert Publication.objects.filter(cycle=cycle, is_final=True).exists()
    assert_no_group_below_k(sets, viewers=viewers, k=k)


def test_viewers_are_managers_hr_staff_and_superusers(alice, bob, staff, helga):
    """Anyone who sees figures (or could be given them) counts as knowing their own answers."""
    plain_staff = make_user("sam", is_staff=True)
    assert services.viewer_ids() == {bob.pk, staff.pk, helga.pk, plain_staff.pk}


def test_left_out_counts_stay_exact_after_an_erasure(questionnaire, client, staff):
    """Counted people erased later stay in the sums, and in the count of who submitted."""
    cycle = make_cycle(questionnaire, k=3)
    Cycle.objects.filter(pk=cycle.pk).update(show_while_open=True)
    alpha, beta = Team.objects.create(name="Alpha"), Team.objects.create(name="Beta")
    members = [make_member(f"a{i}", alpha) for i in range(3)]
    for member in members:
        submit(member, cycle)
    assert services.publish_cycle(cycle=Cycle.objects.get(pk=cycle.pk)).counted == 3
    services.delete_responses_of(user=members[0])
    submit(make_member("loner", beta), cycle)
    close_cycle(cycle)
    final = services.publish_cycle(cycle=cycle)
    assert (final.counted, final.submitted, final.left_out) == (3, 4, 1)
    client.force_login(staff)
    html = client.get(reverse("assessments:organisation-overview")).content.decode()
    assert "These figures count 3 of the 4 people who had submitted" in html
    assert "3 team members, plus 1 not in it" in html  # the erased one
    assert "1 person is not counted" in html
    groups = {g.team_id: g for g in final.groups.all()}
    assert (groups[alpha.pk].n, groups[alpha.pk].submitted) == (3, 3)
    assert (groups[beta.pk].n, groups[beta.pk].submitted) == (0, 1)
