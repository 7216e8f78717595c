"""Every refusal leaves exactly one structured log line: user id, route, object, UTC time. No personal data."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.http import Http404
from django.test import Client

from permissions.access import access_facility_for_user, log_denied

LINE = re.compile(
    r"^access_denied user_id=(?P<user>\d+|-) route=(?P<route>\S+) object=(?P<object>\S+) "
    r"at=(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)$"
)


def denied_lines(caplog: Any) -> list[re.Match[str]]:
    records = [r for r in caplog.records if r.name == "regflow.access.denied"]
    matches = [LINE.match(r.getMessage()) for r in records]
    assert all(matches), f"unstructured denial lines: {[r.getMessage() for r in records]}"
    return [m for m in matches if m is not None]


def personal_data(world: Any) -> list[str]:
    values = []
    for user in world.users.values():
        values += [user.username, user.profile.printed_name, user.email]
    values += [world.hospital_a.name, world.hospital_b.name, world.county_a.name]
    return [v for v in values if v]


def test_an_access_function_refusal_is_one_line_naming_ids_only(world: Any, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="regflow.access.denied")
    with pytest.raises(Http404):
        access_facility_for_user(user=world.clerk_b, pk=world.hospital_a.pk)
    [line] = denied_lines(caplog)
    assert line["user"] == str(world.clerk_b.pk)
    assert line["object"] == f"facility:{world.hospital_a.pk}"
    message = caplog.records[-1].getMessage()
    assert not [value for value in personal_data(world) if value in message]


def test_a_permitted_access_logs_nothing(world: Any, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="regflow.access.denied")
    access_facility_for_user(user=world.officer, pk=world.hospital_a.pk)
    assert denied_lines(caplog) == []


def test_a_403_response_is_logged_once_with_its_route(world: Any, caplog: Any) -> None:
    """A CSRF failure is refused before any view runs; the middleware still logs it, once."""
    caplog.set_level(logging.WARNING, logger="regflow.access.denied")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.officer)
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    [line] = denied_lines(caplog)
    assert line["user"] == str(world.officer.pk)
    assert line["route"] == "logout"


def test_a_refusal_already_logged_by_an_access_function_is_not_logged_again(
    world: Any, caplog: Any, settings: Any
) -> None:
    """A view that turns an access function's refusal into a 403 still yields one line."""
    caplog.set_level(logging.WARNING, logger="regflow.access.denied")
    client = Client()
    client.force_login(world.clerk_b)
    settings.ROOT_URLCONF = "tests.permissions.urls_denied"
    response = client.get(f"/facility/{world.hospital_a.pk}/")
    assert response.status_code == 403
    [line] = denied_lines(caplog)
    assert line["route"] == "facility_probe"
    assert line["object"] == f"facility:{world.hospital_a.pk}"


def test_an_anonymous_refusal_has_no_user_id(caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="regflow.access.denied")
    log_denied(user=None, route="somewhere", obj="thing:1")
    [line] = denied_lines(caplog)
    assert line["user"] == "-"
    assert line["route"] == "somewhere"
