"""The load test's own logic: the driver's checks and report, the seed and the data check.

Locust is never imported here: it patches the process with gevent, which breaks Django's
tests. The locustfile is only loaded by Locust itself, in a subprocess. The load test
itself (gunicorn, PostgreSQL stopped mid-run) is run by hand: ``make loadtest``.
"""

import json
import subprocess
import sys
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import get_commands

from assessments import roles, services
from assessments.models import Cycle, DimensionScore, Membership, Response, TeamSnapshot
from perf import loaddata, loadtest, traffic
from perf.common import ROOT, duration, post_form
from perf.loaddata import DataCheck
from perf.loadtest import (
    Fault,
    KindStats,
    LoadTestError,
    Run,
    ServerLog,
    Window,
    check_database_url,
    kinds_table,
    markdown_table,
    read_locust_stats,
    read_server_log,
    report,
    summarise,
)
from perf.traffic import Outcomes, Plan, Sample

from .conftest import make_questionnaire


def test_the_perf_modules_the_tests_use_do_not_import_locust():
    assert "locust" not in sys.modules and "gevent.monkey" not in sys.modules


def test_the_tools_are_no_longer_management_commands():
    assert not {"bench_dashboards", "loadtest"} & set(get_commands())


def test_locust_finds_the_four_kinds_of_user_in_the_locustfile():
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", "perf/locustfile.py", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = {line.strip() for line in done.stdout.splitlines()}
    assert {"Employee", "Manager", "HR", "Probe"} <= listed


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:5432/lvm_load",
        "postgres://postgres@localhost/lvm_load",
        "postgresql://postgres@[::1]:5432/my_load_db",
    ],
)
def test_a_loopback_load_database_is_accepted(url):
    assert "load" in check_database_url(url)["NAME"]


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@10.0.0.1:5432/lvm_load",
        "postgres://lvm@db.internal/lvm_load",
        "postgres:///lvm_load",
        "sqlite:////tmp/lvm_load.sqlite3",
        "postgres://postgres@127.0.0.1:5432/lvm",
        "not a url",
    ],
)
def test_a_remote_host_or_a_database_not_named_load_is_refused(url):
    with pytest.raises(LoadTestError):
        check_database_url(url)


def test_the_driver_refuses_to_run_on_a_production_database(capsys):
    assert loadtest.main(["--database-url", "postgres://lvm@db.internal/lvm_load"]) == 1
    assert "Refusing database host 'db.internal'" in capsys.readouterr().err


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
    assert loaddata.team_sizes(employees, team_size=size, k=k) == expected


def test_one_in_ten_tamper_and_one_in_five_submit_twice():
    roles_ = Counter(traffic.role_for(i) for i in range(50))
    assert roles_ == {"tamper": 5, "replay": 5, "concurrent": 5, "save-later": 5, "plain": 30}


def test_form_helpers_read_the_questionnaire_page_as_a_browser_would():
    html = (
        '<form method="post" action="/accounts/logout/">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="tok3n"></form>'
        '<form method="post" action="/cycles/4/answers/save/" novalidate>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="tok3n">'
        '<input type="hidden" name="page" value="5"><input type="hidden" name="owner" value="o">'
        '<input type="radio" name="q12" value="1"><input type="radio" name="q12" value="2">'
        '<input type="radio" name="q7" value="1">'
        '<button type="submit" name="action" value="submit">Submit</button></form>'
    )
    assert post_form(html, having="q12") == (
        "/cycles/4/answers/save/",
        {"csrfmiddlewaretoken": "tok3n", "page": "5", "owner": "o"},
    )
    assert post_form(html, having="username") == (None, {})
    assert traffic.question_ids(html) == [12, 7]
    assert traffic.is_last_page(html)
    assert not traffic.is_last_page(html.replace('value="submit"', 'value="next"'))


def test_the_plan_and_the_logs_go_through_the_run_directory(tmp_path):
    plan = Plan(
        cycle_pk=3,
        password="pw",
        employees=["e0", "e1"],
        managers=[("m0", 8)],
        staff="hr",
        probe="probe",
        team_pks=[8],
    )
    plan.save(tmp_path)
    again = Plan.load(tmp_path)
    assert again == plan and again.managers == [("m0", 8)]
    assert again.roles == ["tamper", "replay"] and again.users == 5

    (tmp_path / traffic.OUTCOMES_FILE).write_text(
        json.dumps({"username": "e0", "event": "submitted", "sent": {"12": 3}})
        + "\n"
        + json.dumps({"username": "e0", "event": "finished"})
        + "\n"
        + json.dumps({"username": "e1", "event": "error", "error": "save POST answered 400"})
        + '\n{"username": "e1", "ev'  # cut off when Locust stopped
    )
    outcomes = traffic.read_outcomes(tmp_path / traffic.OUTCOMES_FILE)
    assert outcomes.sent == {"e0": {12: 3}} and outcomes.finished == {"e0"}
    assert outcomes.errors == {"e1": "save POST answered 400"}

    (tmp_path / traffic.REQUESTS_FILE).write_text(
        json.dumps(
            {"kind": "home GET", "valid": True, "status": 200, "started": 1.0, "ended": 1.5}
            | {"ok": True}
        )
        + '\n{"kind": "home'
    )
    (sample,) = traffic.read_samples(tmp_path / traffic.REQUESTS_FILE)
    assert sample.latency == 0.5 and not sample.failed


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


