"""Careless-response indicators: the pure measures, what a submission stores, who sees
them, and how publishing treats flagged responses with and without the cycle setting."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import carelessness, services
from assessments.carelessness import Flag, indicators, long_run_threshold, longest_run
from assessments.models import (
    Cycle,
    Membership,
    Publication,
    PublishedGroup,
    Response,
    Team,
    TeamSnapshot,
)
from assessments.queries import figures
from assessments.scoring import Item

from .conftest import (
    all_answers,
    answers_for,
    assert_no_group_below_k,
    close_cycle,
    csv_rows,
    make_cycle,
    make_hr,
    make_member,
    make_questionnaire,
    submit_levels,
)

# --- the pure measures ---------------------------------------------------------------------

DIMENSIONS, PER_DIMENSION = 10, 4  # the default questionnaire's shape: 40 statements


def items(values, per_dimension=PER_DIMENSION):
    """Items in questionnaire order; the last of every dimension is reverse-keyed."""
    return [
        Item(
            dimension=f"d{i // per_dimension}",
            value=value,
            reverse_keyed=i % per_dimension == per_dimension - 1,
        )
        for i, value in enumerate(values)
    ]


def attentive(levels=(4, 2, 5, 3, 4, 2, 3, 4, 5, 2)):
    """Answers of someone who reads: near their level, the reverse item turned round."""
    noise = [(0, 1, 0), (-1, 0, 0), (0, -1, 0), (1, 0, -1), (0, 0, 1)]
    values = []
    for d, level in enumerate(levels):
        for step in noise[d % len(noise)]:
            values.append(min(5, max(1, level + step)))
        values.append(6 - level)
    return values


def check(values, seconds=600.0, **options):
    return indicators(items(values, **options), scale_min=1, scale_max=5, seconds=seconds)


def test_an_attentive_person_raises_no_flag():
    result = check(attentive())
    assert result.flags == () and not result.careless
    assert result.longest_run < long_run_threshold(40)
    assert result.reverse_inconsistency == 0.0
    assert not result.all_alike and result.seconds_to_submit == 600


@pytest.mark.parametrize(
    ("values", "run"),
    [
        ([], 0),
        ([3], 1),
        ([1, 2, 3, 4, 5], 1),
        ([2, 2, 3, 3, 3, 1], 3),
        ([4, 4, 4, 4], 4),
        ([5, 1, 1, 5, 5, 5, 5, 2], 4),
    ],
)
def test_longest_run_counts_identical_answers_in_a_row(values, run):
    assert longest_run(values) == run


@pytest.mark.parametrize(("n", "threshold"), [(40, 10), (100, 10), (12, 9), (8, 6), (4, 3)])
def test_a_long_run_is_ten_answers_or_three_quarters_of_a_short_questionnaire(n, threshold):
    assert long_run_threshold(n) == threshold


def test_a_straight_liner_is_flagged():
    """Twelve 3s in a row through otherwise attentive answers."""
    values = attentive()
    values[8:20] = [3] * 12
    result = check(values)
    assert result.longest_run == 12
    assert Flag.STRAIGHT_LINING in result.flags and Flag.ALL_ALIKE not in result.flags


def test_a_run_just_below_the_threshold_is_not_straight_lining():
    values = attentive()
    values[8:17] = [3] * 9
    values[17] = 1
    assert check(values).longest_run == 9
    assert Flag.STRAIGHT_LINING not in check(values).flags


def test_answering_everything_alike_is_flagged():
    neutral = check([3] * 40)
    assert neutral.all_alike and neutral.longest_run == 40
    # All 3s agree with nothing, so they contradict nothing either.
    assert neutral.flags == (Flag.ALL_ALIKE, Flag.STRAIGHT_LINING)
    agreeing = check([4] * 40)
    assert agreeing.flags == (Flag.ALL_ALIKE, Flag.STRAIGHT_LINING, Flag.CONTRADICTORY)
    assert agreeing.reverse_inconsistency == 1.0


def test_a_twenty_second_submission_of_forty_items_is_too_fast():
    result = check(attentive(), seconds=20.4)
    assert result.seconds_to_submit == 20
    assert result.flags == (Flag.TOO_FAST,)


@pytest.mark.parametrize(("seconds", "fast"), [(79.9, True), (80.0, False), (0.0, True)])
def test_too_fast_means_under_two_seconds_per_statement(seconds, fast):
    assert (Flag.TOO_FAST in check(attentive(), seconds=seconds).flags) is fast


def test_time_is_whole_seconds_never_negative_and_may_be_unknown():
    assert check(attentive(), seconds=-5).seconds_to_submit == 0
    unknown = check(attentive(), seconds=None)
    assert unknown.seconds_to_submit is None and Flag.TOO_FAST not in unknown.flags


def test_a_contradictory_reverse_pair_contradicts_its_dimension():
    """Agreeing with a statement and with its opposite: 4 and 4 on a 1-5 scale."""
    result = check([4, 4], per_dimension=2)
    assert result.reverse_inconsistency == 1.0
    assert Flag.CONTRADICTORY in result.flags
    assert check([4, 2], per_dimension=2).reverse_inconsistency == 0.0
    # One point apart after turning round (4 and 3): a wobble, not a contradiction.
    assert check([4, 3], per_dimension=2).reverse_inconsistency == 0.0


def contradict(values, dimension):
    """Agree (or disagree) with a dimension's reverse-keyed item as with its others."""
    first = dimension * PER_DIMENSION
    forward = values[first : first + PER_DIMENSION - 1]
    values[first + PER_DIMENSION - 1] = 5 if sum(forward) / len(forward) >= 3 else 1


