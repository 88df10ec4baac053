"""Load and fault test: gunicorn with the production settings on PostgreSQL, on loopback.

Why this exists: unit tests cannot show that LVM keeps every submission under concurrent
use, answers tampered forms with 4xx rather than 5xx, or copes with its database going
away. This command shows it end to end, bounded in time and in requests, and only ever
talking to 127.0.0.1:

1. It drops and re-creates its own database (``lvm_load`` by default; the name must
   contain "load" and the host must be loopback), migrates it, loads the questionnaire
   and seeds employees in teams of at least k, their managers, an HR user and an open
   cycle (plus a closed one, so the dashboards have a trend). Every account shares one
   password hash made with the configured hasher: hashing is deliberately slow.
2. It starts gunicorn with the production settings (``DEBUG=false``, a fresh
   ``SECRET_KEY``, ``ALLOWED_HOSTS=127.0.0.1``) on a free loopback port. The only
   change is ``STATIC_ROOT``, pointed at a temporary directory, so that ``collectstatic``
   writes nothing into the source tree. Requests carry ``X-Forwarded-Proto: https``, as
   the TLS proxy in front of LVM would, so secure cookies and the SSL redirect stay on.
3. Virtual users (threads, ``http.client``) each log in once and keep their session:
   employees answer page by page and submit; some submit twice (a replay, or two
   requests at once), some send tampered forms first; managers and HR reload the
   dashboards meanwhile.
4. Fault phase (``--no-fault`` skips it): while requests flow, PostgreSQL is stopped for a
   few seconds and started again. Requests in that window must fail fast with the error
   page, the app must recover without a restart, and PostgreSQL is always started again.
5. It checks in the database that every completed submission is stored exactly once,
   with exactly the answers sent and with its scores, and that no response anywhere is
   half-written; then it prints the figures (``--markdown`` adds tables for the docs) and
   exits non-zero if any check failed.

    python manage.py loadtest                      # 50 employees, fault phase, <= 60 s
    python manage.py loadtest --no-fault --users 20 --duration 30 --markdown
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import dj_database_url
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from assessments import scoring
from assessments.models import (
    Answer,
    Cycle,
    DimensionScore,
    Membership,
    Question,
    Questionnaire,
    Response,
    Team,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lvm_load"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
ALIAS = "loadtest"
PREFIX = "load-"
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 30.0  # seconds; gunicorn's worker timeout is the same
RETRY_PAUSE = 1.0  # seconds before a person retries a step that failed in the outage
MAX_PAGES = 50
ERROR_PAGE_MARKER = "Something went wrong"  # from templates/500.html
WITHHELD_MARKER = "dash-no-figures"  # from the team dashboard template
MAX_OUTAGE_LATENCY = 10.0  # seconds: DB_CONNECT_TIMEOUT (5 s) plus a margin


# --- pure helpers ----------------------------------------------------------------------------


def check_database_url(url: str) -> dict:
    """Parse a PostgreSQL URL; refuse a host that is not loopback or a name without "load"."""
    try:
        config = dj_database_url.parse(url)
    except ValueError as exc:
        raise CommandError(f"Not a database URL: {url!r} ({exc}).") from None
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise CommandError("The load test runs on PostgreSQL: use a postgres:// URL.")
    host = (config.get("HOST") or "").strip("[]")
    if host not in LOOPBACK_HOSTS:
        raise CommandError(
            f"Refusing database host {host or '(socket)'!r}: only 127.0.0.1, localhost or ::1."
        )
    if "load" not in (config.get("NAME") or ""):
        raise CommandError(
            "The load test drops and re-creates its database, so its name must contain "
            f"'load' (got {config.get('NAME')!r})."
        )
    return config


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile by nearest rank (NaN for no values)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def team_sizes(employees: int, *, team_size: int, k: int) -> list[int]:
    """Split employees into teams of ``team_size``; a remainder below k joins the last team."""
    if employees < k:
        raise CommandError(f"At least {k} employees are needed for one team of k={k}.")
    size = max(team_size, k)
    sizes = [size] * (employees // size)
    rest = employees % size
    if rest >= k or not sizes:
        sizes.append(rest)
    elif rest:
        sizes[-1] += rest
    return sizes


def role_for(index: int) -> str:
    """What an employee does besides answering: 10% tamper, 20% submit twice, 10% save."""
    return {0: "tamper", 1: "replay", 2: "concurrent", 3: "save-later"}.get(index % 10, "plain")


CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
QUESTION_RE = re.compile(r'name="q(\d+)"')


def csrf_token(html: str) -> str | None:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html)
    return match.group(1) if match else None


def question_ids(html: str) -> list[int]:
    """The question ids of a questionnaire page, in page order, each once."""
    return list(dict.fromkeys(int(m) for m in QUESTION_RE.findall(html)))


def is_last_page(html: str) -> bool:
    return 'name="action" value="submit"' in html


def status_class(status: int) -> str:
    return f"{status // 100}xx" if status else "no response"


class CookieJar:
    """The cookies of one browser: kept as sent, dropped when the server expires them."""

    def __init__(self) -> None:
        self._cookies: dict[str, str] = {}
        self._lock = threading.Lock()

    def update(self, headers: Iterable[str]) -> None:
        with self._lock:
            for header in headers:
                jar = SimpleCookie()
                try:
                    jar.load(header)
                except CookieError:
                    continue
                for name, morsel in jar.items():
                    if str(morsel["max-age"]) == "0" or morsel.value == "":
                        self._cookies.pop(name, None)
                    else:
                        self._cookies[name] = morsel.coded_value

    def header(self) -> str:
        with self._lock:
            return "; ".join(f"{name}={value}" for name, value in self._cookies.items())

    def __contains__(self, name: str) -> bool:
        with self._lock:
            return name in self._cookies


@dataclass
class Sample:
    """One request: what it was, how it ended and when (monotonic seconds)."""

    kind: str
    valid: bool  # False for a deliberately tampered request
    status: int  # 0: no response (connection refused, reset or timed out)
    started: float
    ended: float
    ok: bool  # the outcome the virtual user expected
    error_page: bool = False  # a 5xx that showed LVM's error page
    note: str = ""

    @property
    def latency(self) -> float:
        return self.ended - self.started

    @property
    def failed(self) -> bool:
        return self.status == 0 or self.status >= 500


@dataclass
class Window:
    """PostgreSQL was unavailable from ``start`` until ``end`` (monotonic seconds)."""

    start: float
    end: float
    grace: float = 1.0

    def overlaps(self, sample: Sample) -> bool:
        return sample.ended >= self.start and sample.started <= self.end + self.grace

    def expected_failure(self, sample: Sample) -> bool:
        """A 5xx (or no answer) while the database was down: expected, counted apart."""
        return sample.failed and self.overlaps(sample)


@dataclass(frozen=True)
class KindStats:
    kind: str
    count: int
    p50: float
    p95: float
    p99: float
    max: float
    classes: dict[str, int]


@dataclass
class OutageStats:
    down_for: float
    requests: int
    failed: int
    error_pages: int
    no_response: int
    succeeded: int
    max_latency: float
    p50_latency: float
    recovery: float | None  # from PostgreSQL accepting connections to the first success
    recovery_from_start: float | None  # from the start command to the first success
    timeline: list[tuple[int, int, int]]  # (second since the stop, succeeded, failed)
    succeeded_kinds: dict[str, int]


@dataclass
class Summary:
    requests: int
    seconds: float
    rps: float
    rps_outside_outage: float
    kinds: list[KindStats]
    classes: dict[str, int]
    valid: int
    valid_errors: list[Sample]
    outage_failures: int
    bad: int
    bad_4xx: int
    bad_5xx: int
    bad_accepted: int
    outage: OutageStats | None = None


KIND_ORDER = [
    "login GET",
    "login POST",
    "home GET",
    "questionnaire GET",
    "save POST",
    "submit POST",
    "submit POST (duplicate)",
    "results GET",
    "dashboard GET",
    "team list GET",
    "organisation GET",
    "probe GET",
    "tampered POST",
]


def _rate_outside(samples: list[Sample], seconds: float, window: Window | None) -> float:
    """Requests per second while the database was up (the outage's quick 500s left out)."""
    if window is None:
        return len(samples) / seconds if seconds else 0.0
    outside = [s for s in samples if not window.overlaps(s)]
    span = seconds - (window.end + window.grace - window.start)
    return len(outside) / span if span > 0 else 0.0


def summarise(
    samples: list[Sample],
    *,
    window: Window | None = None,
    recovered_at: float | None = None,
    start_command_at: float | None = None,
) -> Summary:
    """Figures for the report; failures while the database was down are counted apart."""

    def expected(s: Sample) -> bool:
        return window is not None and window.expected_failure(s)

    counted = [s for s in samples if not expected(s)]
    kinds = []
    names = sorted(
        {s.kind for s in samples},
        key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER), k),
    )
    for kind in names:
        of_kind = [s for s in counted if s.kind == kind]
        latencies = [s.latency for s in of_kind]
        kinds.append(
            KindStats(
                kind=kind,
                count=len(of_kind),
                p50=percentile(latencies, 50),
                p95=percentile(latencies, 95),
                p99=percentile(latencies, 99),
                max=max(latencies, default=math.nan),
                classes=dict(Counter(status_class(s.status) for s in of_kind)),
            )
        )
    seconds = max(s.ended for s in samples) - min(s.started for s in samples) if samples else 0.0
    bad = [s for s in counted if not s.valid]
    summary = Summary(
        requests=len(samples),
        seconds=seconds,
        rps=len(samples) / seconds if seconds else 0.0,
        rps_outside_outage=_rate_outside(samples, seconds, window),
        kinds=kinds,
        classes=dict(Counter(status_class(s.status) for s in samples)),
        valid=sum(s.valid for s in counted),
        valid_errors=[s for s in counted if s.valid and not s.ok],
        outage_failures=sum(expected(s) for s in samples),
        bad=len(bad),
        bad_4xx=sum(400 <= s.status < 500 for s in bad),
        bad_5xx=sum(s.failed for s in bad),
        bad_accepted=sum(0 < s.status < 400 for s in bad),
    )
    if window is not None:
        during = [s for s in samples if window.start <= s.started <= window.end]
        failed = [s for s in during if s.failed]
        latencies = [s.latency for s in during]
        summary.outage = OutageStats(
            down_for=window.end - window.start,
            requests=len(during),
            failed=len(failed),
            error_pages=sum(s.error_page for s in failed),
            no_response=sum(s.status == 0 for s in during),
            succeeded=sum(s.ok for s in during),
            max_latency=max(latencies, default=0.0),
            p50_latency=percentile(latencies, 50) if latencies else 0.0,
            recovery=None if recovered_at is None else recovered_at - window.end,
            recovery_from_start=(
                None
                if recovered_at is None or start_command_at is None
                else recovered_at - start_command_at
            ),
            timeline=_timeline(samples, window),
            succeeded_kinds=dict(Counter(s.kind for s in during if s.ok)),
        )
    return summary


