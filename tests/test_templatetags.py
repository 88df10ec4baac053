"""The template filters in assessments/templatetags/lvm.py."""

from decimal import Decimal

import pytest
from django.template import Context, Template, TemplateSyntaxError

from assessments.templatetags.lvm import signed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12.4, "+12"),
        (12.5, "+13"),
        (-12.5, "-13"),
        (0.5, "+1"),
        (0.4, "0"),
        (-0.4, "0"),
        (-0.5, "-1"),
        (0, "0"),
        (0.0, "0"),
        (-0.0, "0"),
        (7, "+7"),
        (-7, "-7"),
        (Decimal("2.5"), "+3"),
        (None, "–"),
    ],
)
def test_signed_rounds_half_up_to_whole_and_marks_only_numbers_above_zero(value, expected):
    """A "+" only when the whole number shown is above zero; "–" when there is no number."""
    assert signed(value) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (12.4, 1, "+12.4"),
        (12.45, 1, "+12.5"),
        (-0.04, 1, "0.0"),
        (-0.05, 1, "-0.1"),
        (0.04, 1, "0.0"),
        (0, 2, "0.00"),
        (-3.456, 2, "-3.46"),
        (None, 1, "–"),
    ],
)
def test_signed_takes_a_number_of_decimals(value, decimals, expected):
    """With decimals the sign follows the rounded figure, so -0.04 to one decimal is "0.0"."""
    assert signed(value, decimals) == expected


@pytest.mark.parametrize("value", [12.4, 12.5, -0.4, -0.5, 0, 0.5, -12.5, 99.5, -99.5, 1.45])
def test_signed_shows_what_the_pages_showed_before_it(value):
    """The same text as the idiom it replaced: a "+" when >= 0.5, then floatformat:0."""
    old = Template("{% if x >= 0.5 %}+{% endif %}{{ x|floatformat:0 }}")
    new = Template("{% load lvm %}{{ x|signed }}")
    assert new.render(Context({"x": value})) == old.render(Context({"x": value}))


def test_signed_in_a_template_takes_decimals_as_its_argument():
    """{{ x|signed:1 }} shows one decimal."""
    assert Template("{% load lvm %}{{ x|signed:1 }}").render(Context({"x": 2.25})) == "+2.3"


def test_something_that_is_not_a_number_shows_nothing():
    """Like floatformat, text that is not a number renders as an empty string."""
    assert signed("abc") == ""


def test_capture_keeps_what_its_body_renders_and_shows_nothing_in_place():
    """{% capture as x %} renders its body (escaped as usual) into x for later use."""
    template = Template(
        "{% load lvm %}[{% capture as note %}{% if n %}{{ n }} of {{ k }}{% endif %}"
        " <b>{% endcapture %}]{{ note }}"
    )
    assert template.render(Context({"n": 3, "k": "<5>"})) == "[]3 of &lt;5&gt; <b>"


def test_capture_without_as_is_a_syntax_error():
    """The only form is {% capture as name %}."""
    with pytest.raises(TemplateSyntaxError):
        Template("{% load lvm %}{% capture note %}x{% endcapture %}")
