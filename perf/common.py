"""What the benchmark and the load test share: Django outside manage.py, team sizes, times.

Importing this module imports neither Django's models nor Locust.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_django(*, database_url: str | None = None) -> None:
    """Set Django up with the project's settings, as ``manage.py`` would."""
    import django

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lvm_site.settings"
    if database_url is not None:
        os.environ["DATABASE_URL"] = database_url
    django.setup()


def split_into_teams(
    people: int, draw: Callable[[], int], *, smallest: int, largest: int | None = None
) -> list[int]:
    """Team sizes adding up to ``people``, each asked of ``draw``, none below ``smallest``.

    A remainder that would make a team smaller than ``smallest`` joins the last team,
    unless that team would grow beyond ``largest``: then the last team leaves exactly
    ``smallest`` people for one more.
    """
    if 0 < people < smallest:
        raise ValueError(f"{people} people cannot make a team of at least {smallest}.")
    sizes: list[int] = []
    left = people
    while left > 0:
        size = min(draw(), left)
        if 0 < left - size < smallest:
            size = left if largest is None or left <= largest else left - smallest
        sizes.append(size)
        left -= size
    return sizes


def duration(seconds: float) -> str:
    """A time for a report: milliseconds below a second, seconds above; "–" for none."""
    if math.isnan(seconds):
        return "–"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms"


class _FormReader(HTMLParser):
    """The POST forms of a page: action, hidden fields and the names of all fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str], set[str]]] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form" and attr.get("method", "").lower() == "post":
            self.inside = True
            self.forms.append((attr.get("action", ""), {}, set()))
        elif tag in ("input", "select", "textarea", "button") and self.inside and "name" in attr:
            _, hidden, names = self.forms[-1]
            names.add(attr["name"])
            if attr.get("type") == "hidden":
                hidden[attr["name"]] = attr.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def post_form(html: str, *, having: str) -> tuple[str | None, dict[str, str]]:
    """The action and hidden fields of the page's first POST form with a field ``having``,
    as a browser would send them.

    The action is None without such a form, and "" for a form that posts to its own page.
    """
    reader = _FormReader()
    reader.feed(html)
    for action, hidden, names in reader.forms:
        if having in names:
            return action, hidden
    return None, {}
