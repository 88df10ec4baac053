"""In Chromium: HR uploads a people file in the admin, reads the preview and applies it,
with the keyboard, on pages axe-core finds no WCAG violation in."""

import os
import re
import shutil

import pytest

from .conftest import CHROMIUM, axe_violations, log_in, open_page

if not shutil.which(CHROMIUM) and not os.environ.get("LVM_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BAD = b"email,team,role\nnew.person@example.com,Platform Engineering,boss\n"
GOOD = (
    b"email,first_name,last_name,team,role\n"
    b"new.person@example.com,New,Person,Platform Engineering,\n"
    b"maria@example.com,Maria,Demo,Platform Engineering,manager\n"
)


def assert_clean(page, problems: list[str]) -> None:
    """No console errors from the page itself, and no axe violation.

    axe's own checks apply inline styles, which the CSP blocks with a console error; so
    the page's console is read before axe runs, and axe's messages are dropped after.
    """
    assert problems == []
    assert not axe_violations(page)
    problems.clear()


def test_hr_previews_and_applies_a_people_file_with_the_keyboard(
    browser, live_server, demo, tmp_path
):
    base = live_server.url
    context, page, problems = open_page(browser)
    log_in(page, base, "helga")
    page.goto(f"{base}/admin/assessments/peopleimport/")
    page.get_by_role("link", name="Upload a people file").click()
    assert page.get_by_label("This file lists everyone").is_checked()
    assert_clean(page, problems)

    bad = tmp_path / "people.csv"
    bad.write_bytes(BAD)
    page.get_by_label("People file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_text("Line 2, role: “boss” is not a role").wait_for()
    assert_clean(page, problems)

    good = tmp_path / "people-fixed.csv"
    good.write_bytes(GOOD)
    page.get_by_label("People file").set_input_files(str(good))
    # A partial file: the demo's other people stay as they are.
    page.get_by_label("This file lists everyone").uncheck()
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("heading", name="1 person will be added").wait_for()
    assert page.get_by_text("New Person <new.person@example.com> (line 2)").is_visible()
    assert_clean(page, problems)

    page.get_by_role("button", name="Apply this import").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Imported people-fixed.csv: 1 new").wait_for()
    assert_clean(page, problems)
    context.close()


def test_deactivating_people_needs_a_tick_of_its_own(browser, live_server, demo, tmp_path):
    """A two-person file uploaded as listing everyone would deactivate everybody else."""
    from django.contrib.auth import get_user_model

    base = live_server.url
    context, page, problems = open_page(browser, width=375)
    log_in(page, base, "helga")
    page.goto(f"{base}/admin/assessments/peopleimport/add/")
    good = tmp_path / "two-people.csv"
    good.write_bytes(GOOD)
    page.get_by_label("People file").set_input_files(str(good))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("heading", name="1 person will be added").wait_for()
    tick = page.get_by_label(re.compile(r"Yes, deactivate \d+ people"))
    assert not tick.is_checked()
    assert_clean(page, problems)

    page.get_by_role("button", name="Apply this import").click()
    page.get_by_text("Nothing was imported: tick the box at the end").wait_for()
    assert_clean(page, problems)
    assert get_user_model().objects.get(username="arjun").is_active

    tick.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Apply this import").click()
    page.get_by_text("Imported two-people.csv: 1 new").wait_for()
    assert not get_user_model().objects.get(username="arjun").is_active
    assert problems == []
    context.close()


def test_an_open_person_picker_meets_wcag(browser, live_server, demo):
    """select2 builds the picker in the browser: named, its open list named by the box
    that controls it, and its highlighted choice legible. (axe's "region" rule, a best
    practice rather than WCAG, is left out: select2 puts the open list at the end of the
    page, outside its landmarks.)"""
    from axe_playwright_python.sync_playwright import Axe

    from assessments.models import Team

    base = live_server.url
    context, page, problems = open_page(browser)
    log_in(page, base, "helga")
    team = Team.objects.get(name="Platform Engineering")
    page.goto(f"{base}/admin/assessments/team/{team.pk}/change/")
    rows = page.locator(".dynamic-memberships")
    before = rows.count()
    page.get_by_role("button", name="Add another Membership").click()
    rows.nth(before).locator(".select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill("a")
    page.locator(".select2-results__option--highlighted").wait_for()
    assert search.get_attribute("aria-label") == "User"
    wcag = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    results = Axe().run(page, options=wcag)
    assert results.violations_count == 0, results.generate_report()
    context.close()