def test_half_the_dimensions_contradicting_is_flagged_and_fewer_is_not():
    values = attentive()
    for dimension in range(4):
        contradict(values, dimension)
    four = check(values)
    assert four.reverse_inconsistency == pytest.approx(0.4)
    assert four.flags == ()
    contradict(values, 9)
    five = check(values)
    assert five.reverse_inconsistency == pytest.approx(0.5)
    assert five.flags == (Flag.CONTRADICTORY,)


def test_the_contradiction_gap_is_half_the_scale_on_any_scale():
    seven = [Item("d", 6), Item("d", 5, reverse_keyed=True)]  # 6 vs 8 - 5 = 3: 3 of 6
    assert indicators(seven, scale_min=1, scale_max=7, seconds=60).reverse_inconsistency == 1.0
    near = [Item("d", 6), Item("d", 4, reverse_keyed=True)]  # 6 vs 4: 2 of 6
    assert indicators(near, scale_min=1, scale_max=7, seconds=60).reverse_inconsistency == 0.0


def test_without_reverse_keyed_items_consistency_is_unknown():
    plain = [Item("d0", 4), Item("d0", 2), Item("d1", 4)]
    result = indicators(plain, scale_min=1, scale_max=5, seconds=60)
    assert result.reverse_inconsistency is None and Flag.CONTRADICTORY not in result.flags


def test_a_value_outside_the_scale_is_refused():
    with pytest.raises(ValueError, match="outside the scale"):
        check([6, 2], per_dimension=2)


def test_stored_flags_read_back_as_labels_in_a_fixed_order():
    stored = carelessness.stored_flags((Flag.TOO_FAST, Flag.ALL_ALIKE))
    assert stored == "too_fast all_alike"
    assert carelessness.flag_labels(stored) == [
        carelessness.FLAG_LABELS[Flag.ALL_ALIKE],
        carelessness.FLAG_LABELS[Flag.TOO_FAST],
    ]
    assert carelessness.flag_labels("") == []


def test_no_flag_code_is_part_of_another():
    """The admin filters a flag with a text match on the stored codes."""
    codes = list(carelessness.FLAG_LABELS)
    assert not any(a != b and a in b for a in codes for b in codes)


# --- stored at submission -------------------------------------------------------------------


@pytest.fixture
def forty(db):
    """An open cycle on a questionnaire of 40 statements (10 dimensions of 4)."""
    return make_cycle(make_questionnaire(per_dimension=4, dimensions=5, name="Forty"))


def test_a_draft_has_no_indicators(cycle, alice):
    services.save_draft(user=alice, cycle=cycle, answers=all_answers(cycle, 4))
    response = Response.objects.get()
    assert response.longest_run is None and response.seconds_to_submit is None
    assert response.reverse_inconsistency is None and response.flags == ""


def test_submission_times_from_the_first_saved_answers(forty, alice):
    """The draft's start is kept: the submission's upsert reads it back, not resets it."""
    answers = answers_for(forty, 4, 2)
    first = dict(list(answers.items())[:8])
    services.save_draft(user=alice, cycle=forty, answers=first)
    Response.objects.update(started_at=timezone.now() - timedelta(minutes=10))
    outcome = services.submit_response(user=alice, cycle=forty, answers=answers)
    assert outcome.submitted
    stored = Response.objects.get()
    assert 600 <= stored.seconds_to_submit <= 660
    assert outcome.response.seconds_to_submit == stored.seconds_to_submit
    assert stored.longest_run == 4  # the last leadership "2" and three management "2"s
    assert stored.reverse_inconsistency == 0.0
    assert stored.flags == ""


