from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import checks, security  # noqa: F401  (register checks, signal receivers)
        from .roles import ensure_hr_group

        post_migrate.connect(ensure_hr_group, sender=self)
