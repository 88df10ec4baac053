"""axe-core (WCAG 2.1 A and AA) on every app page, in every state, at 1280 and 375 px.

The demo organisation is seeded once and each role logs in once: one pass through the
pages (in the first test's set-up) records axe's report per page and width, and one test
per page and width asserts that its report is empty, so a failure names the page.
The questionnaire's states (missing answers included) are checked in
test_e2e_questionnaire.py, the action plan form in test_e2e_plan.py.
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
    page.get_by_label("Email").fill("arjun@example.com")
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
    ]


PAGE_NAMES = [name for _, name, _ in _pages({"spring": 0, "autumn": 0, "team": 0, "reset": ""})]


@pytest.fixture(scope="module")
def axe_reports(browser, live_server, django_db_setup, django_db_blocker):
    """{(page name, width): axe's report} for every page, the demo seeded once."""
    from assessments.models import Cycle, Team

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
