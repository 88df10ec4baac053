from django.http import HttpRequest

from .roles import roles


def navigation(request: HttpRequest) -> dict:
    """Which dashboard links the navigation shows.

    Lazy: the roles query runs only if a template asks, and not at all when the view has
    already found the person managing the team on the page.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def is_manager() -> bool:
        return getattr(user, "_lvm_manages", False) or roles(user).sees_dashboards

    def sees_organisation() -> bool:
        return roles(user).sees_organisation

    return {"nav_is_manager": is_manager, "nav_sees_organisation": sees_organisation}
