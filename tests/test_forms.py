"""The questionnaire form: what a page may post, and where each button leads."""

import pytest
from django.http import QueryDict

from assessments.forms import AnswersForm, ChoosePasswordForm, next_page


def form(query: str, scale=(1, 5)) -> AnswersForm:
    return AnswersForm(QueryDict(query), scale=scale)


def test_answers_are_read_as_question_ids_and_values():
    f = form("q12=4&q7=1&page=2&action=next&owner=x&csrfmiddlewaretoken=t")
    assert f.is_valid()
    assert f.answers == {12: 4, 7: 1}
    assert (f.cleaned_data["action"], f.cleaned_data["page"]) == ("next", 2)


def test_a_statement_left_blank_is_no_answer():
    f = form("q12=&q7=3")
    assert f.is_valid() and f.answers == {7: 3}


def test_without_action_or_page_the_form_saves_on_page_one():
    f = form("q3=2")
    assert f.is_valid()
    assert (f.cleaned_data["action"], f.cleaned_data["page"]) == ("save", 1)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q1=6", "Answers must be between 1 and 5."),
        ("q1=0", "Answers must be between 1 and 5."),
        ("q1=three", "Answers must be between 1 and 5."),
        ("q1=2&q1=3", "The form contained an answer that is not valid."),
        ("qx=2", "The form contained an answer that is not valid."),
        ("q1234567890123456789=2", "The form contained an answer that is not valid."),
        ("q1=2&action=delete", "The form asked for something that is not possible."),
        ("q1=2&page=0", "Ensure this value is greater than or equal to 1."),
    ],
)
def test_tampered_forms_are_refused_with_a_reason(query, message):
    f = form(query)
    assert not f.is_valid()
    assert f.first_error == message


def test_without_a_scale_any_whole_number_is_kept_for_the_service_to_check():
    # After a time-out the cycle is not known yet; the service checks the scale later.
    f = AnswersForm(QueryDict("q1=9"))
    assert f.is_valid() and f.answers == {1: 9}


@pytest.mark.parametrize(
    ("action", "page", "expected"),
    [
        ("save", 3, 3),
        ("next", 3, 4),
        ("previous", 3, 2),
        ("previous", 1, 1),
        ("goto-7", 3, 7),
        ("goto-0", 3, 1),
    ],
)
def test_each_button_leads_to_its_page(action, page, expected):
    assert next_page(action, page) == expected


@pytest.mark.django_db
def test_choosing_a_password_puts_the_cursor_in_it_until_the_summary_takes_over(alice):
    """A fresh form puts the cursor in the first field; one with errors leaves the focus
    to the error summary above it (a page may have one autofocus)."""
    assert "autofocus" in str(ChoosePasswordForm(alice)["new_password1"])
    form = ChoosePasswordForm(alice, {"new_password1": "x-1", "new_password2": "x-2"})
    assert not form.is_valid()
    assert "autofocus" not in form.as_div()
