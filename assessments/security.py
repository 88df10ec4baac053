"""Security log: failed log-ins and refused requests go to the ``lvm.security`` logger."""

import logging

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("lvm.security")

REFUSED = {400, 403, 404, 405}


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind PROXY_COUNT trusted proxies the
    address the outermost of them put into X-Forwarded-For (clients can't spoof it: the
    entries they send themselves stand further left and are ignored)."""
    proxies = settings.LVM_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


def _client(request: HttpRequest | None) -> str:
    return (client_ip(request) or "?") if request is not None else "?"


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
