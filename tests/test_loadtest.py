"""The load test's own logic: pure helpers, and its seed and data check on the test database.

The load test itself (gunicorn, PostgreSQL stopped mid-run) is run by hand:
``python manage.py loadtest``; see docs/benchmarks.md.
"""

import math
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from assessments import services
from assessments.management.commands.loadtest import (
    CookieJar,
    Sample,
    Window,
    check_database_url,
    csrf_token,
    is_last_page,
    kinds_table,
    markdown_table,
    percentile,
    question_ids,
    read_server_log,
    role_for,
    seed,
    summarise,
    team_sizes,
    verify_data,
)
from assessments.models import Cycle, DimensionScore, Membership, Response

from .conftest import make_questionnaire


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([5.0], 99, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
        (list(range(1, 101)), 50, 50),
        (list(range(1, 101)), 95, 95),
        (list(range(1, 101)), 99, 99),
        ([3.0, 1.0, 2.0], 100, 3.0),
    ],
)
def test_percentile_is_the_nearest_rank(values, p, expected):
    assert percentile(values, p) == expected


def test_percentile_of_nothing_is_nan():
    assert math.isnan(percentile([], 50))


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:5432/lvm_load",
        "postgres://postgres@localhost/lvm_load",
        "postgresql://postgres@[::1]:5432/my_load_db",
    ],
)
def test_a_loopback_load_database_is_accepted(url):
    assert check_database_url(url)["NAME"]


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@10.0.0.1:5432/lvm_load",
        "postgres://lvm@db.internal/lvm_load",
        "postgres:///lvm_load",
        "sqlite:////tmp/lvm_load.sqlite3",
        "postgres://postgres@127.0.0.1:5432/lvm",
    ],
)
def test_a_remote_host_or_a_database_not_named_load_is_refused(url):
    with pytest.raises(CommandError):
        check_database_url(url)


@pytest.mark.parametrize(
    ("employees", "size", "k", "expected"),
    [
        (50, 10, 5, [10, 10, 10, 10, 10]),
        (53, 10, 5, [10, 10, 10, 10, 13]),
        (57, 10, 5, [10, 10, 10, 10, 10, 7]),
        (7, 3, 5, [7]),
        (5, 10, 5, [5]),
    ],
)
def test_teams_are_never_smaller_than_k(employees, size, k, expected):
    assert team_sizes(employees, team_size=size, k=k) == expected


def test_fewer_employees_than_k_is_refused():
    with pytest.raises(CommandError):
        team_sizes(4, team_size=10, k=5)


def test_one_in_ten_tamper_and_one_in_five_submit_twice():
    roles = Counter(role_for(i) for i in range(50))
    assert roles == {"tamper": 5, "replay": 5, "concurrent": 5, "save-later": 5, "plain": 30}


def test_cookie_jar_keeps_cookies_and_drops_expired_ones():
    jar = CookieJar()
    jar.update(
        [
            "csrftoken=abc123; expires=Sat, 27 Nov 2027 10:00:00 GMT; Max-Age=31449600; Path=/",
            "sessionid=s1; HttpOnly; Path=/; Secure",
            'messages="[[\\"__json_message\\"]]:sig"; Path=/',
        ]
    )
    assert "csrftoken=abc123" in jar.header() and "sessionid=s1" in jar.header()
    assert "messages" in jar
    jar.update(['messages=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/'])
    assert "messages" not in jar
    assert "sessionid" in jar


def test_form_helpers_read_the_questionnaire_page():
    html = (
        '<form><input type="hidden" name="csrfmiddlewaretoken" value="tok3n">'
        '<input type="radio" name="q12" value="1"><input type="radio" name="q12" value="2">'
        '<input type="radio" name="q7" value="1">'
        '<button type="submit" name="action" value="submit">Submit</button></form>'
    )
    assert csrf_token(html) == "tok3n"
    assert question_ids(html) == [12, 7]
    assert is_last_page(html)
    assert not is_last_page(html.replace('value="submit"', 'value="next"'))


