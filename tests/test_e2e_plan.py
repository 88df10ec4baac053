"""In Chromium: a manager turns the team's figures into an action plan; HR reads it."""

import os
import shutil

import pytest

from .conftest import CHROMIUM, axe_violations, log_in, open_page

if not shutil.which(CHROMIUM) and not os.environ.get("LVM_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_writes_changes_and_completes_the_plan_and_hr_reads_it(browser, live_server, demo):
    base = live_server.url
    context, page, problems = open_page(browser)
    log_in(page, base, "maria")
    page.goto(f"{base}/teams/")
    page.get_by_role("link", name="Platform Engineering").click()
    page.get_by_role("link", name="Spring 2026").click()
    page.get_by_role("heading", name="Where to start").wait_for()
    assert page.get_by_text("Try this as a team:").first.is_visible()
    dashboard = page.url
    page.get_by_role("link", name="Write the action plan").click()
    assert not axe_violations(page)
    page.get_by_role("button", name="Save the plan").click()  # nothing chosen yet
    page.get_by_role("heading", name="There is a problem: nothing was saved").wait_for()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    page.get_by_role("link", name="What the team will try: Write what the team will try.").click()
    assert page.evaluate("document.activeElement.id") == "id_actions"
    assert not axe_violations(page)
    for name in ("Vision", "Communication"):
        page.get_by_label(name, exact=True).check()
    page.get_by_label("What the team will try").fill("A ten-minute review every Friday.")
    page.get_by_role("button", name="Save the plan").click()
    page.get_by_text("The team's action plan is saved.").wait_for()
    assert page.get_by_text("Focus: Vision, Communication").is_visible()
    page.get_by_role("link", name="Change the plan").click()
    page.get_by_label("What the team will try").fill("A fifteen-minute review every Friday.")
    page.get_by_role("button", name="Save the plan").click()
    page.get_by_role("button", name="Mark as done").click()
    page.get_by_text("Marked as done.").wait_for()
    assert page.get_by_text("A fifteen-minute review every Friday.").is_visible()
    assert not axe_violations(page)
    context.close()

    context, page, problems = open_page(browser, width=375)
    log_in(page, base, "helga")
    page.goto(dashboard)
    assert page.get_by_text("A fifteen-minute review every Friday.").is_visible()
    assert page.get_by_role("link", name="Change the plan").count() == 0
    context.close()

    context, page, problems = open_page(browser)
    log_in(page, base, "omar")  # manages Customer Success, not Platform Engineering
    response = page.goto(dashboard)
    assert response.status == 404
    context.close()
