"""The employee's journey: home, questionnaire (save, resume, submit), own results."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import scoring, services
from assessments.models import Answer, Response

from .conftest import all_answers, make_cycle, make_questionnaire, make_user


def edit_url(cycle, page=None):
    url = reverse("assessments:response-edit", args=[cycle.pk])
    return f"{url}?page={page}" if page else url


def save_url(cycle):
    return reverse("assessments:response-save", args=[cycle.pk])


def result_url(cycle):
    return reverse("assessments:result-detail", args=[cycle.pk])


def post_answers(client, cycle, answers, action="save", page=1, **extra):
    data = {f"q{q}": v for q, v in answers.items()}
    data.update(action=action, page=page, **extra)
    return client.post(save_url(cycle), data)


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice)
    return client


def test_anonymous_visitor_is_sent_to_login(client, cycle):
    response = client.get(edit_url(cycle))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_home_lists_the_open_cycle_with_its_status(logged_in, cycle, alice):
    html = logged_in.get(reverse("assessments:home")).content.decode()
    assert cycle.name in html and "Not started" in html
    services.save_draft(
        user=alice, cycle=cycle, answers=dict(list(all_answers(cycle).items())[:3])
    )
    html = logged_in.get(reverse("assessments:home")).content.decode()
    assert "In progress: 3 of 8 answered" in html
    services.submit_response(user=alice, cycle=cycle, answers=all_answers(cycle))
    html = logged_in.get(reverse("assessments:home")).content.decode()
    assert "Submitted" in html and result_url(cycle) in html


def test_questionnaire_shows_each_item_as_a_fieldset_with_a_legend(logged_in, cycle):
    html = logged_in.get(edit_url(cycle)).content.decode()
    first = cycle.questionnaire.questions.order_by("order").first()
    assert f'<legend class="mb-2">{first.text}</legend>' in html
    assert html.count('type="radio"') == 4 * 5  # two dimensions per page, two items, 5 points
    assert "Strongly agree" in html and "Page 1 of 2" in html


def test_save_and_resume_round_trip(logged_in, cycle, alice):
    answers = all_answers(cycle)
    page_one = dict(list(answers.items())[:4])
    response = post_answers(logged_in, cycle, {q: 2 for q in page_one}, action="next")
    assert response.status_code == 302 and response["Location"].endswith("?page=2")

    # Later, on another device: a fresh client sees every answer given so far.
    other = Client()
    other.force_login(alice)
    html = other.get(edit_url(cycle, page=1)).content.decode()
    for q in page_one:
        assert f'id="q{q}-2" value="2" checked' in html
    assert "4 of 8 answered" in html


def test_submit_with_missing_items_names_them_and_keeps_answers(logged_in, cycle):
    answers = all_answers(cycle)
    questions = list(cycle.questionnaire.questions.order_by("order"))
    given = {q.pk: 5 for q in questions[:5]}
    response = post_answers(logged_in, cycle, given, action="submit", page=2)
    assert response.status_code == 302
    html = logged_in.get(response["Location"]).content.decode()
    assert "3 statements still need an answer" in html
    for q in questions[5:]:
        assert q.text in html
    assert Answer.objects.count() == 5
    assert Response.objects.get().status == "draft"
    assert len(answers) == 8


def test_submitting_shows_the_results_page(logged_in, cycle):
    response = post_answers(logged_in, cycle, all_answers(cycle, 5), action="submit", page=2)
    assert response.status_code == 302 and response["Location"] == result_url(cycle)
    assert Response.objects.get().status == "submitted"


def test_replayed_submit_leaves_one_response_and_no_error(logged_in, cycle):
    answers = all_answers(cycle, 5)
    post_answers(logged_in, cycle, answers, action="submit", page=2)
    replay = post_answers(logged_in, cycle, {q: 1 for q in answers}, action="submit", page=2)
    assert replay.status_code == 302 and replay["Location"] == result_url(cycle)
    assert Response.objects.count() == 1
    assert set(Answer.objects.values_list("value", flat=True)) == {5}


def _answer_to_another_questionnaire(first):
    return {f"q{make_questionnaire(name='Other').questions.first().pk}": 3}


@pytest.mark.parametrize(
    "tampered",
    [
        pytest.param(lambda first: {f"q{first}": 9}, id="value_high"),
        pytest.param(lambda first: {f"q{first}": 0}, id="value_zero"),
        pytest.param(lambda first: {f"q{first}": "lots"}, id="not_a_number"),
        pytest.param(lambda first: {"q987654": 3}, id="unknown_question"),
        pytest.param(_answer_to_another_questionnaire, id="other_questionnaire"),
        pytest.param(lambda first: {"qx1": 3}, id="junk_key"),
    ],
)
def test_tampered_form_is_refused_and_nothing_written(logged_in, cycle, tampered):
    """``tampered`` turns the first question's id into the fields a tamperer posts."""
    data = {"action": "save", "page": 1, **tampered(next(iter(all_answers(cycle))))}
    response = logged_in.post(save_url(cycle), data)
    assert response.status_code == 400
    assert "Answers not accepted" in response.content.decode()
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_missing_csrf_token_is_refused(alice, cycle):
    """Refused on the site's own page, which says why and what to do (a page left open
    across a log-in has an outdated token)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(save_url(cycle), {f"q{q}": 3 for q in all_answers(cycle)})
    assert response.status_code == 403
    html = response.content.decode()
    assert "This page had expired" in html and "Open the page again" in html
    assert "Go to my assessments" in html  # the site's layout, with the way home
    assert not Answer.objects.exists()


def test_a_missing_page_offers_a_visitor_the_log_in_page(client):
    html = client.get("/no-such-page/").content.decode()
    assert "Page not found" in html and ">Log in</a>" in html
    assert "Go to my assessments" not in html


def test_closed_cycle_refuses_answers_with_a_message(logged_in, questionnaire):
    closed = make_cycle(questionnaire, name="Last year", open_=False)
    response = post_answers(logged_in, closed, all_answers(closed), action="submit")
    assert response.status_code == 302
    page = logged_in.get(response["Location"]).content.decode()
    assert "Last year" in page and "no longer" in page
    assert not Answer.objects.exists()
    assert logged_in.get(edit_url(closed)).status_code == 302


def test_unknown_and_future_cycles_answer_404(logged_in, questionnaire):
    future = make_cycle(questionnaire, days_ago=-3)
    assert logged_in.get(edit_url(future)).status_code == 404
    assert logged_in.get(reverse("assessments:response-edit", args=[99999])).status_code == 404


def _owner_of_form(client, user, cycle):
    """The signed owner field of the questionnaire page as served to ``user``."""
    client.force_login(user)
    html = client.get(edit_url(cycle)).content.decode()
    client.logout()  # the session expires while the page is open
    return re.search(r'name="owner" value="([^"]+)"', html).group(1)


def test_expired_session_keeps_the_answers_after_logging_in_again(client, alice, cycle):
    owner = _owner_of_form(client, alice, cycle)
    answers = dict(list(all_answers(cycle, 2).items())[:2])
    response = post_answers(client, cycle, answers, action="next", owner=owner)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(alice)
    html = client.get(edit_url(cycle)).content.decode()
    assert "Your answers from before the time-out are saved" in html
    assert Answer.objects.filter(response__respondent=alice).count() == 2


def test_answers_kept_at_a_time_out_never_reach_the_next_person(client, alice, charlie, cycle):
    """Someone else logs in on the same browser: they get an empty draft and no hint."""
    owner = _owner_of_form(client, alice, cycle)
    answers = dict(list(all_answers(cycle, 2).items())[:8])
    post_answers(client, cycle, answers, action="next", owner=owner)
    client.force_login(charlie)
    html = client.get(edit_url(cycle)).content.decode()
    assert "time-out" not in html and "checked" not in html
    assert not Answer.objects.exists()
    client.force_login(alice)  # the session's pending answers are gone for good
    assert "time-out" not in client.get(edit_url(cycle)).content.decode()


@pytest.mark.parametrize("owner", ["", "forged", "1:abc:def"])
def test_answers_without_a_valid_owner_are_not_kept(client, alice, cycle, owner):
    answers = dict(list(all_answers(cycle, 2).items())[:2])
    post_answers(client, cycle, answers, action="next", owner=owner)
    client.force_login(alice)
    client.get(edit_url(cycle))
    assert not Answer.objects.exists()


def test_results_page_shows_the_scores_of_the_scoring_module(logged_in, alice, cycle):
    questions = list(cycle.questionnaire.questions.select_related("dimension"))
    answers = {q.pk: (5 if q.dimension.axis == "leadership" else 2) for q in questions}
    services.submit_response(user=alice, cycle=cycle, answers=answers)
    expected = scoring.score(
        [scoring.Item(str(q.dimension_id), answers[q.pk], q.reverse_keyed) for q in questions],
        axis_of={str(q.dimension_id): q.dimension.axis for q in questions},
        scale_min=1,
        scale_max=5,
    )
    html = logged_in.get(result_url(cycle)).content.decode()
    assert f'<div class="score-figure text-lead">{expected.leadership:.0f}</div>' in html
    assert f'<div class="score-figure text-mgmt">{expected.management:.0f}</div>' in html
    assert expected.profile.label in html
    assert "<svg" in html and "Try this:" in html


def test_results_compare_with_the_previous_cycle(logged_in, alice, questionnaire):
    past = make_cycle(questionnaire, name="Spring", open_=False)
    now = make_cycle(questionnaire, name="Autumn")
    services.record_response(
        user=alice,
        cycle=past,
        answers=all_answers(past, 3),
        started_at=past.opens_at,
        submitted_at=past.closes_at,
    )
    services.submit_response(user=alice, cycle=now, answers=all_answers(now, 5))
    html = logged_in.get(result_url(now)).content.decode()
    assert "Since Spring" in html


def test_someone_elses_results_answer_404(client, alice, charlie, cycle):
    services.submit_response(user=alice, cycle=cycle, answers=all_answers(cycle))
    client.force_login(charlie)
    assert client.get(result_url(cycle)).status_code == 404
    assert client.get(reverse("assessments:result-export", args=[cycle.pk])).status_code == 404


def test_own_data_download_contains_answers_and_scores(logged_in, alice, cycle):
    services.submit_response(user=alice, cycle=cycle, answers=all_answers(cycle, 4))
    response = logged_in.get(reverse("assessments:result-export", args=[cycle.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    first = cycle.questionnaire.questions.first()
    assert first.text in body and "leadership score" in body


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_page_queries_do_not_grow_with_the_number_of_questions(client, alice):
    small = make_cycle(make_questionnaire(per_dimension=2, dimensions=1, name="S"), name="S")
    big = make_cycle(make_questionnaire(per_dimension=10, dimensions=5, name="B"), name="B")
    client.force_login(alice)
    for c in (small, big):
        services.save_draft(user=alice, cycle=c, answers=dict(list(all_answers(c).items())[:2]))
    assert _count_queries(client, edit_url(small)) == _count_queries(client, edit_url(big))


def test_results_queries_do_not_grow_with_the_number_of_questions(client, db):
    counts = []
    for name, per_dimension, dimensions in (("S", 2, 1), ("B", 10, 5)):
        user = make_user(f"user-{name}")
        cycle = make_cycle(
            make_questionnaire(per_dimension=per_dimension, dimensions=dimensions, name=name)
        )
        services.submit_response(user=user, cycle=cycle, answers=all_answers(cycle))
        client.force_login(user)
        counts.append(_count_queries(client, result_url(cycle)))
    assert counts[0] == counts[1]


def test_many_missing_items_are_summarised_per_page(client, alice):
    cycle = make_cycle(make_questionnaire(per_dimension=3, dimensions=2, name="Long"))
    client.force_login(alice)
    response = post_answers(client, cycle, {}, action="submit", page=2)
    html = client.get(response["Location"]).content.decode()
    assert "12 statements still need an answer" in html
    assert "Page 1</a>: 6 unanswered" in html and "Page 2</a>: 6 unanswered" in html


def test_submitting_the_whole_form_takes_at_most_ten_queries(client, db):
    """A fresh person submits every answer in one request (the benchmark's case).

    Eight statements, plus BEGIN and COMMIT on PostgreSQL: ten in all.
    """
    user = make_user("fresh")
    cycle = make_cycle(make_questionnaire(per_dimension=4, dimensions=5, name="Forty"))
    client.force_login(user)
    data = {f"q{q}": v for q, v in all_answers(cycle).items()}
    assert len(data) == 40
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(save_url(cycle), {**data, "action": "submit", "page": 5})
    assert response.status_code == 302
    # Savepoints stand for the transaction's BEGIN/COMMIT, which Django does not log.
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) <= 8, [s[:60] for s in sql]
