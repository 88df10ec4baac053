from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from . import security  # noqa: F401  (connects its signal receivers)
