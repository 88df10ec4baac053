"""Template filters and tags for LVM's pages: ``{% load lvm %}``."""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter(is_safe=True)
def signed(value, decimals=0):
    """A score difference as pages show it: "+3", "-2", "0", or "–" when there is none.

    Rounds half up with ``floatformat`` (``decimals`` is its argument), and puts "+" before
    a number only when it is above zero after rounding, so -0.4 reads "0". Negative numbers
    keep floatformat's "-", as the pages always showed them.
    """
    if value is None:
        return "–"
    shown = floatformat(value, decimals)
    # Decided on the text shown, so the sign always agrees with the digits next to it.
    if not shown.startswith("-") and any(digit in shown for digit in "123456789"):
        return f"+{shown}"
    return shown


class CaptureNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str):
        self.nodelist = nodelist
        self.name = name

    def render(self, context: template.Context) -> str:
        context[self.name] = self.nodelist.render(context)
        return ""


@register.tag
def capture(parser, token):
    """``{% capture as name %}…{% endcapture %}``: keeps what the body renders in a variable.

    It renders nothing in place. Includes take arguments but not blocks, so a page builds
    an argument that needs tags (an ``{% if %}``, several values) this way.
    """
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("Use {% capture as name %}…{% endcapture %}.")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])
