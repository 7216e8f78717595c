"""What there is to fuzz: every route the resolver serves, and every form a persona is shown.

Routes come from the authorization matrix's walk of the URL resolver, with the
objects its expectations use to fill their parameters (tests/permissions), so a
new route or procedure is covered as soon as the matrix knows it. Forms are
read from the pages themselves, as each persona is served them: whatever a
flow's task page or the admin renders is what gets fuzzed, with no hand list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from tests.permissions.expectations import ENTRIES
from tests.permissions.matrix import PERSONAS, Route, Scene, Target, build_url, iter_targets, may_see, walk_routes


@dataclass
class Field:
    name: str
    kind: str  # input type, "select" or "textarea"
    choices: list[str] = field(default_factory=list)  # option / radio / checkbox values
    value: str = ""


@dataclass
class Form:
    key: str  # route key + method + field names: one form however many pages show it
    route: Route
    method: str
    action: str
    fields: dict[str, Field]
    personas: list[str]  # who was shown it

    @property
    def multipart(self) -> bool:
        return any(f.kind == "file" for f in self.fields.values())


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._current = {"method": a.get("method", "get").lower(), "action": a.get("action", ""), "fields": {}}
            self.forms.append(self._current)
            return
        form = self._current
        # viewflow's material forms render their fields as custom elements: <vf-field-input name=...>.
        if form is None or not (
            tag in {"input", "select", "textarea", "option", "button"} or tag.startswith("vf-field")
        ):
            return
        name = a.get("name", "")
        if tag == "option" and self._select is not None:
            self._select.choices.append(a.get("value", ""))
            return
        if not name or name == "csrfmiddlewaretoken":
            return
        if tag.startswith("vf-field"):
            kind = a.get("type") or tag.removeprefix("vf-field-")
        else:
            kind = a.get("type", "text").lower() if tag in {"input", "button"} else tag
        existing = form["fields"].get(name)
        if existing is None:
            existing = form["fields"][name] = Field(name=name, kind=kind, value=a.get("value", ""))
        if kind in {"radio", "checkbox", "submit"} and "value" in a:
            existing.choices.append(a["value"])
        if tag == "select" or tag == "vf-field-select":
            self._select = existing

    def handle_endtag(self, tag: str) -> None:
        if tag in {"select", "vf-field-select"}:
            self._select = None
        elif tag == "form":
            self._current = None


def forms_in(html: str, page_url: str) -> list[tuple[str, str, dict[str, Field]]]:
    parser = _FormParser()
    parser.feed(html)
    result = []
    for form in parser.forms:
        action = urlsplit(urljoin(page_url, form["action"] or page_url))
        if action.netloc not in {"", "testserver"}:
            continue
        result.append((form["method"], action.path + (f"?{action.query}" if action.query else ""), form["fields"]))
    return result


@dataclass
class Page:
    route: Route
    url: str
    target: Target | None
    personas: list[str]  # who may open it (in scope); the fuzz also tries everyone else


def pages(scene: Scene) -> list[Page]:
    """Every route with each of the objects the matrix fills it with."""
    result = []
    for route in walk_routes():
        entry = ENTRIES.get(route.key)
        if entry is None:
            continue  # the matrix reports a route without an entry
        for target in iter_targets(entry, route, scene):
            url = build_url(route, target)
            record = scene.records.get(target.record) if (target is not None and target.record) else None
            allowed = [p for p in PERSONAS if record is None or may_see(scene, p, record)]
            result.append(Page(route=route, url=url, target=target, personas=allowed))
    return result


# One persona of each kind of role: the forms a page shows depend on the role and the record's state, not on
# which of two colleagues asks. The fuzz itself posts as every persona.
DISCOVERY_PERSONAS = ("clerk", "director", "expert1", "officer", "chief", "inspector", "anonymous", "superuser")


def discover_forms(scene: Scene, clients: Any, all_pages: list[Page]) -> list[Form]:
    """Open every page as each kind of persona who may, and keep each distinct form once.

    Per route and persona, targets are tried until one answers 200 or sends the persona to a login
    page: a route is one view, and the matrix's targets for it differ in scope, which the persona's
    list already accounts for.
    """
    found: dict[str, Form] = {}
    seen: set[tuple[str, str]] = set()
    logins = {resolve_url(settings.LOGIN_URL), reverse("admin:login")}
    for page in all_pages:
        if page.target is not None and page.target.refused_to_all:
            continue  # refused to everyone (the matrix proves it): no form to find there
        for persona in page.personas:
            if persona not in DISCOVERY_PERSONAS or (page.route.key, persona) in seen:
                continue
            response, body = clients.request(persona, "GET", page.url)
            if response.status_code == 302 and urlsplit(response.get("Location", "")).path in logins:
                # Sent to a login page: the route wants another kind of user, whatever the object.
                seen.add((page.route.key, persona))
                continue
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            seen.add((page.route.key, persona))
            for method, action, fields in forms_in(body.decode(errors="replace"), page.url):
                if not fields:
                    continue
                try:
                    view = resolve(urlsplit(action).path).view_name
                except Resolver404:
                    continue
                key = f"{method.upper()} {view} {','.join(sorted(fields))}"
                if key in found:
                    if persona not in found[key].personas:
                        found[key].personas.append(persona)
                    continue
                found[key] = Form(key, page.route, method.upper(), action, fields, [persona])
    return list(found.values())


def claim_open_tasks(users: dict[str, Any]) -> int:
    """Assign every open task of every flow to the first persona allowed to take it, so that its form shows.

    (A panel's seats go to different experts: each may take one.)

    Engine-wide (viewflow's own can_assign and assign), so a new procedure's steps are reached too.
    """
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    claimed = 0
    for task in Task.objects.filter(status=STATUS.NEW).order_by("pk"):
        node = task.flow_task
        if node is None or not hasattr(node, "can_assign"):
            continue
        for user in users.values():
            if user is not None and node.can_assign(user, task):
                with task.activation() as activation:
                    activation.assign(user)
                claimed += 1
                break
    return claimed


def task_pages(users: dict[str, Any]) -> list[Page]:
    """The execute page of every task a persona holds, as its holder: where each step's form is."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    routes = {route.key: route for route in walk_routes()}
    by_user = {user.pk: persona for persona, user in users.items() if user is not None}
    result = []
    for task in Task.objects.filter(status=STATUS.ASSIGNED, owner_id__in=by_user).order_by("pk"):
        try:
            url = task.flow_task.reverse("execute", args=[task.process_id, task.pk])
            route = routes[resolve(url).view_name]
        except (NoReverseMatch, Resolver404, KeyError, AttributeError):
            continue
        result.append(Page(route=route, url=url, target=None, personas=[by_user[task.owner_id]]))
    return result
