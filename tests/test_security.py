"""Production hardening: headers, log-in throttling, logging, escaping, personal data."""

import logging

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Answer, DimensionScore, Response, TeamSnapshot
from assessments.queries.organisation import organisation_overview
from assessments.queries.team import team_dashboard
from assessments.security import client_ip

from .conftest import all_answers, answers_for, close_cycle, csv_rows, make_member

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def submitted(alice, cycle):
    services.submit_response(user=alice, cycle=cycle, answers=all_answers(cycle))
    return cycle


@pytest.mark.parametrize("name", ["result-detail", "result-export", "response-edit"])
def test_personal_pages_are_never_cached(client, alice, submitted, name):
    client.force_login(alice)
    response = client.get(reverse(f"assessments:{name}", args=[submitted.pk]))
    assert "no-store" in response["Cache-Control"]


def test_every_page_sends_a_strict_content_security_policy(client, alice, cycle):
    client.force_login(alice)
    policy = client.get(reverse("assessments:home"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def _login(client, username, password, ip):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_repeated_wrong_passwords_pause_that_address_only(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert _login(client, "alice", "wrong", "10.0.0.66").status_code == 200
    assert _login(client, "alice", "wrong", "10.0.0.66").status_code == 429
    locked = _login(client, "alice", "pw-alice", "10.0.0.66")
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    # A stranger's guesses do not lock Alice out from her own desk.
    assert _login(client, "alice", "pw-alice", "10.0.0.7").status_code == 302


def test_failed_logins_are_logged(client, alice, caplog):
    with caplog.at_level(logging.WARNING, logger="lvm.security"):
        _login(client, "alice", "wrong", "10.0.0.8")
    assert "failed login for username='alice'" in caplog.text


def test_refused_requests_are_logged(client, alice, charlie, submitted, caplog):
    client.force_login(charlie)
    with caplog.at_level(logging.INFO, logger="lvm.security"):
        client.get(reverse("assessments:result-detail", args=[submitted.pk]))
    assert "refused GET" in caplog.text and "user=charlie" in caplog.text


def _make_hostile(cycle, team):
    question = cycle.questionnaire.questions.order_by("order").first()
    question.text = HOSTILE
    question.save()
    dimension = question.dimension
    dimension.name = HOSTILE
    dimension.description = HOSTILE
    dimension.development_tip = HOSTILE
    dimension.save()
    team.name = HOSTILE
    team.save()


def _assert_escaped(html):
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_hostile_admin_text_is_shown_as_text_on_employee_pages(client, alice, alpha, cycle):
    _make_hostile(cycle, alpha)
    client.force_login(alice)
    _assert_escaped(
        client.get(reverse("assessments:response-edit", args=[cycle.pk])).content.decode()
    )
    services.submit_response(user=alice, cycle=cycle, answers=all_answers(cycle, 1))
    _assert_escaped(
        client.get(reverse("assessments:result-detail", args=[cycle.pk])).content.decode()
    )


def test_hostile_text_is_inert_in_the_personal_csv(client, alice, cycle):
    question = cycle.questionnaire.questions.first()
    question.text = '=HYPERLINK("http://evil.example","click")'
    question.save()
    services.submit_response(user=alice, cycle=cycle, answers=all_answers(cycle))
    client.force_login(alice)
    body = client.get(reverse("assessments:result-export", args=[cycle.pk])).content
    cells = [cell for row in csv_rows(body) for cell in row]
    assert '\'=HYPERLINK("http://evil.example","click")' in cells
    assert not any(cell.startswith("=") for cell in cells)


def test_admin_can_erase_a_persons_responses(client, staff, alice, submitted):
    client.force_login(staff)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "erase_responses", "_selected_action": [alice.pk]},
        follow=True,
    )
    assert "Erased 1 response" in response.content.decode()
    assert not Response.objects.filter(respondent=alice).exists()
    assert not Answer.objects.exists() and not DimensionScore.objects.exists()


def test_erasing_a_person_keeps_team_and_organisation_figures_consistent(alpha, cycle):
    """Erasure deletes the answers, scores and snapshot; a closed cycle's figures stay."""
    people = [make_member(f"m{i}", alpha) for i in range(6)]
    for i, person in enumerate(people):
        level = 1 + i % 5  # every dimension scores (level - 1) * 25
        services.submit_response(
            user=person, cycle=cycle, answers=answers_for(cycle, level, level)
        )
    close_cycle(cycle)
    before = team_dashboard(team=alpha, cycle_pk=cycle.pk)  # publishes
    org_before = organisation_overview(cycle_pk=cycle.pk).org
    # Leadership 0, 25, 50, 75, 100 and 0: (0 + 25 + 50 + 75 + 100 + 0) / 6 = 41.7.
    assert before.figures.axes.leadership == 41.7 and org_before.axes.leadership == 41.7
    assert (before.submitted, before.counted, org_before.counted) == (6, 6, 6)

    erased = people[0]  # leadership 0: without them the mean would be 50
    assert services.delete_responses_of(user=erased) == 1
    assert not Response.objects.filter(respondent=erased).exists()
    assert not Answer.objects.filter(response__respondent=erased).exists()
    assert not DimensionScore.objects.filter(response__respondent=erased).exists()
    assert not TeamSnapshot.objects.filter(response__respondent=erased).exists()

    after = team_dashboard(team=alpha, cycle_pk=cycle.pk)
    org_after = organisation_overview(cycle_pk=cycle.pk).org
    assert after.figures == before.figures and after.submitted == 6
    assert org_after == org_before


HUGE = "9" * 25


@pytest.mark.parametrize(
    "url",
    [
        f"/cycles/{HUGE}/answers/",
        f"/cycles/{HUGE}/result/",
        f"/cycles/{HUGE}/result.csv",
        f"/teams/{HUGE}/",
        f"/teams/{HUGE}/export.csv",
        f"/organisation/?cycle={HUGE}",
        "/organisation/?cycle=abc",
    ],
)
def test_out_of_range_and_malformed_ids_answer_404_not_500(client, staff, url):
    client.force_login(staff)
    assert client.get(url).status_code == 404


def test_out_of_range_page_and_question_ids_are_handled(client, alice, cycle):
    client.force_login(alice)
    url = reverse("assessments:response-edit", args=[cycle.pk])
    assert client.get(f"{url}?page={HUGE}").status_code == 200
    save = reverse("assessments:response-save", args=[cycle.pk])
    assert client.post(save, {f"q{HUGE}": 3, "action": "save"}).status_code == 400
    assert not Response.objects.exists()


def test_behind_a_proxy_throttling_pauses_the_client_not_the_proxy(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.LVM_PROXY_COUNT = 1

    def login(password, client_address, spoofed=""):
        forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
        return client.post(
            reverse("login"),
            {"username": "alice", "password": password},
            REMOTE_ADDR="10.9.9.9",  # the proxy
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    login("wrong", "203.0.113.5")
    assert login("wrong", "203.0.113.5", spoofed="1.2.3.4").status_code == 429
    # Alice, at her own address behind the same proxy, still gets in.
    assert login("pw-alice", "198.51.100.7").status_code == 302


def test_without_a_proxy_a_forged_forwarded_header_changes_nothing(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for forged in ("1.1.1.1", "2.2.2.2"):
        client.post(
            reverse("login"),
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="203.0.113.5",
            HTTP_X_FORWARDED_FOR=forged,
        )
    locked = client.post(
        reverse("login"),
        {"username": "alice", "password": "pw-alice"},
        REMOTE_ADDR="203.0.113.5",
        HTTP_X_FORWARDED_FOR="3.3.3.3",
    )
    assert locked.status_code == 429


@pytest.mark.parametrize(
    "path", ["/no-such-page/", "/teams/999999/", "/cycles/999999/result/", "/organisation/"]
)
def test_error_pages_for_a_signed_in_person_are_never_stored(client, alice, path):
    """They show the person's name in the navigation, so no cache may keep them."""
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]


def test_a_refused_post_for_a_signed_in_person_is_never_stored(client, alice, cycle):
    client.force_login(alice)
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("assessments:response-save", args=[cycle.pk]), {})
    assert response.status_code == 403
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("203.0.113.5:5678", "203.0.113.5"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("unknown", "10.9.9.9"),
        ("not an address:80", "10.9.9.9"),
        ("[2001:db8::1", "10.9.9.9"),
        ("999.1.1.1", "10.9.9.9"),
    ],
)
def test_client_address_behind_a_proxy_drops_ports_and_refuses_garbage(
    rf, settings, forwarded, expected
):
    settings.LVM_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.parametrize(
    "forwarded", ["1.2.3.4:5678", "[2001:db8::1]:443", "unknown", "", "   ,  ", "a" * 500]
)
def test_login_behind_a_proxy_works_whatever_the_forwarded_header(
    client, alice, settings, forwarded, caplog
):
    """A proxy that adds a port (or a client that sends junk) never breaks a log-in."""
    settings.LVM_PROXY_COUNT = 1
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "pw-alice"},
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 302
    wrong = client.post(
        reverse("login"),
        {"username": "alice", "password": "wrong"},
        REMOTE_ADDR="10.9.9.9",
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert wrong.status_code == 200


def test_an_unusable_forwarded_entry_is_logged(rf, settings, caplog):
    settings.LVM_PROXY_COUNT = 1
    with caplog.at_level(logging.WARNING, logger="lvm.security"):
        client_ip(rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="unknown"))
    assert "unusable X-Forwarded-For entry 'unknown'" in caplog.text


def test_hr_can_erase_a_persons_responses_from_the_users_page(client, alice, helga, submitted):
    """HR deletes responses, not users: the erase action is theirs all the same."""
    client.force_login(helga)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "erase_responses", "_selected_action": [alice.pk]},
        follow=True,
    )
    assert "Erased 1 response of 1 people" in response.content.decode()
    assert not Response.objects.filter(respondent=alice).exists()
