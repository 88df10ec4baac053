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
