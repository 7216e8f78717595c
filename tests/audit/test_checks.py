from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from audit.checks import check_audit_database_name


@pytest.mark.parametrize(
    "engine, name, expected",
    [
        ("django.db.backends.postgresql", "test_regflow", ["audit.E001"]),
        ("django.db.backends.postgresql", "regflow", []),
        ("django.db.backends.sqlite3", "test_regflow", []),
    ],
)
def test_a_production_postgres_database_named_test_star_is_refused(
    settings: Any, monkeypatch: pytest.MonkeyPatch, engine: str, name: str, expected: list[str]
) -> None:
    """The trigger lets TRUNCATE through in test_* databases, so production must never be named so."""
    monkeypatch.delattr(mail, "outbox", raising=False)  # as outside a test run
    # In place, without touching the database: this test opens no connection.
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", engine)
    monkeypatch.setitem(settings.DATABASES["default"], "NAME", name)
    errors = check_audit_database_name(None, databases=["default"])
    assert [e.id for e in errors] == expected


@pytest.mark.fonts
def test_a_missing_pdf_font_is_reported_with_the_package_to_install(settings: Any, tmp_path: Any) -> None:
    from django.core.checks import registry

    from audit.checks import check_audit_pdf_font

    # A deploy check: the demo runs without the font (PDFs fall back), production refuses to.
    assert check_audit_pdf_font in registry.registry.get_checks(include_deployment_checks=True)
    assert check_audit_pdf_font not in registry.registry.get_checks(include_deployment_checks=False)
    assert check_audit_pdf_font(None) == []
    settings.AUDIT_PDF_FONT = tmp_path / "nowhere.ttc"
    errors = check_audit_pdf_font(None)
    assert [e.id for e in errors] == ["audit.E003"] and "fonts-wqy-microhei" in errors[0].hint
