from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    """Machinery shared by every procedure: the notification outbox, events, websockets."""

    name = "workflows"
    verbose_name = _("Workflows")
