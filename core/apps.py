from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The bottom layer: what no procedure owns (encrypted fields, keyed hashes, validators)."""

    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
