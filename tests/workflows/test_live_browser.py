"""The live script in a real browser: Debian's Chromium driven by playwright, against daphne.

An officer keeps the termination queue open; a clerk submits an emergency
request (which goes straight to the bureau) from another browser context. The
new task must appear in the officer's queue without a reload, carried by a
push on the socket, with a toast and the unread badge. How fast is measured by
benchmarks/notifications_latency.py, not asserted here: a wall-clock bound
flakes on a busy machine and passes for the wrong reasons on an idle one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.urls import get_resolver

from workflows.events import notify

from ..chromium import CHROMIUM, CHROMIUM_ARGS
from .conftest import login_cookie
from .servers import daphne, run_python, server_env, shared_database

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Start the browser only after the test's database work: playwright's sync API runs an event loop
    in this thread, and Django refuses ORM calls while one is running."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def signed_in_context(browser: Any, *, port: int, cookie: str) -> Any:
    context = browser.new_context(locale="en-US")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "domain": "127.0.0.1", "path": "/"}])
    return context


def wait_for(page: Any, expression: str, *, timeout: float) -> float:
    """Poll a JavaScript expression until it is true; return the seconds it took.

    page.evaluate goes through the DevTools protocol, which the page's CSP does
    not govern; page.wait_for_function would eval() inside the page and be refused.
    """
    started = time.monotonic()
    while not page.evaluate(expression):
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout}s: {expression}")
        time.sleep(0.02)
    return time.monotonic() - started


def wait_until_live(page: Any) -> None:
    """The socket has connected and the server said ``ready``."""
    wait_for(page, "!!(window.RegflowLive && window.RegflowLive.state.readyOnce)", timeout=15)


def csp_errors(page: Any) -> list[str]:
    """Collects the page's console errors about the Content Security Policy."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def playwright_multipart(data: dict[str, Any]) -> dict[str, Any]:
    """The termination tests' form data, with their uploaded files turned into playwright file payloads."""
    multipart: dict[str, Any] = {}
    for key, value in data.items():
        if hasattr(value, "read"):
            value.seek(0)
            multipart[key] = {"name": value.name, "mimeType": value.content_type, "buffer": value.read()}
        else:
            multipart[key] = str(value)
    return multipart


def test_officers_open_queue_shows_a_clerks_new_request_as_soon_as_it_is_pushed(world: Any) -> None:
    from tests.workflows.termination.conftest import request_data
    from workflows.termination.flows import TerminationFlow

    get_resolver().url_patterns  # noqa: B018 - flow URLs reverse once the URLconf is loaded
    queue_path = TerminationFlow.instance.reverse("queue")
    submit_path = TerminationFlow.submit.reverse("execute")
    officer_cookie, clerk_cookie = login_cookie(world.officer), login_cookie(world.clerk)
    form = playwright_multipart(request_data(world, emergency=True))

    with (
        shared_database() as database_url,
        daphne(env=server_env(database_url=database_url, redis_url=os.environ.get("REDIS_URL"))) as [port],
        chromium() as browser,
    ):
        base = f"http://127.0.0.1:{port}"
        officer = signed_in_context(browser, port=port, cookie=officer_cookie).new_page()
        refused = csp_errors(officer)
        frames: list[dict] = []
        officer.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))))
        officer.goto(base + queue_path)
        wait_until_live(officer)
        queue = officer.locator("#workflow-queue")
        assert "Nothing waiting for you." in queue.inner_text()
        assert officer.locator("#regflow-live-badge").get_attribute("data-unread") == "0"

        clerk = signed_in_context(browser, port=port, cookie=clerk_cookie)
        submit_page = clerk.new_page()
        submit_page.goto(base + submit_path)
        token = submit_page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
        response = clerk.request.post(
            base + submit_path,
            multipart={**form, "csrfmiddlewaretoken": token},
            headers={"Referer": base + submit_path},
            max_redirects=0,
        )
        assert response.status == 302, response.text()[:2000]
        submitted = time.monotonic()

        # The clerk's request appears in the open queue, in place: no navigation happened. The timeout only
        # turns a hang into a failure; what is asserted is how it got there: a push on the socket.
        wait_for(officer, "document.querySelector('#workflow-queue').innerText.includes('#')", timeout=30)
        elapsed = time.monotonic() - submitted
        pushed = [f for f in frames if f.get("type") == "notification" and not f.get("replayed")]
        assert [f["kind"] for f in pushed] == ["task.available"], frames
        assert re.search(r"#\d+", queue.inner_text())
        assert officer.evaluate("performance.getEntriesByType('navigation').length") == 1
        toast_text = officer.locator(".regflow-live-toast").first.inner_text()
        assert toast_text.startswith("New task in your queue")
        # The toast names the case by its number, the same number the queue shows.
        number = re.search(r"#(\d+)", queue.inner_text())
        assert number is not None and f"Termination case #{number.group(1)}" in toast_text
        assert officer.locator("#regflow-live-badge").get_attribute("data-unread") == "1"
        assert refused == []  # the script runs under the production CSP
        print(f"queue updated {elapsed * 1000:.0f} ms after the submission returned")


