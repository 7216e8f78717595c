"""The API fuzzed against its own OpenAPI schema (schemathesis): every endpoint, three callers.

For each operation of /api/schema/, generated requests go out as a facility's system (all scopes), as
another county's facility's system, and with no token. Whatever is sent: no 5xx, a status the schema
documents, the content type it documents, and a body that conforms. Examples are few per operation
(FUZZ_API_EXAMPLES, default 8) so that CI stays within about two minutes.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import make_system

APP = get_wsgi_application()
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", APP)
EXAMPLES = int(os.environ.get("FUZZ_API_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def callers(world: Any) -> Any:
    """Three callers' headers; meanwhile, as Django's test client does, the WSGI app must not close the
    test's connection between requests (the tokens are fetched first: the test client reconnects it)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    own = make_system(world)
    other = make_system(world, facility=world.hospital_b)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {
        "facility": {"Authorization": f"Bearer {own.token}"},
        "outsider": {"Authorization": f"Bearer {other.token}"},
        "anonymous": {},
    }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_conforms_to_its_schema_for_every_caller(case: Any, callers: dict[str, dict[str, str]]) -> None:
    from django.core.cache import cache

    for name, headers in callers.items():
        cache.clear()  # throttles are their own test; here every request must be answered on its merits
        response = case.call_and_validate(headers={**(case.headers or {}), **headers}, checks=CHECKS, app=APP)
        assert response.status_code < 500, name
