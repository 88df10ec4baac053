from django.http import HttpRequest

from .queries import access


def navigation(request: HttpRequest) -> dict:
    """Which dashboard links the navigation shows.

    Lazy: the roles query runs only if a template asks, and not at all when the view has
    already found the person managing the team on the page.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    return {
        "nav_is_manager": lambda: access.sees_teams(user),
        "nav_sees_organisation": lambda: access.sees_organisation(user),
    }
