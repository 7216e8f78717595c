"""Personas and suite-wide policies.

Personas: a clerk and a director at a designated hospital in county A, three
senior experts on county A's panel, an officer and a director of county A's
bureau, an inspector of county A, and outsiders: a clerk at another facility of
county A, a clerk and an officer of county B.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from permissions.models import Facility, Jurisdiction, Profile
from permissions.roles import Role
from permissions.services import role_grant

from .factories import PASSWORD, FacilityFactory, ProfileFactory, UserFactory, county, township

# In CI (REGFLOW_REQUIRE_SERVICES=1) a test with one of these markers must run, not skip.
SERVICE_MARKERS = ("postgres", "redis", "browser", "fonts", "node")


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    separate_xdist_workers_in_redis(settings)


def separate_xdist_workers_in_redis(settings: Any) -> None:
    """Under pytest-xdist (`-n 2`), each worker's channel layer keys, and its shared cache's, get a prefix
    of their own.

    pytest-django gives each worker its own test database, so the workers' users have the same
    primary keys: without a prefix, one worker's push to user 3's group would reach the other's
    sockets, and the set of facilities with webhook subscriptions one worker reads from its database
    would be the other's to trust (api.webhooks). The daphne processes the tests start read it too
    (tests/workflows/live_settings.py).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    prefix = f"asgi-{worker}"
    os.environ["REGFLOW_TEST_CHANNEL_PREFIX"] = prefix
    for layer in settings.CHANNEL_LAYERS.values():
        if layer["BACKEND"].startswith("channels_redis."):
            layer.setdefault("CONFIG", {})["prefix"] = prefix
    for cache in settings.CACHES.values():
        if cache["BACKEND"].endswith("RedisCache"):
            cache["KEY_PREFIX"] = f"{cache.get('KEY_PREFIX', '')}-{worker}"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    on_redis = bool(os.environ.get("REDIS_URL"))
    from django.conf import settings

    has_pdf_font = Path(settings.AUDIT_PDF_FONT).is_file()
    # Under pytest-xdist with --dist loadgroup (CI), the browser tests stay on one worker: each worker
    # that runs one starts its own Chromium and its own seeded daphne.
    xdist = config.pluginmanager.hasplugin("xdist")
    for item in items:
        if xdist and "browser" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("browser"))
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "redis" in item.keywords and not on_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis (set REDIS_URL)"))
        if "node" in item.keywords and shutil.which("node") is None:
            item.add_marker(pytest.mark.skip(reason="needs node (Debian's nodejs)"))
        if "fonts" in item.keywords and not has_pdf_font:
            item.add_marker(pytest.mark.skip(reason="needs the audit PDF font (Debian's fonts-wqy-microhei)"))


_skipped_service_tests: list[str] = []


def pytest_runtest_logreport(report: Any) -> None:
    # Under pytest-xdist this runs in the workers and again in the controller, for each report they
    # forward: the controller's list is the one that decides.
    if report.skipped and any(marker in report.keywords for marker in SERVICE_MARKERS):
        _skipped_service_tests.append(report.nodeid)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """In CI (REGFLOW_REQUIRE_SERVICES=1) a skipped PostgreSQL, Redis or browser test fails the run."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller reports (see above)
    if os.environ.get("REGFLOW_REQUIRE_SERVICES") == "1" and _skipped_service_tests:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"FAILED: {len(_skipped_service_tests)} service test(s) skipped:", red=True)
            for nodeid in _skipped_service_tests:
                reporter.write_line(f"  {nodeid}", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _no_https_redirect(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in the default language: LocaleMiddleware activates a request's language for the
    thread and leaves it active, so a Chinese request would otherwise leak into the next test on the worker."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@dataclass
class World:
    county_a: Jurisdiction
    county_b: Jurisdiction
    town_a: Jurisdiction
    hospital_a: Facility
    centre_a: Facility
    hospital_b: Facility
    users: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["users"][name]
        except KeyError:
            raise AttributeError(name) from None


def make_person(
    username: str,
    role: str,
    *,
    facility: Facility | None = None,
    jurisdiction: Jurisdiction | None = None,
    rank: str = Profile.Rank.NONE,
) -> Any:
    user = UserFactory(username=username)
    ProfileFactory(
        user=user,
        printed_name=f"{username.title()} Printed",
        facility=facility,
        jurisdiction=jurisdiction or (facility.county if facility else None),
        rank=rank,
    )
    role_grant(actor=None, user=user, role=role, facility=facility, jurisdiction=jurisdiction)
    return user


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


def build_world() -> World:
    """The personas and their places; also built once per module by the authorization matrix."""
    county_a = county("920101", "County A")
    county_b = county("920102", "County B", city=county_a.parent)
    town_a = township("920101001", "Town A1", parent=county_a)
    town_b = township("920102001", "Town B1", parent=county_b)
    hospital_a = FacilityFactory(name="Hospital A", county=county_a, township=town_a)
    centre_a = FacilityFactory(
        name="Centre A",
        county=county_a,
        township=town_a,
        kind=Facility.Kind.TOWNSHIP_CENTRE,
        termination_designation={"designated": False, "max_weeks": None},
        mch_licence_number="",
    )
    hospital_b = FacilityFactory(name="Hospital B", county=county_b, township=town_b)
    senior = Profile.Rank.DEPUTY_CHIEF
    users = {
        "clerk": make_person("clerk", Role.FACILITY_CLERK, facility=hospital_a),
        "director": make_person("director", Role.FACILITY_DIRECTOR, facility=hospital_a, rank=Profile.Rank.CHIEF),
        "expert1": make_person("expert1", Role.EXPERT, jurisdiction=county_a, rank=Profile.Rank.CHIEF),
        "expert2": make_person("expert2", Role.EXPERT, jurisdiction=county_a, rank=senior),
        "expert3": make_person("expert3", Role.EXPERT, jurisdiction=county_a, rank=senior),
        "officer": make_person("officer", Role.BUREAU_OFFICER, jurisdiction=county_a),
        "officer2": make_person("officer2", Role.BUREAU_OFFICER, jurisdiction=county_a),
        "chief": make_person("chief", Role.BUREAU_DIRECTOR, jurisdiction=county_a),
        "inspector": make_person("inspector", Role.INSPECTOR, jurisdiction=county_a),
        "clerk_other": make_person("clerk_other", Role.FACILITY_CLERK, facility=centre_a),
        "clerk_b": make_person("clerk_b", Role.FACILITY_CLERK, facility=hospital_b),
        "officer_b": make_person("officer_b", Role.BUREAU_OFFICER, jurisdiction=county_b),
    }
    return World(county_a, county_b, town_a, hospital_a, centre_a, hospital_b, users)


@pytest.fixture
def login(client: Any) -> Any:
    """login(world.officer) logs the test client in as that persona, through the real login form.

    The form is fetched and posted with its CSRF token, as a browser does, so django-axes, the session
    start time and the login audit all see a real sign-in. (Driver.client and login_cookie use
    force_login where the sign-in itself is not what a test is about.)
    """
    import re

    from django.conf import settings
    from django.shortcuts import resolve_url
    from django.test import Client

    def _login(user: Any) -> Any:
        browser = Client(enforce_csrf_checks=True)
        url = resolve_url(settings.LOGIN_URL)
        page = browser.get(url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
        assert token is not None, "the login page has no CSRF token"
        response = browser.post(
            url,
            {"username": user.get_username(), "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        )
        assert response.status_code == 302, f"login as {user} failed: {response.status_code}"
        client.cookies.update(browser.cookies)
        return client

    return _login


@pytest.fixture
def password() -> str:
    return PASSWORD
