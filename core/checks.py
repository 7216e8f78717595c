"""Deployment checks for patient-data protection. Ids: core.E001 and up."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_field_keys(app_configs, **kwargs):  # type: ignore[no-untyped-def]
    if getattr(settings, "FIELD_KEYS_ARE_DEVELOPMENT", False):
        return [
            Error(
                "Patient fields are encrypted with the built-in development keys.",
                hint="Set FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY (see .env.example).",
                id="core.E001",
            )
        ]
    return []
