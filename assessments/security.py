"""Security log: failed log-ins and refused requests go to the ``lvm.security`` logger."""

import logging

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("lvm.security")

REFUSED = {400, 403, 404, 405}


def _client(request: HttpRequest | None) -> str:
    return request.META.get("REMOTE_ADDR", "?") if request is not None else "?"


@receiver(user_login_failed)
def log_failed_login(sender, credentials, request=None, **kwargs):
    logger.warning(
        "failed login for username=%r from %s", credentials.get("username"), _client(request)
    )


class RefusedRequestLogMiddleware:
    """Logs every request that was refused (400, 403, 404, 405) with who asked for what."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in REFUSED:
            user = getattr(request, "user", None)
            who = user.get_username() if user is not None and user.is_authenticated else "-"
            logger.info(
                "refused %s %s with %s for user=%s from %s",
                request.method,
                request.path,
                response.status_code,
                who,
                _client(request),
            )
        return response