def test_submitting_everything_at_once_and_alike_stores_the_flags(forty, alice):
    services.submit_response(user=alice, cycle=forty, answers=all_answers(forty, 5))
    stored = Response.objects.get()
    assert stored.longest_run == 40 and stored.seconds_to_submit == 0
    assert stored.reverse_inconsistency == 1.0
    assert stored.flags == "all_alike straight_lining too_fast contradictory"


def test_a_recorded_twenty_second_submission_is_flagged_too_fast(forty, alice):
    """Seeding goes through the same code as a person's own submission."""
    submitted_at = timezone.now()
    response = services.record_response(
        user=alice,
        cycle=forty,
        answers=answers_for(forty, 4, 2),
        started_at=submitted_at - timedelta(seconds=20),
        submitted_at=submitted_at,
    )
    stored = Response.objects.get(pk=response.pk)
    assert stored.seconds_to_submit == 20 and stored.flags == "too_fast"
    assert (stored.longest_run, stored.reverse_inconsistency) == (4, 0.0)


def test_the_indicators_ride_on_the_update_that_submits(forty, alice):
    """No extra statement: the flags are written by the guarded UPDATE itself."""
    services.save_draft(user=alice, cycle=forty, answers={})
    with CaptureQueriesContext(connection) as ctx:
        services.submit_response(user=alice, cycle=forty, answers=all_answers(forty, 3))
    updates = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith('UPDATE "assessments_response"')
    ]
    assert len(updates) == 1
    for column in ("status", "longest_run", "seconds_to_submit", "flags"):
        assert f'"{column}"' in updates[0]


# --- who sees them --------------------------------------------------------------------------


LABELS = list(carelessness.FLAG_LABELS.values())


@pytest.fixture
def flagged(forty, alice):
    """Alice's submission: every answer alike, at once (so all four flags)."""
    services.submit_response(user=alice, cycle=forty, answers=all_answers(forty, 5))
    return Response.objects.get(respondent=alice)


def test_the_admin_shows_a_response_flags_and_indicators(client, staff, flagged):
    client.force_login(staff)
    html = client.get(
        reverse("admin:assessments_response_change", args=[flagged.pk])
    ).content.decode()
    for label in LABELS:
        assert label in html
    assert "Longest run of one answer" in html and "Seconds from first answer" in html


def test_the_admin_filters_responses_flagged_as_careless(client, staff, flagged, forty, bob):
    services.record_response(
        user=bob,
        cycle=forty,
        answers=answers_for(forty, 4, 2),
        started_at=forty.opens_at,
        submitted_at=timezone.now(),
    )
    client.force_login(staff)
    url = reverse("admin:assessments_response_changelist")

    def listed(query):
        page = client.get(f"{url}?{query}")
        assert page.status_code == 200
        return {r.respondent.username for r in page.context["cl"].result_list}

    assert listed("careless=yes") == {"alice"}
    assert listed("careless=too_fast") == {"alice"}
    assert listed("careless=no") == {"bob"}
    assert listed("") == {"alice", "bob"}
    assert "flagged as careless" in client.get(url).content.decode()


def test_hr_sees_the_careless_counts_on_a_publication(client, helga, flagged, forty):
    close_cycle(forty)
    publication = services.publish_cycle(cycle=forty)
    client.force_login(helga)
    page = client.get(reverse("admin:assessments_publication_change", args=[publication.pk]))
    assert page.status_code == 200
    assert "Careless counted" in page.content.decode()


def test_hr_lists_who_was_flagged_but_never_their_answers_or_scores(
    client, helga, flagged, forty, bob
):
    services.record_response(
        user=bob,
        cycle=forty,
        answers=answers_for(forty, 4, 2),
        started_at=forty.opens_at,
        submitted_at=timezone.now(),
    )
    client.force_login(helga)
    page = client.get(reverse("admin:assessments_flaggedresponse_changelist"))
    assert page.status_code == 200
    assert [r.respondent.username for r in page.context["cl"].result_list] == ["alice"]
    detail = client.get(reverse("admin:assessments_flaggedresponse_change", args=[flagged.pk]))
    html = detail.content.decode()
    assert detail.status_code == 200 and LABELS[0] in html
    assert "Leadership score" not in html and "Answers" not in html
    # The response itself, with its answers and scores, stays closed to HR.
    closed = client.get(reverse("admin:assessments_response_change", args=[flagged.pk]))
    assert closed.status_code == 403


