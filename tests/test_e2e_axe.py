"""axe-core (WCAG 2.1 A and AA) on every app page, in every state, at 1280 and 375 px.

The demo organisation is seeded once and each role logs in once: one pass through the
pages (in the first test's set-up) records axe's report per page and width, and one test
per page and width asserts that its report is empty, so a failure names the page.
The questionnaire's states (missing answers included) are checked in
test_e2e_questionnaire.py, the action plan form in test_e2e_plan.py. The admin's pages
are here too, as HR sees them: Django builds them, and LVM names what Django leaves
unnamed (assessments/admin.py, static/js/admin.js).
"""

import os
import shutil
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .conftest import CHROMIUM, axe_violations, log_in, open_page

if not shutil.which(CHROMIUM) and not os.environ.get("LVM_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 375)


def _wrong_password(page, base):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail or username").fill("arjun")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Please enter a correct e-mail address or username").wait_for()


def _locked_out(page, base):
    """Wrong passwords for Lena's address until log-ins from here are paused.

    Nobody else's log-in is paused: no role of these tests logs in as Lena.
    """
    paused = page.get_by_role("heading", name="Too many failed log-ins")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("E-mail or username").fill("Lena@Example.com")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        if paused.is_visible():
            return
    raise AssertionError("log-ins were never paused")


def _reset_link(username):
    """The path of a password-reset e-mail's link for ``username``."""
    user = get_user_model().objects.get(username=username)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/"


def _new_password_form(link):
    def visit(page, base):
        page.goto(base + link)
        page.get_by_role("heading", name="Choose a new password").wait_for()

    return visit


def _reset_done(page, base):
    page.goto(f"{base}/accounts/password_reset/")
    page.get_by_label("E-mail address").fill("arjun@example.com")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url("**/password_reset/done/")


def _logged_out(page, base):
    """Log in and out again (the anonymous visitor's own session)."""
    log_in(page, base, "jonas")
    menu = page.get_by_role("button", name="Show navigation")
    if menu.is_visible():  # a phone: the menu is folded away
        menu.click()
    page.get_by_role("button", name="Jonas").click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="You are logged out").wait_for()


def _cycle_form_with_errors(page, base):
    """A new cycle saved with nothing filled in: the admin's error state."""
    page.goto(f"{base}/admin/assessments/cycle/add/")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".errornote").wait_for()


def _team_with_a_new_row(team):
    """A team's page after "Add another Membership": the new row's person picker is built
    in the browser (select2), and must be named too."""

    def visit(page, base):
        page.goto(f"{base}/admin/assessments/team/{team}/change/")
        rows = page.locator(".dynamic-memberships")
        before = rows.count()
        page.get_by_role("button", name="Add another Membership").click()
        rows.nth(before).locator(".select2-container").wait_for()

    return visit


def _url(path):
    def visit(page, base):
        page.goto(base + path)

    return visit


