"""The load test's virtual users: employees, managers, HR and a probe, for Locust.

Run by perf/loadtest.py, which seeds the database, writes the plan into the run's
directory (``LVM_LOADTEST_DIR``) and starts ``locust --headless`` with one Locust user
per person of the plan. Locust keeps each person's cookies, sends the requests and
counts the latencies; this file only says what a person does, and logs each request
(with whether it got the answer a browser expects) and each outcome for the driver.

Requests go to gunicorn over plain HTTP on loopback with ``X-Forwarded-Proto: https``,
as the TLS proxy in front of LVM would pass them on: so the secure cookies are sent over
HTTP here (their secure flag is dropped on receipt), and every POST carries the https
``Origin`` the CSRF check wants.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import sys
from pathlib import Path
from urllib.parse import urlsplit

if str(Path(__file__).resolve().parents[1]) not in sys.path:  # locust -f perf/locustfile.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gevent
from locust import HttpUser, between, constant, events, task
from locust.exception import StopUser
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

from perf.common import post_form
from perf.traffic import (
    ERROR_PAGE_MARKER,
    EXCEPTIONS_FILE,
    OUTCOMES_FILE,
    PROBE_FLAG,
    REQUESTS_FILE,
    RUN_DIR_ENV,
    STATS_FILE,
    WITHHELD_MARKER,
    Plan,
    is_last_page,
    question_ids,
)

REQUEST_TIMEOUT = 30.0  # seconds; gunicorn's worker timeout is the same
RETRY_PAUSE = 1.0  # seconds before a person retries a request the outage broke
MAX_ATTEMPTS = 60
MAX_PAGES = 50

RUN_DIR = Path(os.environ[RUN_DIR_ENV]) if os.environ.get(RUN_DIR_ENV) else None
PLAN = Plan.load(RUN_DIR) if RUN_DIR else None
_log = (RUN_DIR / REQUESTS_FILE).open("a", buffering=1) if RUN_DIR else None
_outcomes = (RUN_DIR / OUTCOMES_FILE).open("a", buffering=1) if RUN_DIR else None


# Each Locust user takes the next person of its kind.
_employees = iter(enumerate(PLAN.employees) if PLAN else ())
_managers = iter(PLAN.managers if PLAN else ())


@events.request.add_listener
def _log_request(request_type, name, response_time, response, context, exception, **kwargs):
    """One line per request, for the driver: the outage window is its business."""
    if _log is None:
        return
    status = getattr(response, "status_code", 0) or 0
    text = response.text if response is not None and status >= 200 else ""
    started = kwargs.get("start_time")
    record = {
        "kind": name,
        "valid": context.get("valid", True),
        "status": status,
        "started": started,
        "ended": started + response_time / 1000,
        "ok": exception is None,
        "error_page": status >= 500 and ERROR_PAGE_MARKER in text,
        "withheld": name == "dashboard GET" and WITHHELD_MARKER in text,
        "note": f"{request_type} {kwargs.get('url', '')} -> {status}",
    }
    _log.write(json.dumps(record) + "\n")


@events.quitting.add_listener
def _final_figures(environment, **kwargs):
    """Locust's figures once more, now that every user has stopped: the files ``--csv``
    writes are refreshed once a second and may miss the last requests."""
    if RUN_DIR is None:
        return
    figures = StatsCSV(environment, PERCENTILES_TO_REPORT)
    for name, write in (
        (STATS_FILE, figures.requests_csv),
        (EXCEPTIONS_FILE, figures.exceptions_csv),
    ):
        with (RUN_DIR / name).open("w", newline="") as f:
            write(csv.writer(f))


def _outcome(username: str, event: str, **data) -> None:
    if _outcomes is not None:
        _outcomes.write(json.dumps({"username": username, "event": event, **data}) + "\n")


class StepFailed(Exception):
    """A request did not get the answer a browser would expect."""


class TryAgain(StepFailed):
    """A request got a 5xx or no answer (the database may be down): the step starts over."""


class Person(HttpUser):
    """One person in a browser: logs in once, then keeps the session cookie."""

    abstract = True
    username = ""

    def on_start(self) -> None:
        if PLAN is None:
            raise StopUser
        self.origin = "https://" + urlsplit(self.host).netloc
        self.client.headers.update({"X-Forwarded-Proto": "https", "User-Agent": "lvm-locust"})
        self.attempt(self.login)

    def attempt(self, action, *args) -> None:
        """Run one thing the person does; a failure is reported and ends this user."""
        try:
            action(*args)
        except StepFailed as exc:
            _outcome(self.username, "error", error=str(exc))
            raise StopUser from exc

    def step(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        expect=lambda status: status == 200,
        location: str | None = None,
        valid: bool = True,
        retry: bool = True,
    ):
        """Send a request until it gets the expected answer; only a 5xx or no answer is
        retried (the database may be down), and the driver decides whether it was.

        With ``retry=False`` such an answer raises TryAgain instead, for a caller that
        must start over (a login whose CSRF token the failed attempt may have rotated).
        """
        headers = {}
        if method == "POST":
            headers = {"Origin": self.origin, "Referer": self.origin + path}
        for _ in range(MAX_ATTEMPTS):
            with self.client.request(
                method,
                path,
                name=kind,
                data=form,
                headers=headers,
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT,
                catch_response=True,
                context={"valid": valid},
            ) as response:
                status = response.status_code or 0
                where = urlsplit(response.headers.get("Location", ""))
                where = where._replace(scheme="", netloc="").geturl()
                ok = expect(status) and (location is None or where == location)
                if ok:
                    response.success()
                else:
                    response.failure(f"{status} {where}".strip())
            # The TLS proxy is left out on loopback, so requests would keep the secure
            # cookies to itself; a browser behind the proxy sends them back.
            for cookie in self.client.cookies:
                cookie.secure = False
            if ok:
                return response
            if status == 0 or status >= 500:
                gevent.sleep(RETRY_PAUSE)
                if not retry:
                    raise TryAgain(f"{kind}: {method} {path} answered {status}")
                continue
            raise StepFailed(f"{kind}: {method} {path} answered {status} {where}".strip())
        raise StepFailed(f"{kind}: {method} {path} kept failing")

    def login(self) -> None:
        for _ in range(MAX_ATTEMPTS):
            page = self.step("login GET", "GET", "/accounts/login/")
            _, hidden = post_form(page.text, having="username")
            try:
                self.step(
                    "login POST",
                    "POST",
                    "/accounts/login/",
                    form={**hidden, "username": self.username, "password": PLAN.password},
                    expect=lambda status: status == 302,
                    location="/",
                    retry=False,
                )
                return
            except TryAgain:
                continue
        raise StepFailed("login kept failing")


class Employee(Person):
    """Answers the questionnaire page by page and submits; some misbehave on purpose.

    No think time while answering. Afterwards they look at their result and download it
    again every 10 to 20 seconds.
    """

    wait_time = between(10, 20)
    done = False

    def on_start(self) -> None:
        try:
            self.index, self.username = next(_employees)
        except StopIteration:
            raise StopUser from None
        self.role = PLAN.roles[self.index]
        self.rng = random.Random(PLAN.seed * 1000 + self.index)
        self.edit = f"/cycles/{PLAN.cycle_pk}/answers/"
        self.result = f"/cycles/{PLAN.cycle_pk}/result/"
        super().on_start()

    @task
    def work(self) -> None:
        if self.done:
            self.attempt(self.look_again)
        else:
            self.attempt(self.answer)
            self.done = True
            _outcome(self.username, "finished")

    def answer(self) -> None:
        self.step("home GET", "GET", "/")
        page_number = 1
        here = f"{self.edit}?page=1"
        page = self.step("questionnaire GET", "GET", here)
        if self.role == "tamper":
            self.tamper(page.text, here)
        saved_for_later = False
        sent: dict[int, int] = {}
        for _ in range(MAX_PAGES):
            values = {q: self.rng.randint(1, PLAN.scale_points) for q in question_ids(page.text)}
            if not values:
                raise StepFailed(f"questionnaire page {page_number} shows no questions")
            sent.update(values)
            target, hidden = self.form_of(page.text, here)
            form = {**hidden, **{f"q{q}": str(v) for q, v in values.items()}}
            if is_last_page(page.text):
                self.submit(target, {**form, "action": "submit"}, sent)
                return
            if self.role == "save-later" and page_number == 2 and not saved_for_later:
                # "Save for later", come back to the same page and answer it again.
                self.save(target, {**form, "action": "save"}, here)
                saved_for_later = True
                page = self.step("questionnaire GET", "GET", here)
                continue
            page_number += 1
            then = f"{self.edit}?page={page_number}"
            self.save(target, {**form, "action": "next"}, then)
            here = then
            page = self.step("questionnaire GET", "GET", here)
        raise StepFailed(f"no submit button after {MAX_PAGES} pages")

    @staticmethod
    def form_of(html: str, here: str) -> tuple[str, dict[str, str]]:
        """Where the page's answers are posted, and the form's hidden fields."""
        questions = question_ids(html)
        action, hidden = post_form(html, having=f"q{questions[0]}" if questions else "")
        if action is None:
            raise StepFailed(f"{here} has no form of answers")
        return action or urlsplit(here).path, hidden

    def save(self, target: str, form: dict, then: str) -> None:
        self.step(
            "save POST",
            "POST",
            target,
            form=form,
            expect=lambda status: status == 302,
            location=then,
        )

    def send_submit(self, target: str, form: dict, kind: str = "submit POST") -> None:
        self.step(
            kind,
            "POST",
            target,
            form=form,
            expect=lambda status: status == 302,
            location=self.result,
        )

    def submit(self, target: str, form: dict, sent: dict[int, int]) -> None:
        if self.role == "concurrent":
            # Two submits at once, as from a double click: both must land on the result.
            twins = [
                gevent.spawn(self.send_submit, target, form, kind)
                for kind in ("submit POST", "submit POST (duplicate)")
            ]
            gevent.joinall(twins, raise_error=True)
        else:
            self.send_submit(target, form)
        _outcome(self.username, "submitted", sent=sent)
        self.look_again()
        if self.role == "replay":
            # The browser's back button and "resubmit": the result, never a second record.
            self.send_submit(target, form, "submit POST (duplicate)")

    def look_again(self) -> None:
        self.step("results GET", "GET", self.result)
        self.step("results CSV GET", "GET", f"/cycles/{PLAN.cycle_pk}/result.csv")

    def tamper(self, html: str, here: str) -> None:
        """Forms a browser never sends: each must be refused with 4xx and store nothing."""
        target, hidden = self.form_of(html, here)
        first = question_ids(html)[0]
        base = {**hidden, "action": "next"}
        no_token = {k: v for k, v in base.items() if k != "csrfmiddlewaretoken"}
        for form in (
            {**base, f"q{first}": "9"},
            {**base, "action": "submit", f"q{first}": "0"},
            {**base, "q999999": "3"},
            {**base, f"q{first}": "x"},
            {**no_token, f"q{first}": "3"},
        ):
            self.step(
                "tampered POST",
                "POST",
                target,
                form=form,
                expect=lambda status: 400 <= status < 500,
                valid=False,
            )


class Manager(Person):
    """Reloads their team's dashboard, and now and then the home page, the team list and
    the team's CSV export."""

    def on_start(self) -> None:
        try:
            self.username, self.team_pk = next(_managers)
        except StopIteration:
            raise StopUser from None
        self.rounds = itertools.count()
        super().on_start()

    def wait_time(self) -> float:
        return PLAN.manager_pause

    def team(self) -> int:
        return self.team_pk

    @task
    def look(self) -> None:
        self.attempt(self.reload)

    def reload(self) -> None:
        team = self.team()
        if next(self.rounds) % 5 == 0:
            self.step("home GET", "GET", "/")
            self.step("team list GET", "GET", "/teams/")
            self.step("team CSV GET", "GET", f"/teams/{team}/export.csv")
        self.step("dashboard GET", "GET", f"/teams/{team}/")


class HR(Manager):
    """Reloads the organisation overview and any team's dashboard."""

    def on_start(self) -> None:
        if PLAN is None:
            raise StopUser
        self.username = PLAN.staff
        self.pick = random.Random(PLAN.seed)
        self.rounds = itertools.count()
        Person.on_start(self)

    def team(self) -> int:
        self.step("organisation GET", "GET", "/organisation/")
        return self.pick.choice(PLAN.team_pks)


class Probe(Person):
    """Loads the home page ten times a second while the driver asks for it (the outage),
    to time it finely; it does not retry."""

    wait_time = constant(0.1)

    def on_start(self) -> None:
        if PLAN is None:
            raise StopUser
        self.username = PLAN.probe
        super().on_start()

    @task
    def probe(self) -> None:
        if not (RUN_DIR / PROBE_FLAG).exists():
            return
        with self.client.get(
            "/", name="probe GET", timeout=REQUEST_TIMEOUT, catch_response=True
        ) as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(str(response.status_code))


if PLAN is not None:
    # Exactly one Locust user per person of the plan (-u is the sum).
    Employee.fixed_count = len(PLAN.employees)
    Manager.fixed_count = len(PLAN.managers)
    HR.fixed_count = 1
    Probe.fixed_count = 1
