"""A system files and reads; a person signs. No API route decides, and the signing service refuses a system."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import get_resolver

from audit.services import signature_sign
from workflows.termination.models import TerminationCase

from .test_termination_api import filing, post

pytestmark = pytest.mark.django_db


def _api_routes() -> list[str]:
    names = []

    def walk(patterns: Any, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            else:
                names.append(route)

    walk(get_resolver().url_patterns, "")
    return [name for name in names if name.startswith("api/v1/")]


def test_no_api_route_decides_signs_or_amends() -> None:
    routes = _api_routes()
    assert routes, "the API has routes"
    for word in ("sign", "decide", "approve", "review", "opinion", "reject", "execute", "assign"):
        assert not [route for route in routes if word in route], word


def test_the_signing_service_refuses_a_system(world: Any, system: Any) -> None:
    case = TerminationCase.objects.get(pk=post(system, filing()).json()["id"])
    with pytest.raises(PermissionDenied):
        signature_sign(signer=system.account.user, meaning="approve", obj=case, content={"case": case.pk})
    assert not case.task_set.filter(owner=system.account.user, finished__isnull=True).exists()


def test_a_bearer_token_opens_no_page(world: Any, system: Any) -> None:
    case_id = post(system, filing()).json()["id"]
    response = system.http.get(f"/procedures/termination/{case_id}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = system.http.post(f"/procedures/termination/{case_id}/withdraw/", {"reason": "x"})
    assert response.status_code in {302, 403}
    assert TerminationCase.objects.get(pk=case_id).ended_at is None


def test_the_service_user_cannot_sign_in_with_a_password(world: Any, system: Any) -> None:
    assert not system.account.user.has_usable_password()
