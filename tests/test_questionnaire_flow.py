"""The questionnaire flow, server side: where "Continue" resumes, which pages are complete,
the missing-answers state, "Save for later", and the home page's query count."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.models import Question
from assessments.queries import own

from .conftest import make_cycle, make_questionnaire, make_user

HOME = reverse("assessments:home")


def edit_url(cycle, query=""):
    return reverse("assessments:response-edit", args=[cycle.pk]) + query


def save_url(cycle):
    return reverse("assessments:response-save", args=[cycle.pk])


def answer(user, cycle, questions):
    services.save_draft(user=user, cycle=cycle, answers={q.pk: 3 for q in questions})


def continue_href(html, cycle):
    """The href of the "Continue" link of ``cycle`` on the home page."""
    found = re.search(rf'href="({re.escape(edit_url(cycle))}[^"]*)">Continue<', html)
    return found and found.group(1)


@pytest.fixture
def six_dimensions(db):
    """Three pages of two dimensions, two statements each."""
    return make_cycle(make_questionnaire(per_dimension=2, dimensions=3, name="Six"))


def test_page_of_puts_two_dimensions_on_each_page():
    assert [own.page_of(i) for i in range(5)] == [1, 1, 2, 2, 3]


@pytest.mark.parametrize(
    ("answered", "page"),
    [
        pytest.param(range(0, 11), 3, id="gap_in_the_last_dimension"),
        pytest.param(range(0, 4), 2, id="first_page_complete"),
        pytest.param(range(0, 7), 2, id="gap_in_the_second_page"),
        pytest.param([0, 4, 5, 6, 7], 1, id="gap_on_the_first_page"),
        pytest.param(range(0, 12), 3, id="all_answered_goes_to_submit"),
    ],
)
def test_continue_resumes_at_the_first_page_with_an_unanswered_statement(
    client, alice, six_dimensions, answered, page
):
    """``answered`` are indexes into the questions in page order."""
    questions = services.cycle_questions(six_dimensions)
    answer(alice, six_dimensions, [questions[i] for i in answered])
    client.force_login(alice)
    html = client.get(HOME).content.decode()
    assert continue_href(html, six_dimensions) == edit_url(six_dimensions, f"?page={page}")


def test_resume_page_agrees_with_the_questionnaires_own_pages(alice, six_dimensions):
    """A dimension without active statements shows on no page, so it moves no page."""
    questions = services.cycle_questions(six_dimensions)
    Question.objects.filter(dimension=questions[2].dimension).update(is_active=False)
    questions = services.cycle_questions(six_dimensions)
    answer(alice, six_dimensions, questions[:5])
    (status,) = own.home_page(user=alice).open_cycles
    shown = own.questionnaire_page(
        user=alice, cycle=six_dimensions, page=1, questions=questions, check_missing=True
    )
    assert status.resume_page == shown.missing[0].page == 2


def test_a_cycle_not_started_offers_start_at_the_first_page(client, alice, six_dimensions):
    client.force_login(alice)
    html = client.get(HOME).content.decode()
    assert f'href="{edit_url(six_dimensions)}">Start<' in html


def _page_button(html, number):
    return re.search(rf'value="goto-{number}".*?</button>', html, re.S).group(0)


def test_page_buttons_mark_the_pages_whose_answers_are_all_saved(client, alice, six_dimensions):
    questions = services.cycle_questions(six_dimensions)
    answer(alice, six_dimensions, questions[:4] + questions[8:10])
    client.force_login(alice)
    html = client.get(edit_url(six_dimensions, "?page=2")).content.decode()
    assert '<span class="page-done">' in _page_button(html, 1)
    assert "(complete)" in _page_button(html, 1)
    # The current page carries its marker hidden, for the script to show.
    assert '<span class="page-done" hidden>' in _page_button(html, 2)
    assert '<span class="page-done" hidden>' in _page_button(html, 3)


def test_missing_answers_state_puts_error_in_the_title_and_a_focusable_summary(
    client, alice, six_dimensions
):
    questions = services.cycle_questions(six_dimensions)
    client.force_login(alice)
    data = {f"q{q.pk}": 4 for q in questions[:10]}
    response = client.post(save_url(six_dimensions), {**data, "action": "submit", "page": 3})
    assert response["Location"] == edit_url(six_dimensions, "?page=3&check=1")
    html = client.get(response["Location"]).content.decode()
    assert re.search(r"<title>Error: Current — questionnaire", html)
    assert 'id="missing-summary" tabindex="-1"' in html
    assert "2 statements still need an answer" in html
    assert html.count('<span class="visually-hidden">Error: </span>Please choose') == 2
    assert "js/questionnaire.js" in html


@pytest.mark.parametrize("query", ["?page=1", "?page=3&check=1"])
def test_no_error_in_the_title_without_gaps_to_show(client, alice, six_dimensions, query):
    """Without ``check`` gaps are not errors; with it and nothing missing, nothing to fix."""
    questions = services.cycle_questions(six_dimensions)
    answer(alice, six_dimensions, questions[: 12 if "check" in query else 1])
    client.force_login(alice)
    html = client.get(edit_url(six_dimensions, query)).content.decode()
    assert "<title>Current — questionnaire" in html
    assert "missing-summary" not in html


def test_the_counter_script_is_served_from_our_static_files():
    assert finders.find("js/questionnaire.js")


def test_buttons_come_in_the_order_they_are_shown(client, alice, six_dimensions):
    """Previous, Save for later, the main button: no visual reordering. Enter presses the
    hidden copy of the main button that comes first."""
    client.force_login(alice)
    html = client.get(edit_url(six_dimensions, "?page=2")).content.decode()
    actions = re.findall(r'<button type="submit" name="action" value="(\w+)"', html)
    assert actions == ["next", "previous", "save", "next"]
    assert '<button type="submit" name="action" value="next" hidden></button>' in html
    assert not re.search(r"\border-[1-5]\b", html)
    last = client.get(edit_url(six_dimensions, "?page=3")).content.decode()
    assert re.findall(r'<button type="submit" name="action" value="(\w+)"', last) == [
        "submit",
        "previous",
        "save",
        "submit",
    ]


def test_save_for_later_confirms_and_links_home(client, alice, six_dimensions):
    question = services.cycle_questions(six_dimensions)[0]
    client.force_login(alice)
    response = client.post(
        save_url(six_dimensions), {f"q{question.pk}": 2, "action": "save", "page": 1}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == edit_url(six_dimensions, "?page=1")
    assert "Your answers are saved. You can come back at any time until" in html
    assert f'<a href="{HOME}" class="alert-link">Back to my assessments</a>' in html


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(HOME).status_code == 200
    return len(ctx.captured_queries)


def test_home_queries_do_not_grow_with_drafts_cycles_or_statements(client, db):
    """Where to resume is part of the query of the person's responses."""
    small_user, big_user = make_user("small"), make_user("big")
    small = make_cycle(make_questionnaire(per_dimension=2, dimensions=1, name="S"), name="S")
    answer(small_user, small, services.cycle_questions(small)[:1])
    client.force_login(small_user)
    one_small_draft = _home_queries(client)
    for i in range(3):
        cycle = make_cycle(make_questionnaire(per_dimension=5, dimensions=4, name=f"B{i}"))
        answer(big_user, cycle, services.cycle_questions(cycle)[: 7 * (i + 1)])
    client.force_login(big_user)
    html = client.get(HOME).content.decode()
    assert html.count(">Continue<") == 3
    assert _home_queries(client) == one_small_draft