def test_the_cycle_admin_offers_the_setting(client, staff, cycle):
    client.force_login(staff)
    html = client.get(reverse("admin:assessments_cycle_change", args=[cycle.pk])).content.decode()
    assert 'name="leave_out_careless"' in html
    assert "Leave responses flagged as careless out of published figures" in html


def test_the_employee_never_sees_their_flags(client, alice, flagged, forty):
    client.force_login(alice)
    pages = [
        client.get(reverse("assessments:home")),
        client.get(reverse("assessments:result-detail", args=[forty.pk])),
    ]
    export = client.get(reverse("assessments:result-export", args=[forty.pk]))
    assert all(p.status_code == 200 for p in [*pages, export])
    texts = [p.content.decode() for p in pages] + [
        " ".join(" ".join(row) for row in csv_rows(export.content))
    ]
    for text in texts:
        assert "careless" not in text.lower() and "flag" not in text.lower()
        for label in LABELS:
            assert label not in text
        for code in carelessness.FLAG_LABELS:
            assert code not in text


# --- publishing ---------------------------------------------------------------------------

MEMBER = Membership.Role.MEMBER
# Levels per dimension of people who read the statements (no flag); level 3 everywhere
# answers every statement "3": all alike.
READERS = [(5, 5, 1, 1), (4, 4, 2, 2), (3, 3, 2, 4), (1, 3, 5, 5), (2, 4, 4, 2), (4, 2, 1, 5)]
ALIKE = (3, 3, 3, 3)


def published_sets(cycle):
    """{(group, step): respondents counted in it}, rebuilt from the rows."""
    teams_at = {p.step: set(p.teams) for p in Publication.objects.filter(cycle=cycle)}
    snapshot = defaultdict(set)
    for response_id, team_id in TeamSnapshot.objects.filter(cycle=cycle).values_list(
        "response_id", "team_id"
    ):
        snapshot[response_id].add(team_id)
    counted = list(
        Response.objects.filter(cycle=cycle, published_step__isnull=False).values_list(
            "pk", "respondent_id", "published_step"
        )
    )
    sets = {}
    for step in teams_at:
        sets[("org", step)] = {r for _, r, s in counted if s <= step}
        for pk, respondent, s in counted:
            if s <= step:
                for team in snapshot[pk] & teams_at[s]:
                    sets.setdefault((team, step), set()).add(respondent)
    return {name: people for name, people in sets.items() if people}


@pytest.fixture
def two_teams(questionnaire):
    """A closed cycle: Alpha, five readers and two all-alike; Beta, six readers and one."""
    cycle = make_cycle(questionnaire, open_=False)
    alpha, beta = Team.objects.create(name="Alpha"), Team.objects.create(name="Beta")
    for i, levels in enumerate([*READERS[:5], ALIKE, ALIKE]):
        submit_levels(make_member(f"a{i}", alpha), cycle, levels)
    for i, levels in enumerate([*READERS, ALIKE]):
        submit_levels(make_member(f"b{i}", beta), cycle, levels)
    careless = set(Response.objects.exclude(flags="").values_list("respondent_id", flat=True))
    assert len(careless) == 3
    return cycle, alpha, beta, careless


def test_by_default_flagged_responses_are_counted_and_reported(two_teams):
    cycle, alpha, beta, careless = two_teams
    publication = services.publish_cycle(cycle=cycle)
    assert (publication.submitted, publication.counted) == (14, 14)
    assert (publication.careless_counted, publication.careless_left_out) == (3, 0)
    assert PublishedGroup.objects.get(publication=publication, team=alpha).n == 7
    sets = published_sets(cycle)
    assert careless <= sets[("org", 1)]
    assert_no_group_below_k(sets, viewers=services.viewer_ids(), k=cycle.k)


def test_a_cycle_can_leave_flagged_responses_out_of_every_figure(two_teams):
    cycle, alpha, beta, careless = two_teams
    Cycle.objects.filter(pk=cycle.pk).update(leave_out_careless=True)
    cycle.refresh_from_db()
    publication = services.publish_cycle(cycle=cycle)
    assert (publication.submitted, publication.counted) == (14, 11)
    assert (publication.careless_counted, publication.careless_left_out) == (0, 3)
    groups = {g.team_id: g for g in publication.groups.all()}
    assert (groups[alpha.pk].n, groups[beta.pk].n, groups[None].n) == (5, 6, 11)
    # Alpha's two are still among who submitted: the response rate is not changed.
    assert groups[alpha.pk].submitted == 7
    assert not Response.objects.exclude(flags="").filter(published_step__isnull=False).exists()
    readers = sum(sum(((lv - 1) * 25 for lv in levels[:2]), 0) / 2 for levels in READERS[:5])
    assert groups[alpha.pk].leadership_sum == pytest.approx(readers)
    sets = published_sets(cycle)
    assert not careless & set().union(*sets.values())
    assert_no_group_below_k(sets, viewers=services.viewer_ids(), k=cycle.k)