SAMPLES = [
    _sample("save POST", 302, 1.0),
    _sample("save POST", 500, 12.0),  # the database was down: expected
    _sample("save POST", 500, 30.0),  # the database was up: an error
    _sample("tampered POST", 400, 2.0, valid=False, ok=True),
    _sample("tampered POST", 500, 3.0, valid=False, ok=False),
    _sample("probe GET", 200, 16.0),
]


def test_failures_while_the_database_is_down_are_counted_apart():
    window = Window(start=10.0, end=15.0, grace=1.0)
    summary = summarise(SAMPLES, window=window, start_command_at=14.0)
    assert [s.started for s in summary.valid_errors] == [30.0]
    assert summary.outage_failures == 1
    assert (summary.bad, summary.bad_4xx, summary.bad_5xx) == (2, 1, 1)
    assert summary.classes_by_kind["save POST"] == {"3xx": 1, "5xx": 1}
    assert summary.outage.failed == 1 and summary.outage.error_pages == 1
    assert summary.outage.recovery == pytest.approx(1.1)
    assert summary.outage.recovery_from_start == pytest.approx(2.1)
    assert summary.outage.timeline[0] == (-1, 0, 0) and (2, 0, 1) in summary.outage.timeline


LOCUST_STATS = (
    '"Type","Name","Request Count","Failure Count","Median Response Time",'
    '"Average Response Time","Min Response Time","Max Response Time","Average Content Size",'
    '"Requests/s","Failures/s","50%","66%","75%","80%","90%","95%","98%","99%","99.9%",'
    '"99.99%","100%"\n'
    '"POST","tampered POST","2","1","40","45","30","61.2","900","0.1","0.05",'
    '"40","50","50","60","60","60","60","60","60","60","60"\n'
    '"POST","save POST","2","1","300","310","20","620.5","0","0.1","0.05",'
    '"300","600","600","600","600","620","620","620","620","620","620"\n'
    '"GET","results CSV GET","0","0","0","0","0","0","0","0","0",'
    '"N/A","N/A","N/A","N/A","N/A","N/A","N/A","N/A","N/A","N/A","N/A"\n'
    '"","Aggregated","4","2","40","100","20","620.5","500","0.2","0.1",'
    '"40","300","600","600","600","620","620","620","620","620","620"\n'
)


def test_locusts_figures_are_read_back_in_report_order():
    kinds, total = read_locust_stats(LOCUST_STATS)
    assert [k.kind for k in kinds] == ["save POST", "results CSV GET", "tampered POST"]
    assert kinds[0] == KindStats("save POST", 2, 1, 300, 620, 620, 620.5, 0.1)
    assert total.count == 4 and total.rps == 0.2
    summary = summarise(SAMPLES, window=Window(start=10.0, end=15.0))
    table = markdown_table(kinds_table(kinds, summary))
    assert "| save POST | 2 | 300 | 620 | 620 | 620 | 0 | 1 | 0 | 1 |" in table
    assert "| results CSV GET | 0 | – | – | – | 0 |" in table
    assert table.splitlines()[1] == "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |"


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


def _run(**changes):
    plan = Plan(
        cycle_pk=1,
        password="pw",
        employees=["e0", "e1"],
        managers=[("m0", 1)],
        staff="hr",
        probe="probe",
        team_pks=[1],
    )
    fault = Fault(cluster="15/main", port=5432, outage=5.0)
    fault.stop_at, fault.start_command_at, fault.ready_at = 10.0, 14.0, 15.0
    fault.log = ["stopped in 0.20 s", "started in 1.00 s"]
    samples = [
        _sample("save POST", 302, 1.0),
        _sample("save POST", 500, 12.0),
        _sample("tampered POST", 400, 2.0, valid=False, ok=True),
        _sample("probe GET", 200, 16.0),
    ]
    values = {
        "plan": plan,
        "workers": 4,
        "users": 5,
        "spawn_rate": 1.0,
        "seconds": 45,
        "samples": samples,
        "outcomes": Outcomes(sent={"e0": {1: 3}, "e1": {1: 4}}, finished={"e0", "e1"}, errors={}),
        "stats": [KindStats("save POST", 2, 1, 300, 620, 620, 620, 0.1)],
        "total": KindStats("Aggregated", 4, 1, 40, 620, 620, 620, 0.2),
        "locust_errors": [],
        "server": ServerLog(
            boots=4, timeouts=0, server_errors=1, exceptions={"psycopg.OperationalError": 1}
        ),
        "data": DataCheck(
            checked_users=2, problems=[], responses=4, submitted=4, drafts=0, half_written=[]
        ),
        "fault": fault,
    }
    return Run(**(values | changes))


