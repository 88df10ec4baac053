from django.http import HttpRequest

from .models import Membership


def navigation(request: HttpRequest) -> dict:
    """Whether to show the team dashboard links in the navigation bar (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_manager = user.is_staff or (
        Membership.objects.filter(user=user, role=Membership.Role.MANAGER).exists()
    )
    return {"nav_is_manager": is_manager}
