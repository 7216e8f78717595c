"""The API's Swagger UI (drf-spectacular's sidecar) under the site's content security policy, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from ..chromium import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}"),
]


def test_the_swagger_ui_renders_every_operation_without_a_console_error(open_tab: Any) -> None:
    tab = open_tab("en")
    tab.log_in("director")
    response = tab.goto("/api/docs/")
    assert response.status == 200
    assert "script-src" in response.headers.get("content-security-policy", "")  # no blanket exemption
    tab.page.wait_for_selector(".opblock", timeout=15_000)
    paths = set(tab.page.locator(".opblock-summary-path").all_inner_texts())
    # Every procedure's records are there: the scripts ran, fetched the schema and rendered it.
    for expected in ("/api/v1/termination/requests/", "/api/v1/ultrasound/devices/"):
        assert any(path.replace("\u200b", "") == expected for path in paths), paths
    assert tab.console_errors == []