def _timeline(samples: list[Sample], window: Window) -> list[tuple[int, int, int]]:
    """Requests by the second they started in, from 1 s before the stop to 2 s after."""
    first, last = -1, math.ceil(window.end - window.start) + 2
    seconds = {t: [0, 0] for t in range(first, last + 1)}
    for s in samples:
        t = math.floor(s.started - window.start)
        if first <= t <= last:
            seconds[t][1 if s.failed else 0] += 1
    return [(t, ok, failed) for t, (ok, failed) in seconds.items()]


EXCEPTION_RE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): ", re.MULTILINE)
DATABASE_DOWN = ("OperationalError", "InterfaceError")


@dataclass(frozen=True)
class ServerLog:
    boots: int
    timeouts: int
    server_errors: int
    exceptions: dict[str, int]

    @property
    def other_exceptions(self) -> list[str]:
        """Exceptions that are not the database being unreachable: bugs to look at."""
        return [name for name in self.exceptions if not name.endswith(DATABASE_DOWN)]


LOG_RECORD_RE = re.compile(r"^(?=\d{4}-\d\d-\d\d |\[\d{4}-)", re.MULTILINE)


def read_server_log(text: str) -> ServerLog:
    """Worker boots and timeouts, and the exceptions behind the 500s, from gunicorn's log.

    Each 500 counts once, by the last exception of its traceback: the ones before it
    ("During handling of the above exception ...") are how it came about.
    """
    final = Counter()
    for record in LOG_RECORD_RE.split(text):
        if "Internal Server Error" in record:
            raised = EXCEPTION_RE.findall(record)
            final[raised[-1] if raised else "(no traceback)"] += 1
    return ServerLog(
        boots=text.count("Booting worker"),
        timeouts=text.count("WORKER TIMEOUT"),
        server_errors=text.count("Internal Server Error"),
        exceptions=dict(final),
    )


def _ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def kinds_table(summary: Summary) -> list[list[str]]:
    """Header and one row per kind of request: count, latency percentiles, status classes."""
    rows = [["request", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "2xx", "3xx", "4xx", "5xx"]]
    for k in summary.kinds:
        rows.append(
            [
                k.kind,
                str(k.count),
                _ms(k.p50),
                _ms(k.p95),
                _ms(k.p99),
                _ms(k.max),
                *(str(k.classes.get(c, 0)) for c in ("2xx", "3xx", "4xx", "5xx")),
            ]
        )
    return rows


def markdown_table(rows: list[list[str]]) -> str:
    head, *body = rows
    align = ["---"] + ["--:"] * (len(head) - 1)
    return "\n".join("| " + " | ".join(r) + " |" for r in [head, align, *body])


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )


# --- the database ----------------------------------------------------------------------------


@dataclass
class Plan:
    """Who takes part: usernames, the cycle they answer and the teams managers look at."""

    cycle_pk: int
    password: str
    employees: list[str]
    managers: list[tuple[str, int]]  # (username, team pk)
    staff: str
    probe: str
    team_pks: list[int]
    scale_points: int = 5