def test_leaving_flagged_responses_out_never_publishes_a_group_below_k(questionnaire):
    """Alpha keeps four readers once its two flagged are out: privacy leaves them out too."""
    cycle = make_cycle(questionnaire, open_=False)
    Cycle.objects.filter(pk=cycle.pk).update(leave_out_careless=True)
    cycle.refresh_from_db()
    alpha, beta = Team.objects.create(name="Alpha"), Team.objects.create(name="Beta")
    for i, levels in enumerate([*READERS[:4], ALIKE, ALIKE]):
        submit_levels(make_member(f"a{i}", alpha), cycle, levels)
    for i, levels in enumerate(READERS[:5]):
        submit_levels(make_member(f"b{i}", beta), cycle, levels)
    publication = services.publish_cycle(cycle=cycle)
    assert (publication.counted, publication.careless_left_out) == (5, 2)
    assert publication.teams == [beta.pk]
    groups = {g.team_id: g.n for g in publication.groups.all()}
    assert groups == {alpha.pk: 0, beta.pk: 5, None: 5}
    assert_no_group_below_k(published_sets(cycle), viewers=services.viewer_ids(), k=cycle.k)


@pytest.fixture
def live(questionnaire, monkeypatch):
    """An open cycle shown while open: five readers and five all-alike in one team.

    Returns the cycle and a list that records every publishing attempt of a page read.
    """
    cycle = make_cycle(questionnaire)
    Cycle.objects.filter(pk=cycle.pk).update(show_while_open=True)
    team = Team.objects.create(name="Live")
    people = [make_member(f"m{i}", team) for i in range(10)]
    for person, levels in zip(people, [*READERS[:5], *[ALIKE] * 5], strict=True):
        submit_levels(person, cycle, levels)
    attempts = []
    publish = services.publish_cycle

    def counting(*, cycle, now=None):
        attempts.append(cycle.pk)
        return publish(cycle=cycle, now=now)

    monkeypatch.setattr(services, "publish_cycle", counting)
    return cycle, team, attempts


def test_flagged_responses_left_out_never_make_a_live_cycle_retry(live):
    cycle, team, attempts = live
    Cycle.objects.filter(pk=cycle.pk).update(leave_out_careless=True)
    figures.cycle_refs()
    assert attempts == [cycle.pk]
    publication = Publication.objects.get(cycle=cycle)
    assert (publication.counted, publication.careless_left_out) == (5, 5)
    # Five flagged responses still wait, but no step will claim them: reads leave it be.
    figures.cycle_refs()
    figures.cycle_refs()
    assert attempts == [cycle.pk]
    close_cycle(cycle)
    figures.cycle_refs()
    final = Publication.objects.get(cycle=cycle, is_final=True)
    assert (final.counted, final.careless_counted, final.careless_left_out) == (5, 0, 5)


def test_a_live_cycle_that_keeps_flagged_responses_counts_them(live):
    cycle, team, attempts = live
    figures.cycle_refs()
    figures.cycle_refs()
    assert attempts == [cycle.pk]
    publication = Publication.objects.get(cycle=cycle)
    assert (publication.counted, publication.careless_counted) == (10, 5)
    assert publication.careless_left_out == 0
    assert PublishedGroup.objects.get(publication=publication, team=team).n == 10


def test_pages_and_csv_tell_careless_from_privacy_when_leaving_them_out(client, two_teams):
    cycle, alpha, beta, careless = two_teams
    Cycle.objects.filter(pk=cycle.pk).update(leave_out_careless=True)
    client.force_login(make_hr())
    html = " ".join(
        client.get(reverse("assessments:organisation-overview")).content.decode().split()
    )
    assert "3 responses are left out because they were flagged as careless" in html
    assert "people are not counted" not in html  # nobody is left out for privacy here
    team = client.get(reverse("assessments:team-dashboard", args=[alpha.pk])).content.decode()
    assert "this cycle leaves out responses flagged as careless" in " ".join(team.split())
    export = client.get(reverse("assessments:team-export", args=[alpha.pk])).content.decode()
    assert "left out to protect privacy or flagged as careless,2" in export
