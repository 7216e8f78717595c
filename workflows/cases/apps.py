from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """The shared case kit: what every procedure's case, documents and certificates have in common."""

    name = "workflows.cases"
    label = "cases"
    verbose_name = _("Procedure kit")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