def _active_questions(questionnaire: Questionnaire, using: str) -> list[Question]:
    return list(
        Question.objects.using(using)
        .filter(questionnaire=questionnaire, is_active=True)
        .select_related("dimension")
        .order_by("dimension__order", "dimension_id", "order", "id")
    )


def _score(questions: list[Question], given: dict[int, int], scale_max: int) -> scoring.Result:
    return scoring.score(
        [
            scoring.Item(
                dimension=str(q.dimension_id), value=given[q.pk], reverse_keyed=q.reverse_keyed
            )
            for q in questions
        ],
        axis_of={str(q.dimension_id): q.dimension.axis for q in questions},
        scale_min=1,
        scale_max=scale_max,
    )


def seed(
    *,
    using: str,
    questionnaire: Questionnaire,
    employees: int,
    team_size: int,
    k: int = 5,
    password: str,
    seed_value: int = 2026,
) -> Plan:
    """Create the people, teams and cycles of a run (one shared password hash, bulk inserts)."""
    User = get_user_model()
    rng = random.Random(seed_value)
    hashed = make_password(password)
    sizes = team_sizes(employees, team_size=team_size, k=k)
    now = timezone.now()
    employee_names = [f"{PREFIX}e{i:03d}" for i in range(employees)]
    manager_names = [f"{PREFIX}m{j:02d}" for j in range(len(sizes))]
    staff, probe = f"{PREFIX}hr", f"{PREFIX}probe"
    with transaction.atomic(using=using):
        User.objects.using(using).bulk_create(
            User(
                username=name,
                password=hashed,
                first_name=name,
                email=f"{name}@example.com",
                is_staff=name == staff,
            )
            for name in [*employee_names, *manager_names, staff, probe]
        )
        users = dict(
            User.objects.using(using)
            .filter(username__startswith=PREFIX)
            .values_list("username", "pk")
        )
        Team.objects.using(using).bulk_create(
            Team(name=f"Load team {j + 1:02d}") for j in range(len(sizes))
        )
        teams = list(
            Team.objects.using(using)
            .filter(name__startswith="Load team ")
            .order_by("name")
            .values_list("pk", flat=True)
        )
        memberships, start = [], 0
        for team_pk, size, manager in zip(teams, sizes, manager_names, strict=True):
            memberships.append(
                Membership(user_id=users[manager], team_id=team_pk, role=Membership.Role.MANAGER)
            )
            memberships += [
                Membership(user_id=users[name], team_id=team_pk, role=Membership.Role.MEMBER)
                for name in employee_names[start : start + size]
            ]
            start += size
        Membership.objects.using(using).bulk_create(memberships)

        current = Cycle.objects.using(using).create(
            name="Load test round",
            questionnaire=questionnaire,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
            min_group_size=k,
        )
        # A closed round where everyone submitted, so the dashboards have a trend to draw.
        past = Cycle.objects.using(using).create(
            name="Load test previous round",
            questionnaire=questionnaire,
            opens_at=now - timedelta(days=200),
            closes_at=now - timedelta(days=170),
            min_group_size=k,
        )
        questions = _active_questions(questionnaire, using)
        points = questionnaire.scale_points
        given = {
            name: {q.pk: rng.randint(1, points) for q in questions} for name in employee_names
        }
        results = {name: _score(questions, given[name], points) for name in employee_names}
        submitted_at = past.opens_at + timedelta(days=3)
        Response.objects.using(using).bulk_create(
            Response(
                cycle=past,
                respondent_id=users[name],
                status=Response.Status.SUBMITTED,
                started_at=submitted_at - timedelta(hours=1),
                submitted_at=submitted_at,
                leadership_score=results[name].leadership,
                management_score=results[name].management,
                balance=results[name].balance,
                profile=results[name].profile.value,
            )
            for name in employee_names
        )
        response_of = dict(
            Response.objects.using(using)
            .filter(cycle=past)
            .values_list("respondent__username", "pk")
        )
        Answer.objects.using(using).bulk_create(
            Answer(response_id=response_of[name], question_id=q, value=v)
            for name in employee_names
            for q, v in given[name].items()
        )
        DimensionScore.objects.using(using).bulk_create(
            DimensionScore(response_id=response_of[name], dimension_id=int(dim), score=value)
            for name in employee_names
            for dim, value in results[name].dimension_scores.items()
        )
    return Plan(
        cycle_pk=current.pk,
        password=password,
        employees=employee_names,
        managers=list(zip(manager_names, teams, strict=True)),
        staff=staff,
        probe=probe,
        team_pks=teams,
        scale_points=questionnaire.scale_points,
    )


@dataclass
class DataCheck:
    checked_users: int
    problems: list[str]
    responses: int
    submitted: int
    drafts: int
    half_written: list[int]

    @property
    def passed(self) -> bool:
        return not self.problems and not self.half_written


def half_written_responses(using: str) -> tuple[list[int], int, int]:
    """Ids of responses that are neither a clean draft nor a complete submission (SQL).

    A draft has at most one answer per active question and no scores; a submitted response
    has every answer, one score per dimension and its axis scores. Also returns the
    number of submitted and draft responses.
    """
    r, c = Response._meta.db_table, Cycle._meta.db_table
    a, s, q = Answer._meta.db_table, DimensionScore._meta.db_table, Question._meta.db_table
    sql = f"""
        SELECT r.id, r.status,
               r.leadership_score IS NULL OR r.management_score IS NULL OR r.balance IS NULL
                   OR r.submitted_at IS NULL AS missing_scores,
               r.leadership_score IS NULL AND r.management_score IS NULL AND r.balance IS NULL
                   AND r.submitted_at IS NULL AS no_scores,
               (SELECT COUNT(*) FROM {a} a WHERE a.response_id = r.id) AS answers,
               (SELECT COUNT(*) FROM {s} s WHERE s.response_id = r.id) AS scores,
               (SELECT COUNT(*) FROM {q} q
                 WHERE q.questionnaire_id = c.questionnaire_id AND q.is_active = %s) AS questions,
               (SELECT COUNT(DISTINCT q.dimension_id) FROM {q} q
                 WHERE q.questionnaire_id = c.questionnaire_id AND q.is_active = %s) AS dimensions
          FROM {r} r JOIN {c} c ON c.id = r.cycle_id
    """
    bad, submitted, drafts = [], 0, 0
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [True, True])
        for pk, status, missing, none, answers, scores, questions, dimensions in cursor:
            if status == Response.Status.SUBMITTED:
                submitted += 1
                ok = not missing and answers == questions and scores == dimensions
            else:
                drafts += 1
                ok = status == Response.Status.DRAFT and none and scores == 0
                ok = ok and answers <= questions
            if not ok:
                bad.append(pk)
    return bad, submitted, drafts