def _sample(kind, status, started, *, valid=True, ok=None):
    return Sample(
        kind=kind,
        valid=valid,
        status=status,
        started=started,
        ended=started + 0.1,
        ok=(status < 400) if ok is None else ok,
        error_page=status >= 500,
    )


def test_failures_while_the_database_is_down_are_counted_apart():
    window = Window(start=10.0, end=15.0, grace=1.0)
    samples = [
        _sample("save POST", 302, 1.0),
        _sample("save POST", 500, 12.0),  # the database was down: expected
        _sample("save POST", 500, 30.0),  # the database was up: an error
        _sample("tampered POST", 400, 2.0, valid=False, ok=True),
        _sample("tampered POST", 500, 3.0, valid=False, ok=False),
        _sample("probe GET", 200, 16.0),
    ]
    summary = summarise(samples, window=window, recovered_at=16.1, start_command_at=14.0)
    assert [s.started for s in summary.valid_errors] == [30.0]
    assert summary.outage_failures == 1
    assert (summary.bad, summary.bad_4xx, summary.bad_5xx) == (2, 1, 1)
    assert summary.outage.failed == 1 and summary.outage.error_pages == 1
    assert summary.outage.recovery == pytest.approx(1.1)
    table = markdown_table(kinds_table(summary))
    assert "| save POST | 2 |" in table and "| tampered POST | 2 |" in table


def test_server_log_names_the_last_exception_of_each_500():
    log = (
        "[2026-11-28 10:27:11 +0000] [1] [INFO] Booting worker with pid: 2\n"
        "2026-11-28 10:27:22,262 ERROR django.request Internal Server Error: /x/\n"
        "Traceback (most recent call last):\n"
        "AttributeError: 'SessionStore' object has no attribute '_session_cache'\n"
        "During handling of the above exception, another exception occurred:\n"
        "django.db.utils.OperationalError: connection failed\n"
        "2026-11-28 10:27:23,000 ERROR django.request Internal Server Error: /y/\n"
        "KeyError: 'boom'\n"
    )
    server = read_server_log(log)
    assert server.boots == 1 and server.server_errors == 2
    assert server.exceptions == {"django.db.utils.OperationalError": 1, "KeyError": 1}
    assert server.other_exceptions == ["KeyError"]


@pytest.mark.django_db
def test_seeded_submissions_pass_the_data_check_and_a_lost_score_fails_it():
    """Teams of at least k, a closed round fully submitted, and the checks on what is stored."""
    questionnaire = make_questionnaire()
    plan = seed(
        using="default",
        questionnaire=questionnaire,
        employees=7,
        team_size=3,
        k=3,
        password="load-pw",
    )
    assert len(plan.employees) == 7 and len(plan.managers) == 2
    members = Counter(Membership.objects.filter(role="member").values_list("team_id", flat=True))
    assert sorted(members.values()) == [3, 4]
    cycle = Cycle.objects.get(pk=plan.cycle_pk)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=plan.employees)}
    questions = services.cycle_questions(cycle)
    sent = {}
    for n, name in enumerate(plan.employees[:4]):
        answers = {q.pk: 1 + (q.pk + n) % 5 for q in questions}
        services.submit_response(user=users[name], cycle=cycle, answers=answers)
        sent[name] = answers
    services.save_draft(user=users[plan.employees[4]], cycle=cycle, answers={questions[0].pk: 3})

    check = verify_data(using="default", cycle_pk=plan.cycle_pk, sent=sent)
    assert check.passed, check.problems
    assert (check.submitted, check.drafts) == (7 + 4, 1)

    response = Response.objects.get(cycle=cycle, respondent=users[plan.employees[0]])
    DimensionScore.objects.filter(response=response).first().delete()
    check = verify_data(using="default", cycle_pk=plan.cycle_pk, sent=sent)
    assert not check.passed
    assert check.half_written == [response.pk]
    assert any(plan.employees[0] in p for p in check.problems)

    check = verify_data(using="default", cycle_pk=plan.cycle_pk, sent={"nobody": {}})
    assert check.problems == ["nobody: 0 responses in the cycle, expected 1"]
