from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default = True  # the app's own config; LogInSecurityConfig below is django-axes's
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks, security  # noqa: F401  (register checks, signal receivers)
        from .roles import ensure_hr_group

        post_migrate.connect(ensure_hr_group, sender=self)


class LogInSecurityConfig(AxesConfig):
    """django-axes (the log-in throttle) under a name the admin's index can show: its
    tables of failed log-ins appear to superusers as "Log-in security", not "Axes"."""

    verbose_name = "Log-in security"