def test_a_clean_run_passes_with_its_figures_and_markdown_tables():
    lines, failures = report(_run(), markdown=True)
    text = "\n".join(lines)
    assert failures == [] and lines[-1] == "PASS: every check passed."
    assert "traffic: 4 requests, 0.2 requests/s" in text
    assert "employees finished: 2 of 2 (2 submitted)" in text
    assert "outage: PostgreSQL down 5.0 s (stopped in 0.20 s, started in 1.00 s)" in text
    assert "recovery: first success 1100 ms after PostgreSQL accepted connections" in text
    assert "| half-written responses | 0 |" in text
    assert "| PostgreSQL down | 5.0 s |" in text


@pytest.mark.parametrize(
    ("changes", "failure"),
    [
        (
            {
                "data": DataCheck(
                    checked_users=2,
                    problems=[],
                    responses=4,
                    submitted=4,
                    drafts=0,
                    half_written=[7],
                )
            },
            "the data check failed",
        ),
        ({"outcomes": Outcomes(sent={}, finished={"e0"}, errors={})}, "e1 did not finish"),
        (
            {"server": ServerLog(boots=5, timeouts=1, server_errors=0, exceptions={})},
            "gunicorn restarted workers (5 boots)",
        ),
        (
            {
                "server": ServerLog(
                    boots=4, timeouts=0, server_errors=1, exceptions={"KeyError": 9}
                )
            },
            "500s not caused by the database: KeyError",
        ),
        ({"locust_errors": ["1 × KeyError('x')"]}, "the locustfile raised 1 × KeyError('x')"),
        ({"samples": [_sample("home GET", 500, 30.0)]}, "1 valid requests failed"),
    ],
)
def test_a_run_fails_when_a_check_fails(changes, failure):
    lines, failures = report(_run(**changes))
    assert failure in failures
    assert f"FAIL: {failure}" in lines and "PASS: every check passed." not in lines


def test_durations_read_as_milliseconds_below_a_second():
    assert (duration(0.0125), duration(2.5), duration(float("nan"))) == ("12.5 ms", "2.50 s", "–")


@pytest.mark.django_db
def test_seeded_submissions_pass_the_data_check_and_a_lost_score_fails_it():
    """Teams of at least k, a closed round recorded by the services, and the checks."""
    questionnaire = make_questionnaire()
    plan = loaddata.seed(
        questionnaire=questionnaire, employees=7, team_size=3, k=3, password="load-pw"
    )
    assert len(plan.employees) == 7 and len(plan.managers) == 2 and plan.users == 11
    members = Counter(Membership.objects.filter(role="member").values_list("team_id", flat=True))
    assert sorted(members.values()) == [3, 4]
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="load-")}
    assert users["load-e000"].check_password("load-pw")
    assert roles.roles(users[plan.staff]).sees_organisation
    past = Cycle.objects.get(name="Load test previous round")
    # Recorded like a submission: every answer scored, each person's team snapshot kept.
    assert TeamSnapshot.objects.filter(cycle=past).count() == 7

    cycle = Cycle.objects.get(pk=plan.cycle_pk)
    questions = services.cycle_questions(cycle)
    sent = {}
    for n, name in enumerate(plan.employees[:4]):
        answers = {q.pk: 1 + (q.pk + n) % 5 for q in questions}
        services.submit_response(user=users[name], cycle=cycle, answers=answers)
        sent[name] = answers
    services.save_draft(user=users[plan.employees[4]], cycle=cycle, answers={questions[0].pk: 3})
    assert loaddata.responses_in(plan.cycle_pk) == 5

    check = loaddata.verify_data(cycle_pk=plan.cycle_pk, sent=sent)
    assert check.passed, check.problems
    assert (check.submitted, check.drafts) == (7 + 4, 1)

    response = Response.objects.get(cycle=cycle, respondent=users[plan.employees[0]])
    DimensionScore.objects.filter(response=response).first().delete()
    check = loaddata.verify_data(cycle_pk=plan.cycle_pk, sent=sent)
    assert not check.passed
    assert check.half_written == [response.pk]
    assert any(plan.employees[0] in p for p in check.problems)

    wrong = {**sent, plan.employees[1]: {q: 6 - v for q, v in sent[plan.employees[1]].items()}}
    check = loaddata.verify_data(cycle_pk=plan.cycle_pk, sent=wrong)
    assert f"{plan.employees[1]}: " in " ".join(check.problems)

    check = loaddata.verify_data(cycle_pk=plan.cycle_pk, sent={"nobody": {}})
    assert check.problems == ["nobody: 0 responses in the cycle, expected 1"]
