"""A live Regflow under daphne, and one Chromium for the whole session.

The server is a separate process, as in production: daphne serving
project.asgi against its own SQLite file, migrated and filled by `seed_demo`
(the accounts that `make demo` prints). pytest-django's live_server is WSGI and
its in-memory test database is invisible to another process, so this fixture
starts daphne itself. DEBUG is on, as in `make demo`, so that static files are
served without collectstatic; the CSP is the same with DEBUG on or off.

Skipped only where Debian's /usr/bin/chromium is missing (CI installs it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ..chromium import CHROMIUM, CHROMIUM_ARGS

BASE_DIR = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "browser-tests-demo-password"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"daphne exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http://127.0.0.1 URL
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"daphne did not answer {url} within 60 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{workdir / 'regflow.sqlite3'}",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "SECURE_SSL_REDIRECT": "false",
    }
    env.pop("REDIS_URL", None)  # one daphne process: the in-memory channel layer is enough
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
    subprocess.run([*manage, "seed_demo"], cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL)
    port = _free_port()
    log = workdir / "daphne.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "project.asgi:application"],
            cwd=BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/accounts/login/", server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page in a fresh browser context, with everything the console said."""

    page: Any
    url: str
    console_errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.url + path)
        self.page.wait_for_load_state("networkidle")
        return response

    def log_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        """Through the real form, as a person would."""
        self.goto("/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        with self.page.expect_response(lambda response: response.request.method == "POST") as posted:
            self.page.click("form.vf-form button[type=submit]")
        if posted.value.status == 302:  # logged in: wait for the page it redirects to
            self.page.wait_for_url(lambda url: "/accounts/login/" not in url)
        self.page.wait_for_load_state("networkidle")


@pytest.fixture
def open_tab(browser: Any, live_url: str) -> Iterator[Any]:
    """open_tab(language) -> Tab, with the language cookie that the switcher would set."""
    contexts: list[Any] = []

    def _open(language: str = "en") -> Tab:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        context.add_cookies([{"name": "django_language", "value": language, "url": live_url}])
        page = context.new_page()
        tab = Tab(page=page, url=live_url)
        # CSP violations, failed loads and uncaught exceptions all land here.
        page.on("console", lambda message: message.type == "error" and tab.console_errors.append(message.text))
        page.on("pageerror", lambda error: tab.console_errors.append(f"uncaught: {error}"))
        return tab

    yield _open
    for context in contexts:
        context.close()
