from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    """Machinery shared by every procedure: the notification outbox, events, websockets."""

    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        # Connects the receivers that close websockets on logout, deactivation and access changes.
        from . import (
            checks,  # noqa: F401 - registers workflows.E001/E002
            events,  # noqa: F401
            services,  # noqa: F401 - marks a finished task's notifications as read
        )