def verify_data(*, using: str, cycle_pk: int, sent: dict[str, dict[int, int]]) -> DataCheck:
    """Every user in ``sent`` has one submitted response with exactly those answers and
    its scores; and no response in the database is half-written."""
    cycle = Cycle.objects.using(using).select_related("questionnaire").get(pk=cycle_pk)
    questions = _active_questions(cycle.questionnaire, using)
    question_ids_ = {q.pk for q in questions}
    responses: dict[str, list[Response]] = {}
    for response in (
        Response.objects.using(using)
        .filter(cycle=cycle, respondent__username__in=list(sent))
        .select_related("respondent")
    ):
        responses.setdefault(response.respondent.username, []).append(response)
    pks = [r.pk for rs in responses.values() for r in rs]
    answers: dict[int, dict[int, int]] = {}
    counts: Counter = Counter()
    for response_id, question_id, value in (
        Answer.objects.using(using)
        .filter(response_id__in=pks)
        .values_list("response_id", "question_id", "value")
    ):
        answers.setdefault(response_id, {})[question_id] = value
        counts[response_id] += 1
    scores: dict[int, dict[str, float]] = {}
    for response_id, dimension_id, score in (
        DimensionScore.objects.using(using)
        .filter(response_id__in=pks)
        .values_list("response_id", "dimension_id", "score")
    ):
        scores.setdefault(response_id, {})[str(dimension_id)] = score

    problems = []
    for username, given in sorted(sent.items()):
        mine = responses.get(username, [])
        if len(mine) != 1:
            problems.append(f"{username}: {len(mine)} responses in the cycle, expected 1")
            continue
        response = mine[0]
        stored = answers.get(response.pk, {})
        if response.status != Response.Status.SUBMITTED:
            problems.append(f"{username}: response is {response.status}, not submitted")
            continue
        if set(stored) != question_ids_ or counts[response.pk] != len(question_ids_):
            problems.append(
                f"{username}: {counts[response.pk]} answers for {len(question_ids_)} questions"
            )
            continue
        if stored != given:
            wrong = sum(stored[q] != v for q, v in given.items() if q in stored)
            problems.append(f"{username}: {wrong} stored answers differ from those sent")
            continue
        expected = _score(questions, stored, cycle.questionnaire.scale_points)
        got = scores.get(response.pk, {})
        if set(got) != set(expected.dimension_scores) or any(
            abs(got[d] - v) > 1e-6 for d, v in expected.dimension_scores.items()
        ):
            problems.append(f"{username}: dimension scores missing or wrong ({len(got)} rows)")
        elif (
            abs(response.leadership_score - expected.leadership) > 1e-6
            or abs(response.management_score - expected.management) > 1e-6
            or abs(response.balance - expected.balance) > 1e-6
        ):
            problems.append(f"{username}: stored axis scores differ from the answers")
    half, submitted, drafts = half_written_responses(using)
    return DataCheck(
        checked_users=len(sent),
        problems=problems,
        responses=submitted + drafts,
        submitted=submitted,
        drafts=drafts,
        half_written=half,
    )


# --- the virtual users -----------------------------------------------------------------------


class Stopped(Exception):
    """The run hit its time or request cap."""


class StepFailed(Exception):
    """A request did not get the answer a browser would expect."""


@dataclass
class Reply:
    status: int
    location: str
    body: str