def test_one_socket_survives_turbo_visits_and_the_badge_follows_another_tab(world: Any) -> None:
    """Turbo visits keep the tab's one socket; marking everything read in a second tab clears this tab's badge."""
    notify(recipients=[world.clerk], kind="process.returned", url="/notifications/")
    cookie = login_cookie(world.clerk)
    with (
        shared_database() as database_url,
        daphne(env=server_env(database_url=database_url, redis_url=os.environ.get("REDIS_URL"))) as [port],
        chromium() as browser,
    ):
        base = f"http://127.0.0.1:{port}"
        context = signed_in_context(browser, port=port, cookie=cookie)
        first, second = context.new_page(), context.new_page()
        sockets: list[str] = []
        first.on("websocket", lambda ws: sockets.append(ws.url))
        first.goto(base + "/", wait_until="load")
        wait_until_live(first)
        assert first.locator("#regflow-live-badge .regflow-live-badge__count").inner_text() == "1"
        first.locator("#regflow-live-badge").click()  # a Turbo visit to the notification page
        wait_for(
            first,
            "location.pathname === '/notifications/' && !!document.getElementById('regflow-notification-list')",
            timeout=10,
        )
        assert first.evaluate("performance.getEntriesByType('navigation').length") == 1  # no full page load
        assert len(sockets) == 1 and first.evaluate("window.RegflowLive.state.socket.readyState") == 1

        second.goto(base + "/notifications/")
        second.get_by_role("button", name="Mark all as read").click()
        wait_for(first, "document.querySelector('#regflow-live-badge').getAttribute('data-unread') === '0'", timeout=2)
        assert first.locator("#regflow-live-badge .regflow-live-badge__count").is_hidden()
        # The open notification page refreshed in place too: the row now reads "Read".
        wait_for(first, "!document.querySelector('#regflow-notification-list .regflow-live-list__unread')", timeout=2)
        assert len(sockets) == 1


def test_after_the_server_comes_back_the_tab_reconnects_and_replays_what_it_missed(world: Any) -> None:
    """The web process restarts while a notification is written: the tab reconnects by itself, with its last id."""
    notify(recipients=[world.officer], kind="task.available", url="/notifications/")
    cookie = login_cookie(world.officer)
    with shared_database() as database_url, chromium() as browser:
        env = server_env(database_url=database_url, redis_url=os.environ.get("REDIS_URL"))
        with daphne(env=env) as [port]:
            page = signed_in_context(browser, port=port, cookie=cookie).new_page()
            page.goto(f"http://127.0.0.1:{port}/notifications/")
            wait_until_live(page)
            seen = page.evaluate(
                "window.sessionStorage.getItem('regflow.live.last.' + window.RegflowLive.state.userId)"
            )
            assert seen is not None
        wait_for(page, "window.RegflowLive.state.socket === null", timeout=10)  # the server went away
        run_python(  # written while no web process runs, by another process (as the timer dispatcher would)
            "from workflows.events import notify\n"
            f"notify(recipients=[{world.officer.pk}], kind='deadline.approaching', url='/notifications/')\n",
            env=env,
        )
        with daphne(env=env, ports=[port]):
            wait_for(page, "!!document.querySelector('.regflow-live-toast')", timeout=30)
            toast = page.locator(".regflow-live-toast").first.inner_text()
            assert toast.startswith("Notifications while you were away: 1")
            assert page.locator("#regflow-live-badge").get_attribute("data-unread") == "2"
            # The list refreshed in place after the gap: the missed notification is on the page, once.
            wait_for(page, "document.querySelectorAll('#regflow-notification-list tbody tr').length === 2", timeout=5)
            assert "A deadline is approaching" in page.locator("#regflow-notification-list").inner_text()
            assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
