from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project package as an app: system checks and project-wide commands."""

    name = "project"
    verbose_name = "Regflow"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