class Fault:
    """Stops PostgreSQL for a while and records when it was down and when LVM recovered."""

    def __init__(self, *, cluster: str | None, port: int, outage: float, grace: float):
        self.cluster = cluster
        self.port = port
        self.outage = outage
        self.grace = grace
        self.stop_at: float | None = None
        self.start_command_at: float | None = None
        self.ready_at: float | None = None
        self.recovered_at: float | None = None
        self.probe_go = threading.Event()
        self.probe_done = threading.Event()
        self.log: list[str] = []

    def in_outage(self, started: float, ended: float) -> bool:
        """True while the database is down (or was, for a request that overlapped it)."""
        if self.stop_at is None or ended < self.stop_at:
            return False
        return self.ready_at is None or started <= self.ready_at + self.grace

    def window(self) -> Window | None:
        if self.stop_at is None or self.ready_at is None:
            return None
        return Window(self.stop_at, self.ready_at, self.grace)

    def _command(self, *args: str) -> list[str]:
        version, name = self.cluster.split("/")
        return ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, *args]

    def _ctl(self, *args: str) -> None:
        command = self._command(*args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise CommandError(f"{' '.join(command)} failed: {done.stderr.strip()}")

    def is_ready(self) -> bool:
        done = subprocess.run(
            ["pg_isready", "-q", "-h", HOST, "-p", str(self.port)], timeout=10, check=False
        )
        return done.returncode == 0

    def wait_ready(self, timeout: float = 30.0) -> bool:
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            if self.is_ready():
                return True
            time.sleep(0.05)
        return False

    def stop_database(self) -> None:
        self.stop_at = time.monotonic()
        self._ctl("stop", "-m", "fast")
        self.log.append(f"stopped in {time.monotonic() - self.stop_at:.2f} s")

    def start_database(self) -> None:
        self.start_command_at = time.monotonic()
        # pg_ctlcluster returns a while after PostgreSQL accepts connections: time the latter.
        starting = subprocess.Popen(
            self._command("start"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        ready = self.wait_ready()
        self.ready_at = time.monotonic()
        _, stderr = starting.communicate(timeout=60)
        if not ready:
            raise CommandError(f"PostgreSQL did not accept connections: {stderr.strip()}")
        self.log.append(f"started in {self.ready_at - self.start_command_at:.2f} s")

    def ensure_running(self) -> None:
        """Start PostgreSQL again if it is down; called from ``finally`` whatever happened."""
        if self.is_ready():
            return
        with contextlib.suppress(CommandError, subprocess.SubprocessError):
            self._ctl("start")
        if not self.wait_ready():
            raise CommandError(
                f"PostgreSQL is not running: start it with pg_ctlcluster {self.cluster} start"
            )


class Run:
    """What every virtual user shares: the server, the caps, the samples, the fault."""

    def __init__(
        self,
        *,
        port: int,
        plan: Plan,
        deadline: float,
        max_requests: int,
        fault: Fault | None,
        manager_pause: float,
        ramp: float,
    ):
        self.port = port
        self.origin = f"https://{HOST}:{port}"
        self.plan = plan
        self.deadline = deadline
        self.max_requests = max_requests
        self.fault = fault
        self.manager_pause = manager_pause
        self.ramp = ramp
        self.stop = threading.Event()
        self.employees_done = threading.Event()
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self.logged_in = 0
        self.saves = 0
        self.dashboards_with_figures = 0
        self.dashboards_withheld = 0

    def should_stop(self) -> bool:
        return (
            self.stop.is_set()
            or time.monotonic() > self.deadline
            or len(self.samples) >= self.max_requests
        )

    def record(self, sample: Sample) -> None:
        with self._lock:
            self.samples.append(sample)

    def count(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def send(
        self, method: str, path: str, *, jar: CookieJar, form: dict | None = None
    ) -> tuple[int, str, str, float, float]:
        """One request over a fresh loopback connection, as the TLS proxy would pass it on."""
        headers = {"X-Forwarded-Proto": "https", "User-Agent": "lvm-loadtest"}
        cookie = jar.header()
        if cookie:
            headers["Cookie"] = cookie
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        started = time.monotonic()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            status, location = response.status, response.getheader("Location", "")
            jar.update(response.headers.get_all("Set-Cookie") or [])
        except (OSError, http.client.HTTPException) as exc:
            status, location, data = 0, "", str(exc).encode()
        finally:
            connection.close()
        return status, location, data.decode("utf-8", "replace"), started, time.monotonic()


class VirtualUser(threading.Thread):
    """One person in a browser: logs in once, then keeps the session cookie."""

    def __init__(self, run: Run, username: str, *, index: int = 0):
        super().__init__(name=username, daemon=True)
        self.run_ = run
        self.username = username
        self.index = index
        self.jar = CookieJar()
        self.error: str | None = None
        self.finished = False

    def step(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        expect: Callable[[int], bool] = lambda status: status == 200,
        location: str | None = None,
        valid: bool = True,
    ) -> Reply:
        """Send a request until it gets the expected answer; only an outage allows retries."""
        run = self.run_
        for _ in range(400):
            if run.should_stop():
                raise Stopped
            status, where, body, started, ended = run.send(method, path, jar=self.jar, form=form)
            where = urlsplit(where)._replace(scheme="", netloc="").geturl() if where else ""
            ok = expect(status) and (location is None or where == location)
            run.record(
                Sample(
                    kind=kind,
                    valid=valid,
                    status=status,
                    started=started,
                    ended=ended,
                    ok=ok,
                    error_page=status >= 500 and ERROR_PAGE_MARKER in body,
                    note=f"{method} {path} -> {status} {where}".strip(),
                )
            )
            if ok:
                return Reply(status, where, body)
            failed = status == 0 or status >= 500
            if failed and run.fault is not None and run.fault.in_outage(started, ended):
                time.sleep(RETRY_PAUSE)
                continue
            raise StepFailed(f"{kind}: {method} {path} answered {status} {where}".strip())
        raise StepFailed(f"{kind}: {method} {path} kept failing")

    def login(self) -> None:
        page = self.step("login GET", "GET", "/accounts/login/")
        self.step(
            "login POST",
            "POST",
            "/accounts/login/",
            form={
                "csrfmiddlewaretoken": csrf_token(page.body) or "",
                "username": self.username,
                "password": self.run_.plan.password,
                "next": "",
            },
            expect=lambda status: status == 302,
            location="/",
        )

    def run(self) -> None:
        try:
            self.act()
            self.finished = True
        except Stopped:
            self.error = "stopped by the time or request cap"
        except StepFailed as exc:
            self.error = str(exc)
        except Exception as exc:  # a bug in the load generator must not hide in a thread
            self.error = f"{type(exc).__name__}: {exc}"

    def act(self) -> None:
        raise NotImplementedError


class Employee(VirtualUser):
    """Answers the questionnaire page by page and submits; some misbehave on purpose."""

    def __init__(self, run: Run, username: str, *, index: int, seed_value: int):
        super().__init__(run, username, index=index)
        self.role = role_for(index)
        self.rng = random.Random(seed_value * 1000 + index)
        self.sent: dict[int, int] = {}
        self.completed = False
        cycle = run.plan.cycle_pk
        self.edit = f"/cycles/{cycle}/answers/"
        self.result = f"/cycles/{cycle}/result/"

    def act(self) -> None:
        time.sleep(self.run_.ramp * self.index / max(1, len(self.run_.plan.employees)))
        self.login()
        self.run_.count("logged_in")
        self.step("home GET", "GET", "/")
        page_number = 1
        page = self.step("questionnaire GET", "GET", f"{self.edit}?page=1")
        if self.role == "tamper":
            self.tamper(page.body)
        saved_for_later = False
        points = self.run_.plan.scale_points
        for _ in range(MAX_PAGES):
            values = {q: self.rng.randint(1, points) for q in question_ids(page.body)}
            if not values:
                raise StepFailed(f"questionnaire page {page_number} shows no questions")
            self.sent.update(values)
            form = {
                "csrfmiddlewaretoken": csrf_token(page.body) or "",
                "page": str(page_number),
                **{f"q{q}": str(v) for q, v in values.items()},
            }
            if is_last_page(page.body):
                self.submit({**form, "action": "submit"})
                return
            here = f"{self.edit}?page={page_number}"
            if self.role == "save-later" and page_number == 2 and not saved_for_later:
                # "Save for later", come back to the same page and answer it again.
                self.step(
                    "save POST",
                    "POST",
                    self.edit,
                    form={**form, "action": "save"},
                    expect=lambda status: status == 302,
                    location=here,
                )
                saved_for_later = True
                page = self.step("questionnaire GET", "GET", here)
                continue
            self.step(
                "save POST",
                "POST",
                self.edit,
                form={**form, "action": "next"},
                expect=lambda status: status == 302,
                location=f"{self.edit}?page={page_number + 1}",
            )
            self.run_.count("saves")
            page_number += 1
            page = self.step("questionnaire GET", "GET", f"{self.edit}?page={page_number}")
        raise StepFailed(f"no submit button after {MAX_PAGES} pages")

    def _submit(self, form: dict, kind: str = "submit POST") -> Reply:
        return self.step(
            kind,
            "POST",
            self.edit,
            form=form,
            expect=lambda status: status == 302,
            location=self.result,
        )

    def submit(self, form: dict) -> None:
        if self.role == "concurrent":
            # Two submits at once, as from a double click: both must land on the result.
            barrier = threading.Barrier(2, timeout=REQUEST_TIMEOUT)
            errors: list[BaseException] = []

            def twin(kind: str) -> None:
                try:
                    barrier.wait()
                    self._submit(form, kind)
                except BaseException as exc:
                    errors.append(exc)

            twins = [
                threading.Thread(target=twin, args=(k,), daemon=True)
                for k in ("submit POST", "submit POST (duplicate)")
            ]
            for t in twins:
                t.start()
            for t in twins:
                t.join(2 * REQUEST_TIMEOUT + 5)
            if errors:
                raise errors[0]
        else:
            self._submit(form)
        self.completed = True
        self.step("results GET", "GET", self.result)
        if self.role == "replay":
            # The browser's back button and "resubmit": the result, never a second record.
            self._submit(form, "submit POST (duplicate)")

    def tamper(self, html: str) -> None:
        """Forms a browser never sends: each must be refused with 4xx and store nothing."""
        token = csrf_token(html) or ""
        first = question_ids(html)[0]
        base = {"csrfmiddlewaretoken": token, "page": "1", "action": "next"}
        cases = [
            ("value 9", {**base, f"q{first}": "9"}),
            ("value 0 on submit", {**base, "action": "submit", f"q{first}": "0"}),
            ("unknown question", {**base, "q999999": "3"}),
            ("not a number", {**base, f"q{first}": "x"}),
            ("no CSRF token", {"page": "1", "action": "next", f"q{first}": "3"}),
        ]
        for _note, form in cases:
            self.step(
                "tampered POST",
                "POST",
                self.edit,
                form=form,
                expect=lambda status: 400 <= status < 500,
                valid=False,
            )


class Manager(VirtualUser):
    """Reloads their team's dashboard (HR: the organisation overview) until employees finish."""

    def __init__(self, run: Run, username: str, *, team_pk: int | None, index: int):
        super().__init__(run, username, index=index)
        self.team_pk = team_pk

    def act(self) -> None:
        run = self.run_
        time.sleep(run.ramp * self.index / max(1, len(run.plan.managers) + 1))
        self.login()
        rng = random.Random(self.index)
        for i in range(100_000):
            if run.employees_done.is_set() or run.should_stop():
                return
            if i % 5 == 0:
                self.step("home GET", "GET", "/")
                self.step("team list GET", "GET", "/teams/")
            if self.team_pk is None:
                self.step("organisation GET", "GET", "/organisation/")
                team = rng.choice(run.plan.team_pks)
            else:
                team = self.team_pk
            page = self.step("dashboard GET", "GET", f"/teams/{team}/")
            run.count(
                "dashboards_withheld"
                if WITHHELD_MARKER in page.body
                else "dashboards_with_figures"
            )
            time.sleep(run.manager_pause)


class Probe(VirtualUser):
    """Loads the home page ten times a second around the outage, to time it finely."""

    def act(self) -> None:
        run, fault = self.run_, self.run_.fault
        self.login()
        while not fault.probe_go.wait(0.1):
            if run.should_stop():
                return
        while not fault.probe_done.is_set() and not run.should_stop():
            status, _where, body, started, ended = run.send("GET", "/", jar=self.jar)
            ok = status == 200
            run.record(
                Sample(
                    kind="probe GET",
                    valid=True,
                    status=status,
                    started=started,
                    ended=ended,
                    ok=ok,
                    error_page=status >= 500 and ERROR_PAGE_MARKER in body,
                    note=f"GET / -> {status}",
                )
            )
            if (
                ok
                and fault.ready_at is not None
                and started > fault.stop_at
                and fault.recovered_at is None
            ):
                fault.recovered_at = ended
            time.sleep(0.1)


def run_fault(run: Run, fault: Fault, probe: Probe, errors: list[str]) -> None:
    """Wait until answering is in full swing, then stop PostgreSQL for a few seconds."""
    try:
        employees = len(run.plan.employees)
        started = time.monotonic()
        half_time = started + (run.deadline - started) * 0.4
        while not run.should_stop():
            busy = run.logged_in >= employees and run.saves >= employees
            if busy or time.monotonic() > half_time or run.employees_done.is_set():
                break
            time.sleep(0.05)
        if run.should_stop() or probe.error:
            errors.append(f"fault phase not run ({probe.error or 'time or request cap'})")
            return
        fault.probe_go.set()
        time.sleep(0.5)
        fault.stop_database()
        try:
            time.sleep(fault.outage)
        finally:
            fault.start_database()
        limit = time.monotonic() + 30
        while fault.recovered_at is None and time.monotonic() < limit and probe.is_alive():
            time.sleep(0.05)
        time.sleep(1.0)
    except Exception as exc:
        errors.append(f"fault phase: {type(exc).__name__}: {exc}")
    finally:
        fault.probe_done.set()


# --- the command -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _cluster() -> str | None:
    root = Path("/etc/postgresql")
    if not root.is_dir():
        return None
    clusters = sorted(
        f"{version.name}/{name.name}"
        for version in root.iterdir()
        if version.is_dir()
        for name in version.iterdir()
        if name.is_dir()
    )
    return clusters[-1] if clusters else None


class Command(BaseCommand):
    help = "Load and fault test: gunicorn (production settings) on PostgreSQL, loopback only."

    def add_arguments(self, parser):
        parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
        parser.add_argument("--users", type=int, default=50, help="Employees answering.")
        parser.add_argument("--team-size", type=int, default=10)
        parser.add_argument("--k", type=int, default=5, help="The cycle's minimum group size.")
        parser.add_argument(
            "--workers", type=int, default=4, help="gunicorn workers (4: two per core)."
        )
        parser.add_argument(
            "--duration", type=float, default=60.0, help="Cap on the traffic phase, seconds."
        )
        parser.add_argument("--max-requests", type=int, default=20_000)
        parser.add_argument(
            "--ramp", type=float, default=5.0, help="Seconds over which users start."
        )
        parser.add_argument(
            "--manager-pause", type=float, default=0.2, help="Seconds between dashboard loads."
        )
        parser.add_argument(
            "--fault",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="Stop PostgreSQL for a few seconds mid-run (--no-fault skips it).",
        )
        parser.add_argument(
            "--outage", type=float, default=5.0, help="Seconds PostgreSQL stays stopped."
        )
        parser.add_argument(
            "--pg-cluster", default=None, help="version/name for pg_ctlcluster (default: found)."
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--markdown", action="store_true", help="Also print markdown tables.")

    def handle(self, *args, **options):
        config = check_database_url(options["database_url"])
        if not 1 <= options["workers"] <= 8:
            raise CommandError("--workers must be between 1 and 8.")
        if options["users"] < 1 or options["duration"] <= 0 or options["max_requests"] < 1:
            raise CommandError("--users, --duration and --max-requests must be positive.")
        if options["k"] < 3:
            raise CommandError("--k must be at least 3.")
        if importlib.util.find_spec("gunicorn") is None:
            raise CommandError("gunicorn is not installed in this environment.")
        fault = None
        if options["fault"]:
            cluster = options["pg_cluster"] or _cluster()
            if not cluster or not shutil.which("pg_ctlcluster"):
                raise CommandError(
                    "No pg_ctlcluster cluster found: pass --pg-cluster or --no-fault."
                )
            fault = Fault(
                cluster=cluster,
                port=int(config.get("PORT") or 5432),
                outage=options["outage"],
                grace=1.0,
            )

        workdir = Path(tempfile.mkdtemp(prefix="lvm-loadtest-"))
        passed = False
        try:
            passed = self._run(config, options, fault, workdir)
        except KeyboardInterrupt:
            raise CommandError(
                "Interrupted: gunicorn is stopped"
                + (" and PostgreSQL is running again." if fault else ".")
            ) from None
        finally:
            if passed:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                self.stdout.write(f"gunicorn log and settings kept in {workdir}")
        if not passed:
            raise CommandError("The load test failed: see the report above.")

    # --- steps -------------------------------------------------------------------------------

    def _env(self, url: str, workdir: Path) -> dict[str, str]:
        (workdir / "lvm_loadtest_settings.py").write_text(
            "# Production settings, except that collectstatic writes outside the source tree.\n"
            "from lvm_site.settings import *  # noqa: F403\n\n"
            f"STATIC_ROOT = {str(workdir / 'static')!r}\n"
        )
        base = str(settings.BASE_DIR)
        return {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "lvm_loadtest_settings",
            "PYTHONPATH": os.pathsep.join([str(workdir), base]),
        }

    def _manage(self, env: dict[str, str], *args: str, check: bool = True) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check and done.returncode != 0:
            raise CommandError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return (done.stdout + done.stderr).strip()

    def _recreate_database(self, config: dict) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host=config["HOST"],
            port=config.get("PORT") or 5432,
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        ) as conn:
            name = sql.Identifier(config["NAME"])
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))

    def _register(self, config: dict) -> None:
        config = {**config, "CONN_MAX_AGE": 0}
        config.setdefault("OPTIONS", {})["connect_timeout"] = 5
        connections.settings[ALIAS] = connections.configure_settings({DEFAULT_DB_ALIAS: config})[
            DEFAULT_DB_ALIAS
        ]

    def _unregister(self) -> None:
        with contextlib.suppress(Exception):
            connections[ALIAS].close()
        with contextlib.suppress(Exception):
            del connections[ALIAS]
        connections.settings.pop(ALIAS, None)

    def _start_gunicorn(self, env, workers: int, log: Path) -> tuple[subprocess.Popen, int]:
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "lvm_site.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--timeout",
            str(int(REQUEST_TIMEOUT)),
            "--graceful-timeout",
            "5",
            "--log-level",
            "info",
        ]
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: Ctrl+C reaches us, we stop it
            )
        return process, port

    def _wait_until_up(self, process: subprocess.Popen, port: int, log: Path) -> None:
        limit = time.monotonic() + 60
        while time.monotonic() < limit:
            if process.poll() is not None:
                raise CommandError(f"gunicorn exited at start:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection(HOST, port, timeout=5)
                connection.request(
                    "GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"}
                )
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return
                raise CommandError(f"gunicorn answers the login page with {status}.")
            time.sleep(0.2)
        raise CommandError("gunicorn did not answer within 60 s.")

    def _stop_gunicorn(self, process: subprocess.Popen) -> None:
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def _run(self, config: dict, options: dict, fault: Fault | None, workdir: Path) -> bool:
        url = options["database_url"]
        out = self.stdout
        env = self._env(url, workdir)
        log = workdir / "gunicorn.log"
        setup_started = time.monotonic()
        out.write(f"Preparing {config['NAME']} on {config['HOST']} …")
        self._recreate_database(config)
        self._manage(env, "migrate", "--noinput")
        self._manage(env, "load_questionnaire")
        self._manage(env, "collectstatic", "--noinput")
        deploy_check = self._manage(
            env, "check", "--deploy", "--fail-level", "WARNING", check=False
        )
        self._register(config)
        process = None
        try:
            questionnaire = Questionnaire.objects.using(ALIAS).order_by("-created_at").first()
            plan = seed(
                using=ALIAS,
                questionnaire=questionnaire,
                employees=options["users"],
                team_size=options["team_size"],
                k=options["k"],
                password=secrets.token_urlsafe(16),
                seed_value=options["seed"],
            )
            with connections[ALIAS].cursor() as cursor:
                cursor.execute("SELECT current_setting('server_version')")
                pg_version = cursor.fetchone()[0]
            connections[ALIAS].close()
            process, port = self._start_gunicorn(env, options["workers"], log)
            self._wait_until_up(process, port, log)
            out.write(
                f"Ready in {time.monotonic() - setup_started:.1f} s: gunicorn "
                f"({options['workers']} workers) on {HOST}:{port}, PostgreSQL {pg_version}."
            )
            run, employees, others, fault_errors = self._traffic(plan, port, options, fault)
        finally:
            try:
                if fault is not None:
                    fault.probe_done.set()
                    fault.ensure_running()
            finally:
                if process is not None:
                    self._stop_gunicorn(process)
        try:
            sent = {e.username: e.sent for e in employees if e.completed}
            data = verify_data(using=ALIAS, cycle_pk=plan.cycle_pk, sent=sent)
        finally:
            self._unregister()
        return self._report(
            run=run,
            employees=employees,
            others=others,
            fault=fault,
            fault_errors=fault_errors,
            data=data,
            options=options,
            pg_version=pg_version,
            deploy_check=deploy_check,
            log=log,
        )

    def _traffic(self, plan: Plan, port: int, options: dict, fault: Fault | None):
        started = time.monotonic()
        run = Run(
            port=port,
            plan=plan,
            deadline=started + options["duration"],
            max_requests=options["max_requests"],
            fault=fault,
            manager_pause=options["manager_pause"],
            ramp=options["ramp"],
        )
        employees = [
            Employee(run, name, index=i, seed_value=options["seed"])
            for i, name in enumerate(plan.employees)
        ]
        others: list[VirtualUser] = [
            Manager(run, name, team_pk=team, index=i)
            for i, (name, team) in enumerate(plan.managers)
        ]
        others.append(Manager(run, plan.staff, team_pk=None, index=len(plan.managers)))
        fault_errors: list[str] = []
        threads: list[threading.Thread] = []
        if fault is not None:
            probe = Probe(run, plan.probe)
            others.append(probe)
            threads.append(
                threading.Thread(
                    target=run_fault, args=(run, fault, probe, fault_errors), daemon=True
                )
            )
        self.stdout.write(
            f"Traffic: {len(employees)} employees, {len(plan.managers)} managers, 1 HR"
            + (", 1 probe, fault phase" if fault else "")
            + f"; cap {options['duration']:.0f} s or {options['max_requests']} requests."
        )
        try:
            for thread in [*others, *employees, *threads]:
                thread.start()
            while any(e.is_alive() for e in employees):
                if time.monotonic() > run.deadline + REQUEST_TIMEOUT + 10:
                    break
                time.sleep(0.1)
            run.employees_done.set()
            for thread in threads:
                thread.join(timeout=60)
        finally:
            run.stop.set()
            if fault is not None:
                fault.probe_done.set()
            for thread in [*others, *employees, *threads]:
                thread.join(timeout=REQUEST_TIMEOUT + 5)
        return run, employees, others, fault_errors

    # --- the report --------------------------------------------------------------------------

    def _report(
        self,
        *,
        run: Run,
        employees: list[Employee],
        others: list[VirtualUser],
        fault: Fault | None,
        fault_errors: list[str],
        data: DataCheck,
        options: dict,
        pg_version: str,
        deploy_check: str,
        log: Path,
    ) -> bool:
        out = self.stdout
        window = fault.window() if fault else None
        summary = summarise(
            run.samples,
            window=window,
            recovered_at=fault.recovered_at if fault else None,
            start_command_at=fault.start_command_at if fault else None,
        )
        failures: list[str] = []
        server = read_server_log(log.read_text(errors="replace") if log.exists() else "")

        roles = Counter(e.role for e in employees)
        out.write("")
        out.write("LVM load and fault test")
        out.write(
            f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, PostgreSQL {pg_version}, "
            f"gunicorn {options['workers']} sync workers, production settings (DEBUG=false)"
        )
        out.write(
            f"users: {len(employees)} employees ({roles['tamper']} tamper, "
            f"{roles['replay']} replay the submit, {roles['concurrent']} submit twice at once, "
            f"{roles['save-later']} save for later), {len(run.plan.managers)} managers, 1 HR"
        )
        out.write(
            f"traffic: {summary.requests} requests in {summary.seconds:.1f} s = "
            f"{summary.rps:.1f} requests/s"
            + (
                f"; {summary.rps_outside_outage:.1f} requests/s while PostgreSQL was up"
                if fault
                else ""
            )
            + f" (no think time, ramp {options['ramp']:.0f} s, "
            f"manager pause {options['manager_pause']:.1f} s)"
        )
        out.write("")
        out.write(text_table(kinds_table(summary)))
        if fault:
            out.write("(latencies leave out the requests that failed while PostgreSQL was down)")
        out.write("")
        out.write(
            "status classes (all requests): "
            + ", ".join(f"{c}: {n}" for c, n in sorted(summary.classes.items()))
        )
        out.write(
            f"valid requests: {summary.valid}, errors: {len(summary.valid_errors)}"
            + (
                f" (plus {summary.outage_failures} expected failures in the outage)"
                if fault
                else ""
            )
        )
        for sample in summary.valid_errors[:10]:
            out.write(f"  ERROR {sample.kind}: {sample.note}")
        out.write(
            f"tampered requests: {summary.bad}, 4xx: {summary.bad_4xx}, 5xx: {summary.bad_5xx}, "
            f"accepted: {summary.bad_accepted}"
            + (" (failures in the outage were retried and are not counted)" if fault else "")
        )
        if summary.valid_errors:
            failures.append(f"{len(summary.valid_errors)} valid requests failed")
        if summary.bad_5xx or summary.bad_accepted:
            failures.append("a tampered request was not answered with 4xx")

        finished = sum(e.finished for e in employees)
        completed = sum(e.completed for e in employees)
        out.write(f"employees finished: {finished} of {len(employees)} ({completed} submitted)")
        for user in [*employees, *others]:
            if user.error:
                out.write(f"  {user.username}: {user.error}")
                failures.append(f"{user.username} did not finish")
        out.write(
            f"dashboards: {run.dashboards_with_figures} loads showed figures, "
            f"{run.dashboards_withheld} showed no figures (published when the cycle closes)"
        )
        out.write(
            f"gunicorn: {server.boots} worker boots, {server.timeouts} worker timeouts, "
            f"{server.server_errors} 'Internal Server Error' log entries; exceptions: "
            + (", ".join(f"{n} × {name}" for name, n in server.exceptions.items()) or "none")
        )
        if server.boots != options["workers"] or server.timeouts:
            failures.append(f"gunicorn restarted workers ({server.boots} boots)")
        if server.other_exceptions:
            failures.append(
                "500s not caused by the database: " + ", ".join(server.other_exceptions)
            )

        if fault is not None:
            o = summary.outage
            for message in fault_errors:
                failures.append(message)
                out.write(f"fault phase: {message}")
            if o is not None:
                out.write(
                    f"outage: PostgreSQL down {o.down_for:.1f} s ({', '.join(fault.log)}); "
                    f"{o.requests} requests started meanwhile: {o.failed} failed "
                    f"({o.error_pages} with the error page, {o.no_response} without an answer), "
                    f"{o.succeeded} succeeded; latency p50 {_ms(o.p50_latency)} ms, "
                    f"max {_ms(o.max_latency)} ms"
                )
                out.write(
                    "  succeeded meanwhile: "
                    + ", ".join(f"{n} {kind}" for kind, n in sorted(o.succeeded_kinds.items()))
                )
                out.write(
                    "  per second since the stop (ok/failed): "
                    + " ".join(f"{t:+d}s:{ok}/{failed}" for t, ok, failed in o.timeline)
                )
                if o.recovery is None:
                    failures.append("the app did not recover after PostgreSQL came back")
                    out.write("recovery: none within 30 s")
                else:
                    out.write(
                        f"recovery: first success {max(o.recovery, 0) * 1000:.0f} ms after "
                        f"PostgreSQL accepted connections ({o.recovery_from_start:.2f} s after "
                        "the start command), without restarting gunicorn"
                    )
                if o.requests == 0:
                    failures.append("no request reached the app during the outage")
                if o.max_latency > MAX_OUTAGE_LATENCY:
                    failures.append(f"a request hung {o.max_latency:.1f} s during the outage")
                if o.failed != o.error_pages:
                    failures.append("some outage failures did not show the error page")

        out.write(
            f"data check: {data.checked_users} completed submissions checked, "
            f"{len(data.problems)} problems; {data.responses} responses in the database "
            f"({data.submitted} submitted, {data.drafts} drafts), "
            f"half-written: {len(data.half_written)}"
        )
        for problem in data.problems[:10]:
            out.write(f"  {problem}")
        if data.half_written:
            out.write(f"  half-written response ids: {data.half_written[:20]}")
        if not data.passed:
            failures.append("the data check failed")
        out.write(
            "deploy check (manage.py check --deploy --fail-level WARNING): "
            + deploy_check.splitlines()[-1]
            if deploy_check
            else "deploy check: no output"
        )

        if options["markdown"]:
            out.write("")
            out.write(markdown_table(kinds_table(summary)))
            out.write("")
            rows = [
                ["figure", "value"],
                [
                    "requests / s",
                    f"{summary.rps:.1f} ({summary.requests} in {summary.seconds:.1f} s)",
                ],
                ["requests / s while PostgreSQL was up", f"{summary.rps_outside_outage:.1f}"],
                ["valid requests / errors", f"{summary.valid} / {len(summary.valid_errors)}"],
                [
                    "tampered requests / 4xx / 5xx",
                    f"{summary.bad} / {summary.bad_4xx} / {summary.bad_5xx}",
                ],
                [
                    "submissions checked / problems",
                    f"{data.checked_users} / {len(data.problems)}",
                ],
                ["half-written responses", str(len(data.half_written))],
            ]
            if fault is not None and summary.outage is not None:
                o = summary.outage
                rows += [
                    ["PostgreSQL down", f"{o.down_for:.1f} s"],
                    [
                        "requests during the outage",
                        f"{o.requests} ({o.failed} × 500 error page, {o.succeeded} ok)",
                    ],
                    ["max latency during the outage", f"{_ms(o.max_latency)} ms"],
                    [
                        "recovery after PostgreSQL is back",
                        "none"
                        if o.recovery is None
                        else f"{max(o.recovery, 0) * 1000:.0f} ms, no gunicorn restart",
                    ],
                ]
            out.write(markdown_table(rows))

        out.write("")
        if failures:
            for failure in failures:
                out.write(self.style.ERROR(f"FAIL: {failure}"))
            return False
        out.write(self.style.SUCCESS("PASS: every check passed."))
        return True
