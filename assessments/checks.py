"""Deployment checks of our own, run by ``manage.py check --deploy``."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def site_url_is_set(app_configs, **kwargs):
    """Links in e-mails are useless if they point at a developer's machine."""
    if settings.SITE_URL_SET:
        return []
    return [
        Warning(
            f"SITE_URL is not set, so the links in invitations and reminders point at "
            f"{settings.SITE_URL}.",
            hint="Set SITE_URL to the address people use to reach LVM, such as "
            "https://lvm.example.com.",
            id="assessments.W001",
        )
    ]


@register(Tags.security, deploy=True)
def mail_identity_is_set(app_configs, **kwargs):
    """Invitations from "lvm@localhost" in the name of "Our organisation" look like spam."""
    warnings = []
    if not settings.LVM_ORGANISATION_NAME_SET:
        warnings.append(
            Warning(
                f"ORGANISATION_NAME is not set, so e-mails are sent in the name of "
                f"\u201c{settings.LVM_ORGANISATION_NAME}\u201d.",
                hint="Set ORGANISATION_NAME to the name people know, such as Acme Ltd.",
                id="assessments.W002",
            )
        )
    if not settings.DEFAULT_FROM_EMAIL_SET:
        warnings.append(
            Warning(
                f"DEFAULT_FROM_EMAIL is not set, so e-mails come from "
                f"{settings.DEFAULT_FROM_EMAIL}, which mail servers often refuse.",
                hint="Set DEFAULT_FROM_EMAIL to an address of your domain, such as "
                "LVM <lvm@example.com>.",
                id="assessments.W003",
            )
        )
    return warnings
