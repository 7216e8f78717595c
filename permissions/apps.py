from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PermissionsConfig(AppConfig):
    name = "permissions"
    verbose_name = _("Jurisdictions and roles")

    def ready(self) -> None:
        # Groups carry model permissions that other apps create in their own
        # migrations, so they are synchronised after every migrate (and every flush,
        # which empties them), the way Django creates its own permission rows.
        post_migrate.connect(_sync_groups, dispatch_uid="permissions.role_groups_sync")


def last_app_migrated() -> AppConfig:
    """The app whose post_migrate comes last: Django sends it once per app with models, in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if config.models_module is not None][-1]


def _sync_groups(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # Once, after the last app: by then every app's permission rows exist (Django's create_permissions
    # runs before this for each app). Once per app was ~20 times the same work at every migrate and flush.
    if sender is not last_app_migrated():
        return
    from .services import role_groups_sync

    role_groups_sync(using=using)
