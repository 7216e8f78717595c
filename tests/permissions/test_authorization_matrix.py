"""The authorization matrix: every route the resolver serves, times every persona, GET and POST.

Each route is requested with objects inside and outside the persona's scope.
The status must be the one tests/permissions/expectations.py gives (outsiders:
404, so existence does not leak), and no value of a record the persona may not
see may appear in any response body: pages, errors, exports and redirects alike.
"""

from __future__ import annotations

import os
from typing import Any

from .expectations import ENTRIES
from .matrix import (
    ANONYMOUS,
    PERSONAS,
    WORLD_PERSONAS,
    PersonaClients,
    Scene,
    build_url,
    hidden_secrets,
    iter_targets,
    may_see,
    walk_routes,
)

MAX_REPORTED = 60


def test_every_route_has_an_expectation() -> None:
    routes = walk_routes()
    missing = [str(route) for route in routes if route.key not in ENTRIES]
    assert not missing, (
        "These routes have no entry in tests/permissions/expectations.py; decide who may use them:\n  "
        + "\n  ".join(missing)
    )


def test_no_expectation_is_left_for_a_route_that_is_gone() -> None:
    keys = {route.key for route in walk_routes()}
    stale = sorted(set(ENTRIES) - keys)
    assert not stale, f"expectations for routes the resolver no longer serves: {stale}"


def refusals(entry: Any, method: str) -> frozenset[int]:
    """What an outsider may get: 404; and 405 for a POST to a view that takes no POST from anyone."""
    if method == "POST" and (entry.get_only or all(entry.post(p) == {405} for p in WORLD_PERSONAS)):
        return entry.out_of_scope_statuses | {405}
    return entry.out_of_scope_statuses


def expected_statuses(entry: Any, route: Any, method: str, persona: str, scene: Scene, target: Any) -> frozenset[int]:
    login = frozenset({302}) if route.login_required else None
    if target is not None and target.refused_to_all:
        return login if (persona == ANONYMOUS and login) else refusals(entry, method) | target.refused_with
    if target is not None and target.record is not None and entry.out_of_scope_is_404:
        if persona == ANONYMOUS and login:
            return login
        if not may_see(scene, persona, scene.records[target.record]):
            return refusals(entry, method)
    if entry.status_for is not None and target is not None and persona != ANONYMOUS:
        return frozenset(entry.status_for(scene, target, method, persona))
    return (entry.get if method == "GET" else entry.post)(persona)


def test_every_route_answers_every_persona_as_expected_and_leaks_nothing(scene: Scene) -> None:
    clients = PersonaClients(scene)
    secrets = {persona: hidden_secrets(scene, persona) for persona in PERSONAS}
    failures: list[str] = []
    checked = 0
    only = os.environ.get("MATRIX_ROUTES", "")  # a key prefix, to rerun part of the matrix while working
    for route in walk_routes():
        entry = ENTRIES.get(route.key)
        if entry is None or not route.key.startswith(only):
            continue  # a missing entry is reported by test_every_route_has_an_expectation
        for target in iter_targets(entry, route, scene):
            url = build_url(route, target)
            for method in ("GET", "POST"):
                for persona in target.personas if (target is not None and target.personas) else PERSONAS:
                    data = entry.post_data(scene, target) if (method == "POST" and entry.post_data) else None
                    response, body = clients.request(persona, method, url, data)
                    checked += 1
                    where = f"{method} {url} [{route.key}] as {persona}"
                    expected = expected_statuses(entry, route, method, persona, scene, target)
                    if response.status_code not in expected:
                        detail = body[:200].decode(errors="replace") if response.status_code >= 500 else ""
                        failures.append(f"{where}: {response.status_code}, expected {sorted(expected)} {detail}")
                    if persona == ANONYMOUS and route.login_required and response.status_code == 302:
                        location = response.get("Location", "")
                        if "login" not in location:
                            failures.append(f"{where}: anonymous redirected to {location}, not to a login page")
                    # The persona typed the URL: its echo (a login redirect's ?next=) reveals nothing.
                    text = (body + response.get("Location", "").encode()).replace(url.encode(), b"")
                    public = entry.public_values(scene, target) if (entry.public_values and target) else set()
                    for secret, label in secrets[persona].items():
                        if secret.encode() in text and secret not in public:
                            failures.append(f"{where}: the body shows {secret!r} of {label}, outside the scope")
    assert checked > 0
    assert not failures, f"{len(failures)} of {checked} requests went wrong:\n  " + "\n  ".join(failures[:MAX_REPORTED])
