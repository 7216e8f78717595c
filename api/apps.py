from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The API for hospital information systems (docs/api.md): service accounts, endpoints, webhooks."""

    name = "api"
    label = "api"
    verbose_name = _("API for hospital systems")

    def ready(self) -> None:
        from audit.actions import register_action_labels
        from audit.services import register_non_signer

        from . import schema  # noqa: F401 - the schema's authentication extensions register on import
        from .selectors import ACTION_LABELS, is_service_user

        register_action_labels(ACTION_LABELS)
        # A system files and reads; a person signs. The signing service itself refuses a service account.
        register_non_signer(is_service_user)
        # Webhooks: queued from the notification outbox, sent by the timer dispatcher's sweep.
        from workflows.events import register_outbox_listener
        from workflows.sweeps import register_sweep

        from .idempotency import idempotency_records_expire
        from .webhooks import webhook_deliveries_send, webhook_events_record

        register_outbox_listener(webhook_events_record)
        # Any change of a subscription: every process reads afresh which facilities have one.
        from django.db.models.signals import post_delete, post_save

        from .models import WebhookSubscription
        from .webhooks import subscriptions_changed

        for signal in (post_save, post_delete):
            signal.connect(
                lambda **kwargs: subscriptions_changed(),
                sender=WebhookSubscription,
                weak=False,
                dispatch_uid=f"api.webhooks.flags.{signal is post_save}",
            )
        register_sweep(webhook_deliveries_send)
        # Idempotency-Key records past API_IDEMPOTENCY_HOURS: deleted by the same dispatcher.
        register_sweep(idempotency_records_expire)
