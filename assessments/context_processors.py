from django.http import HttpRequest

from .roles import roles


def navigation(request: HttpRequest) -> dict:
    """Which dashboard links the navigation shows (one query, shared with the views)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    mine = roles(user)
    return {
        "nav_is_manager": mine.sees_dashboards,
        "nav_sees_organisation": mine.sees_organisation,
    }
