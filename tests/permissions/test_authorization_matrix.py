"""The authorization matrix: every route the resolver serves, times every persona, GET and POST.

Each route is requested with objects inside and outside the persona's scope.
The status must be the one tests/permissions/expectations.py gives, with each procedure's entries from its
test-scene module (tests/procedures.py), (outsiders:
404, so existence does not leak), and no value of a record the persona may not
see may appear in any response body: pages, errors, exports and redirects alike.
POSTs are empty (to a GET-only view, on its first target only: it refuses them
before looking anything up); a route that writes also gets a valid form from every
persona who may not use it (issue 17), which must be refused and change nothing.

One test per route, so that a failure names its route. The scene is built once
for the module, inside a transaction that is rolled back at the end; each test
runs in a savepoint of it, and each request in a savepoint of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from tests.conftest import build_world
from tests.procedures import PROCEDURES, PROCEDURES_WITHOUT_SCENE

from .expectations import ENTRIES, build_scene
from .matrix import (
    ANONYMOUS,
    MATRIX_SESSION_RENEW_SECONDS,
    PERSONAS,
    WORLD_PERSONAS,
    PersonaClients,
    Route,
    Scene,
    build_url,
    hidden_secrets,
    iter_targets,
    may_see,
    walk_routes,
)

MAX_REPORTED = 60
ONLY = os.environ.get("MATRIX_ROUTES", "")  # a key prefix, to rerun part of the matrix while working
ROUTES = [route for route in walk_routes() if route.key.startswith(ONLY)]


@dataclass
class Matrix:
    scene: Scene
    clients: PersonaClients
    secrets: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def matrix(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Matrix]:
    """The world, the scene and a logged-in client per persona: built once, rolled back after the last route."""
    with (
        django_db_blocker.unblock(),
        override_settings(SESSION_RENEW_SECONDS=MATRIX_SESSION_RENEW_SECONDS),
        transaction.atomic(),
    ):
        scene = build_scene(build_world())
        clients = PersonaClients(scene)
        yield Matrix(scene, clients, {persona: hidden_secrets(scene, persona) for persona in PERSONAS})
        transaction.set_rollback(True)


def test_every_route_has_an_expectation() -> None:
    missing = [str(route) for route in walk_routes() if route.key not in ENTRIES]
    assert not missing, (
        "These routes have no entry in tests/permissions/expectations.py (a procedure's: its test-scene module's"
        " matrix_entries()); decide who may use them:\n  " + "\n  ".join(missing)
    )


def test_every_registered_procedure_has_matrix_entries() -> None:
    """A procedure's routes are its scene module's business (matrix_entries()): this names one that forgot."""
    missing = PROCEDURES_WITHOUT_SCENE + [p.code for p in PROCEDURES if p.matrix_entries is None]
    assert not missing, f"registered procedures whose test-scene module has no matrix_entries(): {missing}"


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
            if entry.out_of_scope_for is not None:
                return frozenset(entry.out_of_scope_for(method, persona))
            return refusals(entry, method)
    if entry.status_for is not None and target is not None and persona != ANONYMOUS:
        return frozenset(entry.status_for(scene, target, method, persona))
    return (entry.get if method == "GET" else entry.post)(persona)


# Statuses that refuse a request outright. A valid form is sent only to personas refused like this.
REFUSED = frozenset({302, 403, 404, 405})


def refused_valid_forms(entry: Any, route: Route, matrix: Matrix, target: Any, url: str, personas: Any) -> list[str]:
    """A well-formed form from each persona the route refuses: refused just the same, and nothing changed."""
    scene, failures = matrix.scene, []
    probe = (lambda: entry.state_of(scene, target)) if entry.state_of else None
    for persona in personas:
        expected = expected_statuses(entry, route, "POST", persona, scene, target)
        if not expected <= REFUSED:
            continue  # the persona may use the route: the empty POST above checked its answer
        before = probe() if probe else None
        response, _body = matrix.clients.request(persona, "POST", url, entry.valid_post(scene, target), probe=probe)
        if response.status_code not in expected:
            failures.append(f"valid POST {url} as {persona}: {response.status_code}, expected {sorted(expected)}")
        if probe is not None and matrix.clients.probed != before:
            failures.append(f"valid POST {url} as {persona}: changed {before} to {matrix.clients.probed}")
    return failures


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=[route.key for route in ROUTES])
def test_route_answers_every_persona_as_expected_and_leaks_nothing(route: Route, matrix: Matrix) -> None:
    entry = ENTRIES.get(route.key)
    if entry is None:
        pytest.skip("no expectation: test_every_route_has_an_expectation names it")
    scene, clients = matrix.scene, matrix.clients
    failures: list[str] = []
    checked = 0
    for index, target in enumerate(iter_targets(entry, route, scene)):
        url = build_url(route, target)
        personas = target.personas if (target is not None and target.personas) else PERSONAS
        public = entry.public_values(scene, target) if (entry.public_values and target) else set()
        # A GET-only view refuses a POST before it looks anything up: its answer cannot depend on the target,
        # so every persona's POST is tried on the first target only (insiders and outsiders alike).
        methods = ("GET",) if (entry.get_only and index > 0) else ("GET", "POST")
        for method in methods:
            for persona in personas:
                data = entry.post_data(scene, target) if (method == "POST" and entry.post_data) else None
                response, body = clients.request(persona, method, url, data)
                checked += 1
                where = f"{method} {url} as {persona}"
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
                for secret, label in matrix.secrets[persona].items():
                    if secret.encode() in text and secret not in public:
                        failures.append(f"{where}: the body shows {secret!r} of {label}, outside the scope")
        if entry.valid_post is not None:
            failures += refused_valid_forms(entry, route, matrix, target, url, personas)
            checked += len(personas)
    assert checked > 0
    assert not failures, f"{len(failures)} of {checked} requests went wrong:\n  " + "\n  ".join(failures[:MAX_REPORTED])