def _pages(ids):
    """(role, page name, how to get there) for every page, in the order they are visited."""
    spring, autumn, team = ids["spring"], ids["autumn"], ids["team"]
    return [
        ("anonymous", "login", _url("/accounts/login/")),
        ("anonymous", "login-wrong-password", _wrong_password),
        ("anonymous", "locked-out", _locked_out),
        ("anonymous", "password-reset-form", _url("/accounts/password_reset/")),
        ("anonymous", "password-reset-done", _reset_done),
        ("anonymous", "password-reset-expired-link", _url("/accounts/reset/MQ/set-password/")),
        # The link is never used, so it opens the form at both widths.
        ("anonymous", "password-reset-new-password", _new_password_form(ids["reset"])),
        ("anonymous", "password-reset-complete", _url("/accounts/reset/done/")),
        ("anonymous", "logged-out", _logged_out),
        ("arjun", "home-with-results", _url("/")),
        ("arjun", "result-spring-2026", _url(f"/cycles/{spring}/result/")),
        ("arjun", "result-current-cycle", _url(f"/cycles/{autumn}/result/")),
        ("arjun", "password-change-form", _url("/accounts/password_change/")),
        ("arjun", "password-change-done", _url("/accounts/password_change/done/")),
        ("arjun", "page-not-found", _url("/no-such-page/")),
        ("jonas", "home-not-started", _url("/")),
        ("hugo", "home-draft", _url("/")),
        ("maria", "team-list", _url("/teams/")),
        ("maria", "team-dashboard-spring-2026", _url(f"/teams/{team}/?cycle={spring}")),
        ("maria", "team-dashboard-cycle-open", _url(f"/teams/{team}/?cycle={autumn}")),
        ("helga", "organisation-overview-spring-2026", _url(f"/organisation/?cycle={spring}")),
        ("helga", "organisation-overview-cycle-open", _url(f"/organisation/?cycle={autumn}")),
        ("helga", "instrument-report", _url("/organisation/instrument/")),
        # Teams with fewer than k taking part are withheld, a line of their own.
        ("helga", "participation", _url("/participation/")),
        ("maria", "participation-own-teams", _url("/participation/")),
        # The admin as HR uses it (Django's pages, with LVM's labels and styles).
        ("anonymous", "admin-login", _url("/admin/login/")),
        ("helga", "admin-index", _url("/admin/")),
        ("helga", "admin-cycles", _url("/admin/assessments/cycle/")),
        ("helga", "admin-cycle", _url(f"/admin/assessments/cycle/{autumn}/change/")),
        ("helga", "admin-cycle-errors", _cycle_form_with_errors),
        (
            "helga",
            "admin-questionnaire-answered",
            _url(f"/admin/assessments/questionnaire/{ids['questionnaire']}/change/"),
        ),
        ("helga", "admin-team", _url(f"/admin/assessments/team/{team}/change/")),
        ("helga", "admin-team-new-row", _team_with_a_new_row(team)),
        ("helga", "admin-people-upload", _url("/admin/assessments/peopleimport/add/")),
        (
            "helga",
            "admin-people-preview",
            _url(f"/admin/assessments/peopleimport/{ids['people_import']}/preview/"),
        ),
        ("helga", "admin-participants", _url("/admin/assessments/participant/")),
        ("helga", "admin-users", _url("/admin/auth/user/")),
        ("helga", "admin-user", _url(f"/admin/auth/user/{ids['user']}/change/")),
        ("helga", "admin-add-user", _url("/admin/auth/user/add/")),
    ]


PAGE_NAMES = [
    name
    for _, name, _ in _pages(
        dict.fromkeys(("spring", "autumn", "team", "questionnaire", "people_import", "user"), 0)
        | {"reset": ""}
    )
]


@pytest.fixture(scope="module")
def axe_reports(browser, live_server, django_db_setup, django_db_blocker):
    """{(page name, width): axe's report} for every page, the demo seeded once."""
    from assessments.management.commands.seed_demo import DEMO_PEOPLE
    from assessments.models import Cycle, PeopleImport, Team

    base = live_server.url
    reports: dict[tuple[str, int], str] = {}
    pages: dict[str, tuple] = {}
    # The live server answers from a thread of this process: the database stays open to
    # it while the pages are visited, and is emptied again after.
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=StringIO())
        ids = {
            "spring": Cycle.objects.get(name="Spring 2026").pk,
            "autumn": Cycle.objects.get(name="Autumn 2026").pk,
            "team": Team.objects.get(name="Platform Engineering").pk,
            # Someone who never logs in here: logging in would spoil the link.
            "reset": _reset_link("kemal"),
            "questionnaire": Cycle.objects.get(name="Spring 2026").questionnaire_id,
            "user": get_user_model().objects.get(username="arjun").pk,
            # A file that adds one person, previewed and not applied.
            "people_import": PeopleImport.objects.create(
                filename="people.csv",
                content=DEMO_PEOPLE.read_text(encoding="utf-8")
                + "E9999,Nia,Berg,nia@example.com,nia,Platform Engineering,member,\n",
                full=False,
            ).pk,
        }
        try:
            for width in WIDTHS:
                for role, name, visit in _pages(ids):
                    if role not in pages:
                        context, page, _ = open_page(browser, width=width)
                        if role != "anonymous":
                            log_in(page, base, role)
                        pages[role] = (context, page)
                    context, page = pages[role]
                    page.set_viewport_size({"width": width, "height": 900})
                    visit(page, base)
                    page.wait_for_load_state()
                    reports[name, width] = axe_violations(page)
        finally:
            for context, _ in pages.values():
                context.close()
            call_command("flush", interactive=False, stdout=StringIO())
    return reports


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_has_no_axe_violations(axe_reports, name, width):
    assert axe_reports[name, width] == "", axe_reports[name, width]
