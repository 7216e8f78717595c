"""Every page a persona reaches names itself in its <title>: per route, never just the site's name."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve

from workflows.termination.flows import TerminationFlow as F

pytestmark = pytest.mark.django_db

GENERIC_TITLES = {"Regflow", "Django Material", ""}
# Not pages: downloads, exports, the chart image, actions reached by POST, and other sites' pages.
SKIP = re.compile(r"/(documents/\d+/|chart/|certificate/|pdf/|csv/|logout/|i18n/|admin/|static/|jsi18n/|verify/)")
PERSONAS = ["clerk", "director", "expert1", "officer", "chief", "inspector", "clerk_b", "officer_b"]
MAX_PAGES = 60
ORIGIN = "http://testserver"


def route_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def crawl(client: Any) -> dict[str, tuple[str, str]]:
    """Follow links from the workspace, breadth first: {path: (route, title)} of every HTML page reached."""
    seen: dict[str, tuple[str, str]] = {}
    queue, queued = ["/"], {"/"}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        response = client.get(path, follow=True)
        if response.redirect_chain:
            path = urlsplit(urljoin(ORIGIN + path, response.redirect_chain[-1][0])).path
            if path in seen:
                continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode()
        title = re.search(r"<title>(.*?)</title>", page, re.S)
        seen[path] = (route_of(path) or path, html.unescape(title.group(1)).strip() if title else "")
        for href in re.findall(r'href="([^"#]+)"', page):
            target = urljoin(ORIGIN + path, html.unescape(href))
            parts = urlsplit(target)
            if parts.netloc != "testserver" or SKIP.search(parts.path) or parts.query:
                continue
            target = parts.path
            if target not in queued and route_of(target) is not None:
                queued.add(target)
                queue.append(target)
    return seen


@pytest.fixture
def cases(driver: Any, world: Any) -> None:
    returned = driver.submit(pathway="widowed")
    driver.act(world.director, returned, F.review, {"decision": "return", "reason": "Need the original"})
    bureau = driver.submit(pathway="divorced")
    driver.act(world.director, bureau, F.review, {"decision": "forward"})
    driver.submit(pathway="maternal")  # waits for the panel
    driver.submit(pathway="unmarried")  # waits for the director


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_a_persona_reaches_has_its_own_title(cases: Any, world: Any, login: Any, persona: str) -> None:
    pages = crawl(login(getattr(world, persona)))
    reached = {route for route, _title in pages.values()}
    assert {"workspace:index", "notifications:index", "procedures:termination:index"} <= reached, reached
    generic = {path: title for path, (_route, title) in pages.items() if title in GENERIC_TITLES}
    assert not generic, generic
    routes_by_title: dict[str, set[str]] = defaultdict(set)
    for route, title in pages.values():
        routes_by_title[title].add(route)
    shared = {title: routes for title, routes in routes_by_title.items() if len(routes) > 1}
    assert not shared, shared
