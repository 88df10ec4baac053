"""Shared test data: a small questionnaire, a fixed cast and the helpers every file uses.

- alice: member of Alpha (the employee)
- bob: manager of Alpha
- charlie: outsider, member of Beta only
- dora: manager of Beta
- staff: HR administrator (a superuser)
- helga: staff in the HR group

Every test starts with empty caches and fast password hashing. Data that a module's
tests only read can be built once for the module inside ``module_transaction``.
"""

import csv
import io
import math
import os
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.management.commands.seed_demo import DEMO_PASSWORD
from assessments.models import (
    Cycle,
    Dimension,
    Membership,
    Question,
    Questionnaire,
    ScaleLabel,
    Team,
)
from assessments.roles import HR_GROUP

# Tests of concurrent transactions need PostgreSQL; on SQLite they are not collected.
collect_ignore = (
    [] if os.environ.get("DATABASE_URL", "").startswith("postgres") else ["test_concurrency.py"]
)

DEFAULT_LABELS = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]


@pytest.fixture(autouse=True, scope="session")
def _fast_passwords():
    """Session-wide, so that data built once per module is hashed fast too."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def _clear_caches():
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _empty_caches():
    """Nothing one test stores in a cache is seen by the next, whatever the order."""
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture(scope="module")
def module_transaction(django_db_setup, django_db_blocker):
    """A transaction around one module's tests, rolled back when the module is done.

    Rows a module-scoped fixture writes inside ``with module_transaction.unblock():`` are
    seen by every test of the module (each test still runs in its own transaction, rolled
    back after it) and by no other module. Only for tests that do not use
    ``transactional_db``: flushing the database would take the shared rows with it.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield django_db_blocker
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- questionnaires and cycles ----------------------------------------------------------


def make_questionnaire(*, per_dimension: int = 2, dimensions: int = 2, name: str = "Test"):
    """A questionnaire with ``dimensions`` per axis and ``per_dimension`` items each.

    The last item of every dimension is reverse-keyed.
    """
    questionnaire = Questionnaire.objects.create(name=name, scale_points=5)
    ScaleLabel.objects.bulk_create(
        ScaleLabel(questionnaire=questionnaire, value=i, label=label)
        for i, label in enumerate(DEFAULT_LABELS, start=1)
    )
    order = 0
    for axis in ("leadership", "management"):
        for d in range(dimensions):
            dim = Dimension.objects.create(
                questionnaire=questionnaire,
                code=f"{axis[:4]}{d}",
                name=f"{axis.title()} {d}",
                axis=axis,
                description=f"About {axis} {d}.",
                development_tip=f"Practise {axis} {d}.",
                order=order,
            )
            for i in range(per_dimension):
                order += 1
                Question.objects.create(
                    questionnaire=questionnaire,
                    dimension=dim,
                    text=f"I do {axis} thing {d}.{i}",
                    order=order,
                    reverse_keyed=(i == per_dimension - 1),
                )
    return questionnaire


def make_cycle(questionnaire, *, name="Current", open_=True, k=5, days_ago=5):
    now = timezone.now()
    if open_:
        opens, closes = now - timedelta(days=days_ago), now + timedelta(days=20)
    else:
        opens, closes = now - timedelta(days=days_ago + 30), now - timedelta(days=days_ago)
    return Cycle.objects.create(
        name=name, questionnaire=questionnaire, opens_at=opens, closes_at=closes, min_group_size=k
    )


def close_cycle(cycle):
    """Move a cycle's dates into the past, as if it had closed a minute ago."""
    now = timezone.now()
    Cycle.objects.filter(pk=cycle.pk).update(
        opens_at=now - timedelta(days=30), closes_at=now - timedelta(minutes=1)
    )
    cycle.refresh_from_db()


@pytest.fixture
def questionnaire(db):
    return make_questionnaire()


@pytest.fixture
def cycle(questionnaire):
    return make_cycle(questionnaire)


@pytest.fixture
def closed_cycle(questionnaire):
    """A cycle that closed five days ago: the first read of a team page publishes it."""
    return make_cycle(questionnaire, open_=False)


@pytest.fixture
def demo(db):
    """The demo organisation of ``seed_demo``, built for one test."""
    call_command("seed_demo", stdout=StringIO())


# --- people -----------------------------------------------------------------------------


def make_user(username, **extra):
    return get_user_model().objects.create_user(
        username=username, password="pw-" + username, email=f"{username}@example.com", **extra
    )


def make_member(username, *teams, role=Membership.Role.MEMBER, **extra):
    """A person with ``role`` in each of ``teams``."""
    user = make_user(username, **extra)
    Membership.objects.bulk_create(Membership(user=user, team=t, role=role) for t in teams)
    return user


def make_hr(username="helga"):
    """Staff in the HR group (shipped by migrate): the organisation's figures, no more."""
    user = make_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name=HR_GROUP))
    return user


def add_members(team, count, prefix, role=Membership.Role.MEMBER):
    users = [make_user(f"{prefix}{i}") for i in range(count)]
    Membership.objects.bulk_create(Membership(user=u, team=team, role=role) for u in users)
    return users


