"""Login, throttling, session lifetime and headers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

LOGIN = "/accounts/login/"


def attempt(client: Any, username: str, password: str, ip: str = "10.1.1.1") -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_anonymous_users_are_sent_to_the_login_page(client: Any, db: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=/")


def test_login_works_and_rotates_the_session_key(client: Any, world: Any, password: str) -> None:
    client.get(LOGIN)
    before = client.session.session_key
    response = attempt(client, "clerk", password)
    assert response.status_code == 302
    assert client.session.session_key != before
    assert client.get("/workspace/").status_code == 200


def test_sixth_failure_is_refused_even_with_the_right_password(client: Any, world: Any, password: str) -> None:
    for _ in range(4):
        assert attempt(client, "clerk", "wrong").status_code == 200  # the form again, with an error
    assert attempt(client, "clerk", "wrong").status_code == 429  # the fifth failure locks
    response = attempt(client, "clerk", password)  # the sixth attempt: refused despite the right password
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_cools_off_after_fifteen_minutes(client: Any, world: Any, password: str) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            attempt(client, "clerk", "wrong")
        assert attempt(client, "clerk", password).status_code == 429
        traveller.shift(timedelta(minutes=14))
        assert attempt(client, "clerk", password).status_code == 429
        # The cool-off runs from the last refused attempt: 15 minutes of quiet unlock it.
        traveller.shift(timedelta(minutes=16))
        assert attempt(client, "clerk", password).status_code == 302


def test_a_locked_username_can_still_log_in_from_another_address(client: Any, world: Any, password: str) -> None:
    for _ in range(5):
        attempt(client, "clerk", "wrong", ip="10.6.6.6")
    assert attempt(client, "clerk", password, ip="10.6.6.6").status_code == 429
    assert attempt(client, "clerk", password, ip="10.2.2.2").status_code == 302


def test_session_ends_after_thirty_idle_minutes(client: Any, world: Any, password: str) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        attempt(client, "clerk", password)
        traveller.shift(timedelta(minutes=29))
        assert client.get("/workspace/").status_code == 200
        traveller.shift(timedelta(minutes=29))  # active a minute ago: still fine
        assert client.get("/workspace/").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get("/workspace/")
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


def test_a_session_is_written_once_a_minute_at_most_and_idle_expiry_counts_from_the_last_write(
    client: Any, world: Any, password: str
) -> None:
    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/workspace/").status_code == 200
        return sum('UPDATE "django_session"' in q["sql"] or 'INSERT INTO "django_session"' in q["sql"] for q in queries)

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        attempt(client, "clerk", password)
        assert session_writes() == 0  # the login wrote it, its clocks started
        for _ in range(5):
            traveller.shift(timedelta(seconds=10))
            assert session_writes() == 0  # read, not written
        traveller.shift(timedelta(seconds=11))  # 61 s after the login's write
        assert session_writes() == 1
        expires = Session.objects.get(session_key=client.session.session_key).expire_date
        assert expires == timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        traveller.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 1))
        assert client.get("/workspace/").status_code == 200
        traveller.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        assert client.get("/workspace/").status_code == 302


def test_session_ends_after_twelve_hours_however_active(client: Any, world: Any, password: str) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        attempt(client, "clerk", password)
        for _ in range(12 * 3):  # a request every 20 minutes for 12 hours
            assert client.get("/workspace/").status_code == 200
            traveller.shift(timedelta(minutes=20))
        traveller.shift(timedelta(minutes=1))
        response = client.get("/workspace/")
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


def test_security_headers_on_every_response(client: Any, db: Any) -> None:
    response = client.get(LOGIN)
    csp = response["Content-Security-Policy"]
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/healthz"])
def test_public_routes_need_no_login(client: Any, db: Any, path: str) -> None:
    assert client.get(path).status_code in {200, 503}  # 503 while a service is failing; never the login page


def test_the_footer_links_to_the_source(client: Any, db: Any, settings: Any) -> None:
    assert settings.SOURCE_URL in client.get(LOGIN).content.decode()


def test_home_shows_name_role_and_scope(client: Any, world: Any, login: Any) -> None:
    login(world.officer)
    body = client.get(reverse("workspace:index")).content.decode()
    assert "Officer Printed" in body
    assert "Bureau officer" in body
    assert "County A" in body


PASSWORD_CHANGE = "/accounts/password_change/"


def test_password_change_counts_wrong_old_passwords_toward_the_lockout(client: Any, world: Any, password: str) -> None:
    """The page is a password oracle unless it is throttled like the login."""
    client.force_login(world.clerk)

    def change(old: str) -> Any:
        data = {"old_password": old, "new_password1": "a-new-passphrase-42", "new_password2": "a-new-passphrase-42"}
        return client.post(PASSWORD_CHANGE, data, REMOTE_ADDR="10.1.1.1")

    for _ in range(4):
        assert change("wrong").status_code == 200  # the form again, with an error
    assert change("wrong").status_code == 429  # the fifth failure locks
    assert change(password).status_code == 429  # refused despite the right old password
    world.clerk.refresh_from_db()
    assert world.clerk.check_password(password)


def test_password_change_with_the_right_old_password_works(client: Any, world: Any, password: str) -> None:
    client.force_login(world.clerk)
    data = {"old_password": password, "new_password1": "a-new-passphrase-42", "new_password2": "a-new-passphrase-42"}
    assert client.post(PASSWORD_CHANGE, data).status_code == 302
    world.clerk.refresh_from_db()
    assert world.clerk.check_password("a-new-passphrase-42")


def test_an_over_long_username_is_a_form_error(client: Any, world: Any) -> None:
    response = client.post(LOGIN, {"username": "x" * 300, "password": "whatever"})
    assert response.status_code == 200
    assert "Ensure this value has at most" in response.content.decode()


def test_an_over_long_username_on_the_admin_login_is_refused_not_a_crash(client: Any, world: Any) -> None:
    """Found by tests/fuzz: the admin's login reached django-axes' 255-character column (a 500 on PostgreSQL)."""
    response = client.post("/admin/login/", {"username": "x" * 300, "password": "whatever"})
    assert response.status_code == 200


def test_the_admin_shows_workflow_records_but_does_not_edit_them(
    client: Any, world: Any, tmp_path: Any, settings: Any
) -> None:
    """viewflow's stock admin saved a process outside its flow and its trail (and crashed on an emptied field)."""
    from django.contrib.auth import get_user_model
    from django.urls import get_resolver
    from viewflow.workflow.models import Process, Task

    from tests.workflows.termination.conftest import Driver

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path}},
    }
    get_resolver().url_patterns  # noqa: B018 - node.reverse() needs the URLconf loaded
    case = Driver(world).submit()
    status = Process.objects.get(pk=case.pk).status
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 12)
    client.force_login(root)
    task = Task.objects.filter(process_id=case.pk).order_by("pk").first()
    for url in (f"/admin/viewflow/process/{case.pk}/change/", f"/admin/viewflow/task/{task.pk}/change/"):
        assert client.get(url).status_code == 200
        assert client.post(url, {"data": "", "status": "DONE"}).status_code == 403
    assert Process.objects.get(pk=case.pk).status == status
