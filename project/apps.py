import axes.apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectConfig(AppConfig):
    """The project package as an app: system checks and project-wide commands."""

    name = "project"
    verbose_name = "Regflow"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401 - registers the system checks
        from .middleware import session_clocks_start

        user_logged_in.connect(session_clocks_start, dispatch_uid="regflow.session_clocks_start")


class AxesConfig(axes.apps.AppConfig):
    """django-axes, with a name for its section of the admin (it has none: the admin showed "AXES" untranslated)."""

    default = False  # named in INSTALLED_APPS; ProjectConfig stays the project's own config
    verbose_name = _("Login attempts")
