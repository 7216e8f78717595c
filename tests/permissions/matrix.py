"""Machinery for the authorization matrix: every route, every persona, inside and outside scope.

The routes come from Django's URL resolver, walked recursively (namespaces,
viewflow's Site and its applications, the admin), so a route added anywhere
appears here without anyone remembering to list it. What each persona should
get from each route lives in tests/permissions/expectations.py; a route with
no entry there fails the matrix test.

The scope oracle below (``may_see``) is written from the rules in the issue,
not from permissions/access.py, so that the two can disagree and the test can
catch it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from django.core.signals import got_request_exception
from django.db import models, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# A login renewed when the matrix starts stays renewed for its whole run (each request's renewal would be
# rolled back with the request, and written again by the next).
MATRIX_SESSION_RENEW_SECONDS = 24 * 60 * 60

ANONYMOUS = "anonymous"
SUPERUSER = "superuser"
WORLD_PERSONAS = (
    "clerk",
    "director",
    "expert1",
    "expert2",
    "expert3",
    "officer",
    "officer2",
    "chief",
    "inspector",
    "clerk_other",
    "clerk_b",
    "officer_b",
)
PERSONAS = (*WORLD_PERSONAS, ANONYMOUS, SUPERUSER)

FACILITY_STAFF = {"clerk": "hospital_a", "director": "hospital_a", "clerk_other": "centre_a", "clerk_b": "hospital_b"}
BUREAU = {"officer": "county_a", "officer2": "county_a", "chief": "county_a", "officer_b": "county_b"}
EXPERTS = {"expert1": "county_a", "expert2": "county_a", "expert3": "county_a"}
INSPECTORS = {"inspector": "county_a"}

# --- Routes -----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the full pattern for unnamed routes
    name: str | None  # the name to reverse, when the route has one
    pattern: str
    kwarg_names: tuple[str, ...]
    login_required: bool = True  # False for views marked login_not_required

    def __str__(self) -> str:
        return f"{self.key} ({self.pattern})"


def _kwarg_names(pattern: Any) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = getattr(pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def walk_routes() -> list[Route]:
    """Every endpoint the project serves, with its full pattern and namespaced name."""
    routes: list[Route] = []

    def walk(resolver: URLResolver, prefix: str, namespaces: tuple[str, ...], kwargs: tuple[str, ...]) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(
                    entry,
                    prefix + str(entry.pattern),
                    (*namespaces, entry.namespace) if entry.namespace else namespaces,
                    (*kwargs, *_kwarg_names(entry.pattern)),
                )
            elif isinstance(entry, URLPattern):
                pattern = prefix + str(entry.pattern)
                name = ":".join((*namespaces, entry.name)) if entry.name else None
                routes.append(
                    Route(
                        key=name or pattern,
                        name=name,
                        pattern=pattern,
                        kwarg_names=(*kwargs, *_kwarg_names(entry.pattern)),
                        login_required=getattr(entry.callback, "login_required", True),
                    )
                )

    walk(get_resolver(), "", (), ())
    keys = [r.key for r in routes]
    duplicates = {k for k in keys if keys.count(k) > 1}
    assert not duplicates, f"two routes share a name, the matrix cannot tell them apart: {sorted(duplicates)}"
    return routes


# --- Records and the scope oracle ---------------------------------------------


@dataclass
class Record:
    """Something a persona may or may not see, and the strings that would betray it."""

    label: str
    obj: models.Model
    facility: str | None  # key of the World facility it belongs to
    county: str  # key of the World county it belongs to
    secrets: list[str]
    panel: bool = False  # a case that goes to the county's expert panel
    # "scoped": the rules below. "county": anyone working in or for the county
    # (people's names: a clerk sees who approved her case, never another county's staff).
    audience: str = "scoped"
    owner: str | None = None  # for audience "owner": the one persona it belongs to (a notification)


@dataclass
class Scene:
    world: Any
    superuser: Any
    records: dict[str, Record] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, record: Record) -> Record:
        self.records[record.label] = record
        return record


def city_of(world: Any, county_key: str) -> Any:
    return getattr(world, county_key).parent


FACILITY_COUNTY = {"hospital_a": "county_a", "centre_a": "county_a", "hospital_b": "county_b"}


def persona_counties(persona: str) -> set[str]:
    if persona in FACILITY_STAFF:
        return {FACILITY_COUNTY[FACILITY_STAFF[persona]]}
    for table in (BUREAU, EXPERTS, INSPECTORS):
        if persona in table:
            return {table[persona]}
    return set()


def may_see(scene: Scene, persona: str, record: Record) -> bool:
    """The rules of the issue, restated independently of permissions/access.py.

    Facility staff and directors: their own facility. Experts: cases assigned to
    their panel. Bureau officers and directors: their county. Inspectors: their
    county (or a whole city when granted it). Anonymous users see nothing.
    """
    if persona == ANONYMOUS:
        return False
    if persona == SUPERUSER:
        # The superuser administers the system through the admin, and holds no
        # jurisdiction: the procedures' pages treat them as an outsider.
        return record.audience == "county"
    if record.audience == "county":
        return record.county in persona_counties(persona)
    if record.audience == "owner":
        return persona == record.owner
    if persona in FACILITY_STAFF:
        return record.facility is not None and FACILITY_STAFF[persona] == record.facility
    if persona in BUREAU:
        return BUREAU[persona] == record.county
    if persona in EXPERTS:
        return record.panel and EXPERTS[persona] == record.county
    if persona in INSPECTORS:
        return INSPECTORS[persona] == record.county
    raise AssertionError(f"unknown persona {persona}")


def hidden_secrets(scene: Scene, persona: str) -> dict[str, str]:
    """secret string -> record label, for every record the persona may not see."""
    if persona == SUPERUSER:
        return {}
    visible = {s for r in scene.records.values() if may_see(scene, persona, r) for s in r.secrets}
    return {
        secret: record.label
        for record in scene.records.values()
        if not may_see(scene, persona, record)
        for secret in record.secrets
        if len(secret) >= 4  # blank or tiny values would match anywhere
        and secret not in visible  # a value shared with a visible record (a county name) proves nothing
    }


# --- Expectations -------------------------------------------------------------

Statuses = frozenset[int]
Rule = Callable[[str], Statuses]  # persona -> acceptable statuses


def rule(default: int | set[int], **overrides: int | set[int]) -> Rule:
    """rule(200, anonymous=302): the acceptable statuses, per persona, with a default."""

    def as_set(value: int | set[int]) -> Statuses:
        return frozenset({value} if isinstance(value, int) else value)

    table = {persona: as_set(value) for persona, value in overrides.items()}
    unknown = set(table) - set(PERSONAS)
    assert not unknown, f"unknown personas in rule: {unknown}"
    fallback = as_set(default)
    return lambda persona: table.get(persona, fallback)


@dataclass(frozen=True)
class Target:
    """One way to fill a route's URL kwargs: an object inside or outside a persona's scope."""

    kwargs: dict[str, Any]
    record: str | None  # label of the Record that owns it; None for objects without scope (the admin's)
    label: str = ""
    # Set for URLs that must be refused to everyone, whatever their scope: a
    # task URL naming another case's id, or another step's task.
    refused_to_all: bool = False
    refused_with: frozenset[int] = frozenset({404})
    # Personas to try it with, when not all of them: a mismatched URL is worth
    # trying with the people who could otherwise reach the case, plus one outsider.
    personas: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Entry:
    get: Rule  # statuses for in-scope targets (and for routes without kwargs)
    post: Rule
    targets: Callable[[Scene], list[Target]] | None = None  # needed when the route takes kwargs
    post_data: Callable[[Scene, Target], dict[str, Any]] | None = None
    # Non-GET requests an inspector may make because they touch only their own
    # session (log out, switch language). Anything else must refuse them.
    inspector_post_allowed: str = ""
    # Outsiders get 404 (existence does not leak). Only routes whose kwargs are
    # not object ids (a password-reset token) set this to False.
    out_of_scope_is_404: bool = True
    # For in-scope targets whose answer depends on the object's state (a task's
    # status and holder): (scene, target, method, persona) -> statuses.
    status_for: Callable[[Scene, Target, str, str], set[int]] | None = None
    # Statuses that answer an outsider without telling them anything; 404 always,
    # 405 too for a POST-only view that refuses a GET before looking anything up.
    out_of_scope_statuses: frozenset[int] = frozenset({404})
    # Where the outsider's answer depends on the method and on who asks (an API: 401 without a session):
    # (method, persona) -> statuses, in place of out_of_scope_statuses.
    out_of_scope_for: Callable[[str, str], set[int]] | None = None
    get_only: bool = False  # the view refuses every POST with 405, before looking anything up
    # Values of the target's own record that the route may show to anyone, by
    # design (a public certificate check shows the number it was asked about).
    public_values: Callable[[Scene, Target], set[str]] | None = None
    # For a route that writes: a valid form (issue 17), sent by every persona the route refuses, and what
    # must not change when it is refused (read inside the request's transaction, before its rollback).
    valid_post: Callable[[Scene, Target | None], dict[str, Any]] | None = None
    state_of: Callable[[Scene, Target | None], Any] | None = None


# --- Running requests -------------------------------------------------------


def body_of(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content


@dataclass
class Outcome:
    route: Route
    persona: str
    method: str
    target: Target | None
    status: int
    body: bytes
    location: str


class MatrixClient(Client):
    """Django's test client without what the matrix never reads, which costs it at every request.

    Client.request records every template rendered and a copy of its context (a page renders dozens of
    templates), and attaches a lazy resolver match and a JSON helper to the response. The matrix reads the
    status, the headers and the body only; the request still goes through the whole handler and middleware,
    and an exception a view raises is still raised here (check_exception), to be reported as a finding.
    """

    def request(self, **request: Any) -> Any:
        environ = self._base_environ(**request)
        exception_uid = f"matrix-request-exception-{id(request)}"
        got_request_exception.connect(self.store_exc_info, dispatch_uid=exception_uid)
        try:
            response = self.handler(environ)
        finally:
            got_request_exception.disconnect(dispatch_uid=exception_uid)
        self.check_exception(response)
        if response.cookies:
            self.cookies.update(response.cookies)
        return response


class PersonaClients:
    """A logged-in test client per persona, restored to its login cookie before every request."""

    def __init__(self, scene: Scene):
        self.scene = scene
        self.probed: Any = None  # what the last request's probe read, before the rollback
        self.clients: dict[str, Client] = {}
        self.cookies: dict[str, SimpleCookie] = {}
        for number, persona in enumerate(PERSONAS, start=1):
            # An address of its own (TEST-NET-1): limits by address (the public certificate check) count apart.
            client = MatrixClient(REMOTE_ADDR=f"192.0.2.{number}")
            user = self.user(persona)
            if user is not None:
                client.force_login(user)
                # Every request's session save is rolled back with the request, so the login's expiry never moves:
                # give it a day, or a run slower than SESSION_COOKIE_AGE (a loaded machine) turns everyone anonymous.
                # Its clocks started at the login: no request of the matrix renews it (MATRIX_SESSION_RENEW_SECONDS).
                session = client.session
                session.set_expiry(24 * 60 * 60)
                session.save()
            self.clients[persona] = client
            self.cookies[persona] = SimpleCookie(client.cookies.output(header="", sep="\n"))

    def user(self, persona: str) -> Any:
        if persona == ANONYMOUS:
            return None
        if persona == SUPERUSER:
            return self.scene.superuser
        return self.scene.world.users[persona]

    def request(
        self,
        persona: str,
        method: str,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        rollback: bool = True,
        probe: Callable[[], Any] | None = None,
    ) -> tuple[HttpResponse, bytes]:
        """One request, rolled back afterwards so that no request changes what the next one sees."""
        client = self.clients[persona]
        client.cookies = SimpleCookie(self.cookies[persona].output(header="", sep="\n"))
        self.probed = None
        try:
            with transaction.atomic():
                response = client.post(url, data or {}) if method == "POST" else client.get(url)
                body = body_of(response)  # read streaming bodies inside the transaction
                if probe is not None:
                    self.probed = probe()
                transaction.set_rollback(rollback)
        except Exception as exc:  # a crash is a finding like any other status: report it with the rest
            response = HttpResponse(status=500)
            body = f"{type(exc).__name__}: {exc}".encode()
        return response, body


_CONVERTER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")
_GROUP = re.compile(r"\(\?P<([^>]+)>[^)]*\)")


def build_url(route: Route, target: Target | None) -> str:
    kwargs = target.kwargs if target is not None else {}
    if route.name:
        return reverse(route.name, kwargs=kwargs)
    # Unnamed routes (the admin's redirects and catch-all): fill the pattern by hand.
    path = _CONVERTER.sub(lambda m: str(kwargs[m.group(1)]), route.pattern)
    path = _GROUP.sub(lambda m: str(kwargs[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


def iter_targets(entry: Entry, route: Route, scene: Scene) -> Iterator[Target | None]:
    if not route.kwarg_names:
        yield None
        return
    assert entry.targets is not None, f"{route} takes {route.kwarg_names}: its entry must say how to fill them"
    targets = entry.targets(scene)
    assert targets, f"{route}: the entry produced no targets"
    yield from targets
