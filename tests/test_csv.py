"""Every CSV LVM writes is formula-safe, whatever a spreadsheet trims before reading a cell."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from assessments import services
from assessments.csv_export import csv_response, csv_safe, when
from assessments.models import Response

from .conftest import all_answers, csv_rows, make_user

DANGEROUS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    " =1+1",
    "   =1+1",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\u00a0=1+1",  # non-breaking space
    "\u3000=1+1",  # ideographic space
    "\ufeff=1+1",  # byte-order mark
    "\u200b=1+1",  # zero-width space
    "\uff1d1+1",  # full-width =
    "\uff0b1+1",  # full-width +
    "\uff0d1+1",  # full-width -
    "\uff20SUM(A1)",  # full-width @
    " \t \uff1d1+1",
    "\t",
]
HARMLESS = ["Team A", "Vision (leadership)", "a = b", "1+1", "", " plain", "e-mail"]


@pytest.mark.parametrize("cell", DANGEROUS)
def test_a_cell_a_spreadsheet_would_run_is_quoted(cell):
    assert csv_safe([cell]) == ["'" + cell]


@pytest.mark.parametrize("cell", HARMLESS)
def test_ordinary_text_is_left_alone(cell):
    assert csv_safe([cell]) == [cell]


def test_numbers_are_left_alone():
    """Negative figures stay numbers: only text can be a formula."""
    assert csv_safe([-12.5, 0, 3]) == [-12.5, 0, 3]


def test_csv_response_is_an_attachment_with_safe_cells():
    response = csv_response("x.csv", [["name"], [" =HYPERLINK(1)"]])
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert csv_rows(response.content) == [["name"], ["' =HYPERLINK(1)"]]


def test_admin_response_export_quotes_a_hostile_username(client, staff, cycle):
    """The admin's CSV export goes through the same guard as the app's."""
    hostile = make_user(" =cmd|' /C calc'!A0")
    services.submit_response(user=hostile, cycle=cycle, answers=all_answers(cycle))
    client.force_login(staff)
    response = client.post(
        reverse("admin:assessments_response_changelist"),
        {
            "action": "export_csv",
            "_selected_action": list(Response.objects.values_list("pk", flat=True)),
        },
    )
    assert csv_rows(response.content)[1][0] == "' =cmd|' /C calc'!A0"


def test_times_are_in_the_configured_time_zone_to_the_second(settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    moment = datetime(2026, 7, 1, 10, 30, 15, 123456, tzinfo=UTC)
    assert when(moment) == "2026-07-01T16:00:15+05:30"
    assert when(None) == ""


def test_personal_export_shows_the_submission_time_locally_without_microseconds(
    client, settings, alice, cycle
):
    """The CSV says what the result page says: local time, no fraction of a second."""
    settings.TIME_ZONE = "Asia/Kolkata"
    services.submit_response(user=alice, cycle=cycle, answers=all_answers(cycle))
    client.force_login(alice)
    response = client.get(reverse("assessments:result-export", args=[cycle.pk]))
    submitted = next(row[3] for row in csv_rows(response.content) if row[2] == "submitted at")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30", submitted), submitted
