"""End to end in a real headless Chromium: an employee's whole journey."""

import os
import shutil

import pytest

from .conftest import CHROMIUM, DEMO_PASSWORD, axe_violations, log_in, open_page

if not shutil.which(CHROMIUM) and not os.environ.get("LVM_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _answer_visible_items(page, label="Agree"):
    for fieldset in page.locator("fieldset.likert-item").all():
        fieldset.get_by_text(label, exact=True).click()


def test_employee_answers_leaves_comes_back_submits_and_sees_results(browser, live_server, demo):
    base = live_server.url
    context, page, problems = open_page(browser)
    log_in(page, base, "jonas")
    page.get_by_role("link", name="Start").click()

    # Part of the questionnaire, then leave.
    _answer_visible_items(page, "Agree")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**?page=2")
    page.locator("fieldset.likert-item").first.get_by_text("Disagree", exact=True).click()
    page.get_by_role("button", name="Save for later").click()
    page.get_by_role("alert").filter(has_text="Your answers are saved").wait_for()
    page.get_by_role("button", name="Jonas").click()
    page.get_by_role("button", name="Log out").click()
    context.close()

    # Come back on another browser: everything given so far is there.
    context, page, problems2 = open_page(browser)
    log_in(page, base, "jonas")
    assert page.get_by_text("In progress: 9 of 40 answered").is_visible()
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url("**?page=2")  # page 1 is complete: on at the first gap
    first_item = page.locator("fieldset.likert-item").first
    assert first_item.get_by_role("radio", name="Disagree", exact=True).is_checked()

    # Finish every page and submit.
    while page.get_by_role("button", name="Save and continue").count():
        _answer_visible_items(page, "Agree")
        page.get_by_role("button", name="Save and continue").click()
    _answer_visible_items(page, "Strongly agree")
    page.get_by_role("button", name="Submit my answers").click()

    page.wait_for_url("**/result/")
    assert page.get_by_role("heading", name="Your result: Autumn 2026").is_visible()
    assert page.locator("svg[role=img]").count() >= 2
    assert page.locator("svg[role=img]").first.is_visible()
    assert page.get_by_text("Thank you: your answers are submitted.").is_visible()
    # The strict Content-Security-Policy blocked nothing the pages need.
    assert not [p for p in problems + problems2 if "Content Security Policy" in p]
    context.close()


def test_questionnaire_fits_a_phone_and_works_with_the_keyboard(browser, live_server, demo):
    base = live_server.url
    context, page, problems = open_page(browser, width=375, height=740)
    log_in(page, base, "sven")
    page.goto(f"{base}/")
    page.get_by_role("link", name="Start").click()
    page.locator("fieldset.likert-item").first.wait_for()
    # No sideways scrolling on a 375-px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Keyboard only: focus the first option, move with the arrow keys, save with Enter.
    first = page.locator("fieldset.likert-item").first
    first.get_by_role("radio").first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert first.get_by_role("radio").nth(2).is_checked()
    page.keyboard.press("Enter")
    page.wait_for_url("**?page=2")
    assert not [p for p in problems if "Content Security Policy" in p]
    context.close()


def test_manager_sees_the_team_dashboard_on_desktop_and_phone(browser, live_server, demo):
    base = live_server.url
    for width in (1280, 375):
        context, page, problems = open_page(browser, width=width)
        log_in(page, base, "maria")
        page.goto(f"{base}/teams/")
        page.get_by_role("link", name="Platform Engineering").click()
        page.get_by_role("heading", name="Platform Engineering").wait_for()
        # The open cycle publishes at close: only the response rate and earlier cycles.
        assert page.get_by_text("Figures appear when the cycle closes").is_visible()
        assert page.get_by_text("Response rate").is_visible()
        page.get_by_role("link", name="Spring 2026").click()
        page.get_by_text("They will not change").wait_for()
        charts = page.locator("svg[role=img]")
        assert charts.count() == 3
        for i in range(3):
            assert charts.nth(i).bounding_box()["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert not [p for p in problems if "Content Security Policy" in p]
        context.close()


def test_answers_given_before_a_time_out_never_reach_the_next_person(browser, live_server, demo):
    """Hugo's session expires mid-page; Jonas logs in on that browser: an empty draft."""
    base = live_server.url
    context, page, problems = open_page(browser)
    log_in(page, base, "hugo")
    page.get_by_role("link", name="Continue").click()
    _answer_visible_items(page, "Strongly disagree")
    context.clear_cookies(name="sessionid")  # the session times out; CSRF cookie stays
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/accounts/login/**")
    assert page.get_by_text("Your session had expired").is_visible()
    page.get_by_label("E-mail or username").fill("jonas")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("fieldset.likert-item").first.wait_for()
    assert page.locator("input[type=radio]:checked").count() == 0
    assert not page.get_by_text("time-out").count()
    page.goto(f"{base}/")
    assert page.get_by_role("link", name="Start").is_visible()
    assert not [p for p in problems if "Content Security Policy" in p]
    context.close()


def test_hr_reads_the_instrument_report_on_desktop_and_phone(browser, live_server, demo):
    """The demo's closed cycle: sensible alphas, no horizontal scroll, no axe violation."""
    base = live_server.url
    for width in (1280, 375):
        context, page, problems = open_page(browser, width=width)
        log_in(page, base, "helga")
        page.goto(f"{base}/organisation/")
        page.get_by_role("link", name="How well the questionnaire measures").click()
        page.get_by_role("heading", name="Reading").wait_for()
        assert "Spring 2026" in page.locator("h1 + p").inner_text()
        readings = page.locator("#reading-heading + ul li").all_inner_texts()
        assert len(readings) == 10
        alphas = [float(text.split("α ")[1][:4]) for text in readings]
        assert all(0.7 <= alpha <= 0.95 for alpha in alphas), readings
        assert page.get_by_text("carry at least one careless-response flag").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert not axe_violations(page)
        assert not problems
        context.close()
