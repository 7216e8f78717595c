"""System checks for the audit trail and its copies. Ids: audit.E001 and up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.checks import Error, Tags, register


@register(Tags.database)
def check_audit_database_name(app_configs: Any, databases: Any = None, **kwargs: Any) -> list[Error]:
    """The append-only trigger lets TRUNCATE through in databases named test_* (for Django's test runner)."""
    if hasattr(mail, "outbox"):  # inside a test run, where test_* is exactly right
        return []
    errors = []
    for alias in databases or []:
        config = settings.DATABASES[alias]
        if str(config.get("ENGINE", "")).endswith("postgresql") and str(config.get("NAME", "")).startswith("test_"):
            errors.append(
                Error(
                    f"Database {alias!r} is named {config['NAME']!r}: the audit trail's append-only trigger lets "
                    "TRUNCATE through in databases named test_*, which Django reserves for test runs.",
                    hint="Rename the database (DATABASE_URL).",
                    id="audit.E001",
                )
            )
    return errors


@register(deploy=True)
def check_audit_pdf_font(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Audit PDFs embed settings.AUDIT_PDF_FONT; without it they fall back to a font readers must supply."""
    path = Path(settings.AUDIT_PDF_FONT)
    if path.is_file():
        return []
    return [
        Error(
            f"The font that audit PDFs embed is missing: {path}.",
            hint="Install Debian's fonts-wqy-microhei, or set AUDIT_PDF_FONT to a TrueType CJK font (.ttf or .ttc).",
            id="audit.E003",
        )
    ]


@register(Tags.security, deploy=True)
def check_audit_chain_keys(app_configs: Any, **kwargs: Any) -> list[Error]:
    if getattr(settings, "AUDIT_CHAIN_KEYS_ARE_DEVELOPMENT", False):
        return [
            Error(
                "Audit events are sealed with the built-in development key: anyone can re-seal a rewritten trail.",
                hint="Set AUDIT_CHAIN_KEYS (see .env.example and docs/audit.md).",
                id="audit.E002",
            )
        ]
    return []
