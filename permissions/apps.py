from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PermissionsConfig(AppConfig):
    name = "permissions"
    verbose_name = _("Jurisdictions and roles")

    def ready(self) -> None:
        # Groups carry model permissions that other apps create in their own
        # migrations, so they are synchronised after every migrate, the way
        # Django creates its own permission rows.
        post_migrate.connect(_sync_groups, dispatch_uid="permissions.role_groups_sync")


def _sync_groups(sender, using="default", **kwargs):  # type: ignore[no-untyped-def]
    from .services import role_groups_sync

    role_groups_sync(using=using)
