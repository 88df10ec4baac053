"""Security log: failed log-ins and refused requests go to the ``lvm.security`` logger."""

import hashlib
import ipaddress
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from .forms import PasswordResetForm

logger = logging.getLogger("lvm.security")

REFUSED = {400, 403, 404, 405}


def _address(entry: str) -> str | None:
    """An IP address from an X-Forwarded-For entry (ports and brackets dropped), or None."""
    entry = entry.strip()
    if entry.startswith("["):  # [2001:db8::1]:443
        end = entry.find("]")
        entry = entry[1:end] if end > 0 else ""
    elif entry.count(":") == 1:  # 1.2.3.4:5678
        entry = entry.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind PROXY_COUNT trusted proxies the
    address the outermost of them put into X-Forwarded-For (clients can't spoof it: the
    entries they send themselves stand further left and are ignored).

    An entry that is not an address (``unknown``, garbage) is logged and REMOTE_ADDR is
    used: a header's content never breaks a request.
    """
    proxies = settings.LVM_PROXY_COUNT
    forwarded = request.headers.get("x-forwarded-for", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = _address(hops[-proxies])
            if address is not None:
                return address
            logger.warning(
                "unusable X-Forwarded-For entry %r; using REMOTE_ADDR", hops[-proxies][:100]
            )
    return request.META.get("REMOTE_ADDR")


def _client(request: HttpRequest | None) -> str:
    return (client_ip(request) or "?") if request is not None else "?"


@receiver(user_login_failed)
def log_failed_login(sender, credentials, request=None, **kwargs):
    logger.warning(
        "failed login for username=%r from %s",
        str(credentials.get("username") or "")[:AXES_USERNAME_LIMIT],
        _client(request),
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


class PrivateResponseMiddleware:
    """Every response to a signed-in person is ``no-store``, error pages included.

    They show the person's name in the navigation, so no shared cache may keep them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


# django-axes records a failed attempt's username in a 255-character column: a longer
# one must not reach it (PostgreSQL would refuse the row and the log-in page would fail).
# 254 is the longest e-mail address, which people may type instead of their username.
AXES_USERNAME_LIMIT = 254


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """What axes records and locks on: the account's username when what was typed names an
    account, by username or by e-mail address in any case; otherwise what was typed, an
    address lower-cased, cut to the longest an address can be.

    So ``alice``, ``alice@example.com`` and ``Alice@Example.com`` share one budget of
    guesses, and a success under any of them clears the failures of all (axes forgets a
    successful person's failures under their username). An address names an account the
    way log-in reads it (``EmailOrUsernameBackend``); the lookup is made once per request.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    typed = source.get(settings.AXES_USERNAME_FORM_FIELD) if source else None
    if not isinstance(typed, str):
        return typed
    typed = typed.strip()
    if "@" not in typed:
        return typed[:AXES_USERNAME_LIMIT]
    known = getattr(request, "_lvm_throttle_keys", None) if request is not None else None
    if known is None:
        known = {}
        if request is not None:
            request._lvm_throttle_keys = known
    if typed not in known:
        from .backends import EmailOrUsernameBackend

        account = EmailOrUsernameBackend.account(typed[:AXES_USERNAME_LIMIT])
        key = account.get_username() if account is not None else typed.lower()
        known[typed] = key[:AXES_USERNAME_LIMIT]
    return known[typed]


class LogoutView(auth_views.LogoutView):
    """Log out; an unsafe ``?next=`` ends on the logged-out page, not on a 405."""

    def get_default_redirect_url(self) -> str:
        # The same URL as this request makes the view render the logged-out page.
        return self.request.get_full_path()


class PasswordResetView(auth_views.PasswordResetView):
    """Password reset with a limit per address and per client, so no inbox can be flooded.

    Over the limit nothing is sent, and the page is the same as when an e-mail is sent:
    the limit must not tell anyone whether an address has an account. Refusals are logged.
    Someone who has no password yet (an expired invitation) gets a link to choose one.
    """

    form_class = PasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        from .models import PasswordResetRequest

        now = timezone.now()
        window = now - timedelta(hours=1)
        address = form.cleaned_data["email"].strip().lower()
        digest = hashlib.sha256(address.encode()).hexdigest()
        ip = client_ip(self.request)
        requests = PasswordResetRequest.objects.filter(requested_at__gte=window)
        too_many = requests.filter(
            address_digest=digest
        ).count() >= settings.LVM_RESETS_PER_ADDRESS_PER_HOUR or (
            ip is not None
            and requests.filter(ip_address=ip).count() >= settings.LVM_RESETS_PER_IP_PER_HOUR
        )
        PasswordResetRequest.objects.filter(requested_at__lt=now - timedelta(days=1)).delete()
        if too_many:
            logger.warning(
                "password reset refused (limit reached) for address digest %s from %s",
                digest[:12],
                ip or "?",
            )
            return HttpResponseRedirect(self.get_success_url())
        PasswordResetRequest.objects.create(address_digest=digest, ip_address=ip, requested_at=now)
        return super().form_valid(form)