@pytest.fixture
def alpha(db):
    return Team.objects.create(name="Alpha")


@pytest.fixture
def beta(db):
    return Team.objects.create(name="Beta")


@pytest.fixture
def alice(alpha):
    return make_member("alice", alpha, first_name="Alice")


@pytest.fixture
def bob(alpha):
    return make_member("bob", alpha, role=Membership.Role.MANAGER, first_name="Bob")


@pytest.fixture
def charlie(beta):
    return make_member("charlie", beta, first_name="Charlie")


@pytest.fixture
def dora(beta):
    return make_member("dora", beta, role=Membership.Role.MANAGER, first_name="Dora")


@pytest.fixture
def staff(db):
    return make_user("hr", is_staff=True, is_superuser=True)


@pytest.fixture
def helga(db):
    return make_hr()


# --- answers ----------------------------------------------------------------------------


def all_answers(cycle, value=4):
    """A full set of answers for the cycle's questionnaire: {question_id: value}."""
    return {q.pk: value for q in cycle.questionnaire.questions.filter(is_active=True)}


def answers_for(cycle, lead, mgmt):
    """Answers that key every leadership dimension to ``lead`` and management to ``mgmt``.

    A dimension at level L (1-5) scores (L - 1) * 25.
    """
    level = {"leadership": lead, "management": mgmt}
    return {
        q.pk: 6 - level[q.dimension.axis] if q.reverse_keyed else level[q.dimension.axis]
        for q in services.cycle_questions(cycle)
    }


# The levels of five members of a team, one tuple per person, one level per dimension
# (leadership 0, leadership 1, management 0, management 1).
TEAM_LEVELS = [(5, 5, 1, 1), (4, 4, 2, 2), (3, 3, 3, 3), (3, 3, 2, 4), (1, 3, 5, 5)]


def submit_levels(user, cycle, levels):
    """A submitted response whose dimensions (in order) key to ``levels`` (1-5 each).

    A half level (say 2.5) answers the dimension's two items one step apart, so the
    dimension scores (level - 1) * 25 all the same (37.5 for 2.5). Works for a closed
    cycle too: ``services.record_response`` checks the answers as a submission does and
    records the team snapshot, but takes any cycle.
    """
    dimensions = list(cycle.questionnaire.dimensions.order_by("order"))
    questions = services.cycle_questions(cycle)
    level_of = dict(zip([d.pk for d in dimensions], levels, strict=True))
    given = {
        q.pk: (
            6 - math.floor(level_of[q.dimension_id])
            if q.reverse_keyed
            else math.ceil(level_of[q.dimension_id])
        )
        for q in questions
    }
    return services.record_response(
        user=user,
        cycle=cycle,
        answers=given,
        questions=questions,
        started_at=cycle.opens_at,
        submitted_at=min(timezone.now(), cycle.closes_at),
    )


def start_draft(user, cycle):
    """A response in progress with one answer (as ``services.save_draft`` leaves it)."""
    question = services.cycle_questions(cycle)[0]
    return services.record_response(
        user=user, cycle=cycle, answers={question.pk: 5}, started_at=cycle.opens_at
    )


# --- pages and CSV files ----------------------------------------------------------------


def dashboard_url(team, cycle=None):
    url = reverse("assessments:team-dashboard", args=[team.pk])
    return f"{url}?cycle={cycle.pk}" if cycle else url


def export_url(team, cycle=None):
    url = reverse("assessments:team-export", args=[team.pk])
    return f"{url}?cycle={cycle.pk}" if cycle else url


def csv_rows(content: bytes) -> list[list[str]]:
    """The rows of a CSV download."""
    return list(csv.reader(io.StringIO(content.decode())))


# --- privacy ----------------------------------------------------------------------------


def groups_by_membership(sets: dict) -> list[set]:
    """People grouped by exactly which of the named sets contain them (a brute force,
    written apart from assessments.privacy so that the tests check it independently)."""
    where: dict = {}
    for name, people in sets.items():
        for person in people:
            where.setdefault(person, set()).add(name)
    groups: dict = {}
    for person, names in where.items():
        groups.setdefault(frozenset(names), set()).add(person)
    return list(groups.values())


def assert_no_group_below_k(sets: dict, *, viewers: set, k: int) -> None:
    """Every membership group holds k people, and k besides one viewer in it."""
    for people in groups_by_membership(sets):
        assert len(people) - (1 if people & viewers else 0) >= k, sorted(people)


# --- the browser (end-to-end tests) --------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, for one test module."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by
    # the test itself are ordinary synchronous calls. The variable is unset again
    # however the module ends, so no later test runs with it.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as p:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def open_page(browser, *, width=1280, height=900):
    """A fresh context and page, and the list its console errors and warnings go to."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type in {"error", "warning"} else None,
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return context, page, problems


def log_in(page, base, username):
    """Log in as a demo person (``seed_demo``'s password) and wait for the home page."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail or username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def axe_violations(page) -> str:
    """axe-core's report of WCAG violations on the page ("" when there are none)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return results.generate_report() if results.violations_count else ""
