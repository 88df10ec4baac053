"""End to end in a real headless Chromium: HR reads and sorts the heatmap of the demo."""

import os
import shutil
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import CHROMIUM, axe_violations, log_in, open_page

if not shutil.which(CHROMIUM) and not os.environ.get("LVM_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _open_spring_overview(page, base):
    page.goto(f"{base}/organisation/")
    page.get_by_label("Cycle", exact=True).select_option(label="Spring 2026")
    page.get_by_role("button", name="Show", exact=True).click()
    page.get_by_text("Spring 2026 · minimum group size").wait_for()


def _team_order(page) -> list[str]:
    return page.locator("table.hm-table tbody th[scope=row]").all_inner_texts()


def test_hr_reads_and_sorts_the_heatmap_on_desktop_and_phone(browser, live_server, demo):
    base = live_server.url
    for width in (1280, 375):
        context, page, problems = open_page(browser, width=width)
        log_in(page, base, "helga")
        _open_spring_overview(page, base)
        heatmap = page.get_by_role("table", name="Average per team and dimension in Spring 2026")
        heatmap.scroll_into_view_if_needed()
        assert heatmap.is_visible()
        # Organisation for reference, then the five demo teams by name; the two teams
        # below k are withheld, with no number.
        names = _team_order(page)
        assert names[0] == "Organisation" and len(names) == 6
        assert names[1:] == sorted(names[1:])
        withheld = heatmap.get_by_role("row", name="People and Culture")
        assert withheld.get_by_text("Withheld to protect privacy").is_visible()
        assert not any(ch.isdigit() for ch in withheld.inner_text())
        assert page.get_by_text("10 or more above").is_visible()  # the legend

        # Sort by Vision, highest first: a plain link, then back the other way.
        page.get_by_role("link", name="Vision (sort highest first)").click()
        page.wait_for_url("**sort=vision&dir=desc#heatmap")
        assert parse_qs(urlparse(page.url).query)["sort"] == ["vision"]
        header = heatmap.get_by_role("columnheader", name="Vision")
        assert header.get_attribute("aria-sort") == "descending"
        vision = [
            int(row.locator("td").nth(1).inner_text().split()[0].rstrip("▲▼"))
            for row in page.locator("table.hm-table tbody tr").all()[1:]
            if row.locator("td").count() > 1
        ]
        assert len(vision) == 3 and vision == sorted(vision, reverse=True)
        assert _team_order(page)[-2:] == ["Design Studio", "People and Culture"]

        # The scroll region takes keyboard focus; the page itself never scrolls sideways.
        region = page.get_by_role("region", name="Heatmap of teams and dimensions")
        region.focus()
        assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert axe_violations(page) == ""
        assert not [p for p in problems if "Content Security Policy" in p]
        context.close()
