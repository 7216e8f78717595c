"""The socket's own session check: the 12-hour limit and a changed password close it (issue #17).

Logout, deactivation and role changes close sockets by a group message; these two have no message,
so only the consumer's re-check (workflows.consumers.session_still_valid) stands between them and a
push to a session the website would no longer honour.
"""

from __future__ import annotations

import time
from importlib import import_module
from typing import Any

import pytest
import time_machine
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from project.middleware import SESSION_STARTED_KEY
from workflows import consumers
from workflows.consumers import session_still_valid
from workflows.events import CLOSE_LOGGED_OUT, notify

from .conftest import login_cookie, next_message, until_ready, ws_connect

# The check itself runs in a rolled-back transaction (fast: the mutation runs repeat it per mutant); the
# sockets need transactional tests, since the consumer reads from other threads.
pytestmark = pytest.mark.django_db

cookie_for = sync_to_async(login_cookie)


def session_started(session_key: str, started: float | None) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    store.load()
    if started is None:
        store.pop(SESSION_STARTED_KEY, None)
    else:
        store[SESSION_STARTED_KEY] = started
    store.save()


def password_changed_behind_its_back(user: Any) -> None:
    """A new password written straight to the row: no signal, no group message, only the stored hash differs."""
    get_user_model().objects.filter(pk=user.pk).update(password=make_password("a new password entirely"))


@database_sync_to_async
def notify_now(recipient: Any) -> int:
    with transaction.atomic():
        return notify(recipients=[recipient], kind="task.available", url="/queue/")[0].pk


# --- The check itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "valid"),
    [
        (None, True),
        (60.0, True),
        (-120.0, True),
        (settings.SESSION_ABSOLUTE_SECONDS - 60, True),
        (settings.SESSION_ABSOLUTE_SECONDS + 60, False),
    ],
)
def test_a_session_is_valid_until_its_absolute_lifetime_ends(world: Any, age: float | None, valid: bool) -> None:
    cookie = login_cookie(world.clerk)
    session_started(cookie, None if age is None else time.time() - age)
    assert session_still_valid(user_id=world.clerk.pk, session_key=cookie) is valid


def test_a_session_is_still_valid_at_the_last_second_of_its_lifetime_as_on_the_website(world: Any) -> None:
    # SessionLifetimeMiddleware ends a session only once more than SESSION_ABSOLUTE_SECONDS have passed.
    with time_machine.travel(int(time.time()), tick=False):
        cookie = login_cookie(world.clerk)
        session_started(cookie, time.time() - settings.SESSION_ABSOLUTE_SECONDS)
        assert session_still_valid(user_id=world.clerk.pk, session_key=cookie)
        session_started(cookie, time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1)
        assert not session_still_valid(user_id=world.clerk.pk, session_key=cookie)


def test_a_fresh_session_is_valid_for_each_user_who_signed_in(world: Any) -> None:
    # Each persona against its own row: a check that read some other active user (the first, say) would
    # compare the session's password hash with the wrong one and refuse all but one of them.
    for user in world.users.values():
        cookie = login_cookie(user)
        assert session_still_valid(user_id=user.pk, session_key=cookie), user.username


def test_a_session_is_invalid_once_the_password_changed(world: Any) -> None:
    cookie = login_cookie(world.clerk)
    assert session_still_valid(user_id=world.clerk.pk, session_key=cookie)
    password_changed_behind_its_back(world.clerk)
    assert not session_still_valid(user_id=world.clerk.pk, session_key=cookie)


def test_a_session_is_invalid_for_another_user_a_missing_key_or_an_inactive_user(world: Any) -> None:
    cookie = login_cookie(world.clerk)
    assert not session_still_valid(user_id=world.officer.pk, session_key=cookie)
    assert not session_still_valid(user_id=world.clerk.pk, session_key=None)
    assert not session_still_valid(user_id=world.clerk.pk, session_key="no-such-session")
    get_user_model().objects.filter(pk=world.clerk.pk).update(is_active=False)
    assert not session_still_valid(user_id=world.clerk.pk, session_key=cookie)


def test_a_session_from_a_backend_no_longer_configured_is_invalid(world: Any, settings: Any) -> None:
    cookie = login_cookie(world.clerk)
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend"]
    assert not session_still_valid(user_id=world.clerk.pk, session_key=cookie)


# --- Through a real socket ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_consumer_connections")
@pytest.mark.parametrize("change", ["twelve_hours_passed", "password_changed"])
async def test_a_socket_closes_instead_of_forwarding_once_its_session_lapses(
    world: Any, memory_layer: Any, monkeypatch: Any, change: str
) -> None:
    monkeypatch.setattr(consumers, "REVALIDATE_SECONDS", 0.0)
    cookie = await cookie_for(world.clerk)
    communicator, connected, _ = await ws_connect(cookie)
    assert connected
    await until_ready(communicator)
    # Still valid: the push is forwarded.
    first = await notify_now(world.clerk)
    assert (await next_message(communicator))["id"] == first
    if change == "twelve_hours_passed":
        await database_sync_to_async(session_started)(cookie, time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1)
    else:
        await database_sync_to_async(password_changed_behind_its_back)(world.clerk)
    await notify_now(world.clerk)
    output = await communicator.receive_output(timeout=5)
    assert (output["type"], output.get("code")) == ("websocket.close", CLOSE_LOGGED_OUT), output
