"""System checks for deployment mistakes that Django's own checks miss.

Ids are stable: project.E001 and up. Documented in the README.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.compatibility, deploy=False)
def check_channel_layer(app_configs, **kwargs):  # type: ignore[no-untyped-def]
    errors = []
    backend = str(settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", ""))
    if not settings.DEBUG and backend.endswith("InMemoryChannelLayer"):
        errors.append(
            Error(
                "The in-memory channel layer only works inside one process.",
                hint="Set REDIS_URL so that notifications reach users on every web process.",
                id="project.E001",
            )
        )
    return errors


@register(Tags.database)
def check_database(app_configs, **kwargs):  # type: ignore[no-untyped-def]
    errors = []
    engine = str(settings.DATABASES["default"]["ENGINE"])
    if not settings.DEBUG and engine.endswith("sqlite3"):
        errors.append(
            Error(
                "SQLite is the embedded default and is not supported with DEBUG off.",
                hint="Set DATABASE_URL to a PostgreSQL database.",
                id="project.E002",
            )
        )
    return errors
