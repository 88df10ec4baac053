"""The questionnaire flow in a real headless Chromium: resuming, the live counter, the
missing-answers state, keyboard order, and the home page on a phone (with axe-core)."""

import os
import shutil

import pytest

from .conftest import CHROMIUM, axe_violations, log_in, open_page

if not shutil.which(CHROMIUM) and not os.environ.get("LVM_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 375)


def _counter(page) -> str:
    return page.locator("#answered-count").inner_text()


def _no_sideways_scroll(page, width) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_continue_resumes_at_the_first_gap_and_the_counter_follows_the_clicks(
    browser, live_server, demo
):
    """Hugo's draft answers page 1 and one statement of page 2."""
    base = live_server.url
    context, page, problems = open_page(browser)
    log_in(page, base, "hugo")
    assert page.get_by_text("In progress: 9 of 40 answered").is_visible()
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url("**?page=2")
    assert _counter(page) == "9 of 40 answered"
    assert page.get_by_role("button", name="Page 1 (complete)").is_visible()
    current = page.get_by_role("button", name="Page 2", exact=True)
    assert current.get_attribute("aria-current") == "page"

    items = page.locator("fieldset.likert-item")
    items.nth(1).get_by_text("Agree", exact=True).click()
    assert _counter(page) == "10 of 40 answered"
    assert page.locator("#answers-progress progress").evaluate("bar => bar.value") == 10
    items.nth(1).get_by_text("Disagree", exact=True).click()  # a change, not a new answer
    assert _counter(page) == "10 of 40 answered"

    # Every statement of the page answered: its button says so before it is saved.
    for i in range(2, items.count()):
        items.nth(i).get_by_text("Agree", exact=True).click()
    assert _counter(page) == "16 of 40 answered"
    assert page.get_by_role("button", name="Page 2 (complete)").is_visible()

    # "Save for later" confirms, and the message leads home.
    page.get_by_role("button", name="Save for later").click()
    saved = page.get_by_role("alert").filter(has_text="Your answers are saved")
    saved.get_by_role("link", name="Back to my assessments").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_text("In progress: 16 of 40 answered").is_visible()
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url("**?page=3")
    assert not problems, problems
    context.close()


def test_submitting_with_gaps_focuses_the_error_summary(browser, live_server, demo):
    base = live_server.url
    for width in WIDTHS:
        context, page, problems = open_page(browser, width=width)
        log_in(page, base, "hugo")
        page.get_by_role("link", name="Continue").click()
        page.get_by_role("button", name="Page 5").click()
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_url("**?page=5&check=1")
        assert page.title().startswith("Error: ")
        summary = page.locator("#missing-summary")
        assert summary.evaluate("el => el === document.activeElement")
        assert "31 statements still need an answer" in summary.inner_text()
        # The statements' text stays inside their highlighted box.
        for item in page.locator("fieldset.is-missing").all()[:3]:
            box = item.bounding_box()
            legend = item.locator("legend").bounding_box()
            assert (
                box["y"] <= legend["y"]
                and legend["y"] + legend["height"] <= box["y"] + box["height"]
            )
            assert legend["x"] + legend["width"] <= box["x"] + box["width"]
        assert axe_violations(page) == ""
        assert _no_sideways_scroll(page, width)

        # A link in the summary to another page's statement lands on that statement.
        summary.get_by_role("link", name="Page 2").click()
        page.wait_for_url("**?page=2&check=1")
        assert page.title().startswith("Error: ")
        assert axe_violations(page) == ""
        assert not problems, problems
        context.close()


def test_home_and_questionnaire_pass_axe_and_fit_a_phone(browser, live_server, demo):
    base = live_server.url
    for width in WIDTHS:
        context, page, problems = open_page(browser, width=width)
        log_in(page, base, "arjun")
        results = page.get_by_role("region", name="My results")
        for text in ("Leadership", "Management", "Balance", "Profile"):
            assert results.get_by_text(text).filter(visible=True).count() >= 1, text
        link = results.get_by_role("link", name="View results for Spring 2026")
        assert link.is_visible()
        assert link.bounding_box()["x"] + link.bounding_box()["width"] <= width
        assert _no_sideways_scroll(page, width)
        assert axe_violations(page) == ""
        context.close()

        context, page, problems2 = open_page(browser, width=width)
        log_in(page, base, "jonas")
        page.get_by_role("link", name="Start").click()
        page.locator("fieldset.likert-item").first.wait_for()
        assert _no_sideways_scroll(page, width)
        assert axe_violations(page) == ""
        assert not problems + problems2, problems + problems2
        context.close()


def test_skip_link_shows_above_the_navbar_when_tabbed_to(browser, live_server, demo):
    base = live_server.url
    for width in WIDTHS:
        context, page, problems = open_page(browser, width=width)
        log_in(page, base, "jonas")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        assert skip.evaluate("el => el === document.activeElement")
        box = skip.bounding_box()
        assert box["width"] > 50 and box["height"] > 20
        # Nothing covers it: the element at its centre is the link itself.
        centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert skip.evaluate(
            "(el, [x, y]) => el.contains(document.elementFromPoint(x, y))", list(centre)
        )
        page.keyboard.press("Enter")
        page.wait_for_url("**#main")
        context.close()


def test_buttons_are_tabbed_through_in_the_order_they_are_shown(browser, live_server, demo):
    base = live_server.url
    for width in WIDTHS:
        context, page, problems = open_page(browser, width=width)
        log_in(page, base, "hugo")
        page.get_by_role("link", name="Continue").click()
        page.wait_for_url("**?page=2")
        names = ["Previous page", "Save for later", "Save and continue"]
        buttons = [page.get_by_role("button", name=name, exact=True) for name in names]
        buttons[0].focus()
        for button in buttons[1:]:
            page.keyboard.press("Tab")
            assert button.evaluate("el => el === document.activeElement")
        # Reading order on screen: each next button is right of the last on its row,
        # or on a row below. (Measured at once: the page may still be scrolling.)
        boxes = page.evaluate(
            """names => names.map(name => {
                const button = [...document.querySelectorAll("button")]
                    .find(b => b.textContent.trim() === name);
                const r = button.getBoundingClientRect();
                return {x: r.x, y: r.y, height: r.height};
            })""",
            names,
        )
        for before, after in zip(boxes, boxes[1:], strict=False):
            same_row = abs(before["y"] - after["y"]) < before["height"]
            below = after["y"] >= before["y"] + before["height"]
            assert (same_row and after["x"] > before["x"]) or below, boxes
        # Enter in a statement still saves and goes on.
        page.locator("fieldset.likert-item").nth(1).get_by_role("radio").first.focus()
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
        page.wait_for_url("**?page=3")
        context.close()
