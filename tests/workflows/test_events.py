"""The outbox and the push after commit (workflows.events)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, transaction

from tests.pg import until_waiting_or_done
from workflows import events
from workflows.events import notification_email_render, notify, user_group
from workflows.models import Notification, NotificationCursor
from workflows.outages import Outage

from .conftest import login_cookie


class Pushes:
    """Joins a channel to a user's group on the in-memory layer and drains what arrives there."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channels: dict[int, str] = {}

    def listen(self, *users: Any) -> None:
        for user in users:
            channel = async_to_sync(self.layer.new_channel)()
            async_to_sync(self.layer.group_add)(user_group(user.pk), channel)
            self.channels[user.pk] = channel

    def __call__(self, user: Any) -> list[dict]:
        queue = self.layer.channels.get(self.channels[user.pk])
        messages = []
        while queue is not None and not queue.empty():
            messages.append(queue.get_nowait()[1])
        return messages


@pytest.fixture
def pushes(memory_layer: Any) -> Pushes:
    return Pushes(memory_layer)


def test_notify_writes_one_row_per_active_recipient_once(world: Any) -> None:
    world.officer2.is_active = False
    world.officer2.save()
    rows = notify(
        recipients=[world.officer, world.officer.pk, world.chief, world.officer2],
        kind="task.available",
        url="/termination/queue/",
    )
    assert sorted(row.recipient_id for row in rows) == sorted([world.officer.pk, world.chief.pk])
    assert Notification.objects.count() == 2
    assert {c.user_id: c.last_id for c in NotificationCursor.objects.all()} == {r.recipient_id: r.pk for r in rows}


@pytest.mark.parametrize("kind", ["approved", "Task.Available", "task.available; drop", ""])
def test_notify_refuses_a_kind_that_is_not_namespaced(world: Any, kind: str) -> None:
    with pytest.raises(ValueError):
        notify(recipients=[world.clerk], kind=kind)


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "queue/"])
def test_notify_refuses_a_link_off_this_site(world: Any, url: str) -> None:
    with pytest.raises(ValueError):
        notify(recipients=[world.clerk], kind="task.available", url=url)
    assert not Notification.objects.exists()


def test_push_waits_for_commit_and_carries_ids_kinds_and_links_only(
    world: Any, pushes: Pushes, django_capture_on_commit_callbacks: Any
) -> None:
    pushes.listen(world.clerk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [row] = notify(recipients=[world.clerk], kind="process.approved", url="/case/7/", obj=world.hospital_a)
    assert pushes(world.clerk) == []  # nothing before commit
    for callback in callbacks:
        callback()
    [push] = pushes(world.clerk)
    assert push["type"] == "notification.push"
    assert push["prev"] == 0
    assert push["notification"] == {
        "id": row.pk,
        "kind": "process.approved",
        "url": "/case/7/",
        "object_type": "permissions.facility",
        "object_id": str(world.hospital_a.pk),
        "created_at": row.created_at.isoformat(),
    }
    text = repr(push)
    for personal in (world.clerk.username, "Clerk Printed", world.hospital_a.name):
        assert personal not in text


def test_nothing_is_written_or_pushed_when_the_transaction_rolls_back(
    world: Any, pushes: Pushes, django_capture_on_commit_callbacks: Any
) -> None:
    pushes.listen(world.clerk)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[world.clerk], kind="process.approved")
        raise RuntimeError("the approval failed after notifying")
    assert not Notification.objects.exists()
    assert pushes(world.clerk) == []


def test_each_push_names_the_recipients_previous_notification(
    world: Any, pushes: Pushes, django_capture_on_commit_callbacks: Any
) -> None:
    pushes.listen(world.officer, world.chief)
    with django_capture_on_commit_callbacks(execute=True):
        [first] = notify(recipients=[world.officer], kind="task.available")
    with django_capture_on_commit_callbacks(execute=True):
        second = {r.recipient_id: r.pk for r in notify(recipients=[world.officer, world.chief], kind="task.taken")}
    officer = pushes(world.officer)
    chief = pushes(world.chief)
    assert [(p["notification"]["id"], p["prev"]) for p in officer] == [
        (first.pk, 0),
        (second[world.officer.pk], first.pk),
    ]
    assert [(p["notification"]["id"], p["prev"]) for p in chief] == [(second[world.chief.pk], 0)]


def test_notify_takes_the_same_number_of_queries_for_one_or_many_recipients(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        notify(recipients=[world.officer], kind="task.available")
    many = [world.officer, world.officer2, world.chief, world.expert1, world.expert2, world.expert3]
    with django_assert_max_num_queries(len(one.captured_queries)):
        notify(recipients=many, kind="task.available")


def test_a_push_that_fails_because_redis_is_down_is_logged_once_and_the_row_stays(
    world: Any, settings: Any, caplog: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    monkeypatch.setattr(events, "push_outage", Outage(logger=logging.getLogger("regflow.events"), what="pushes"))
    caplog.set_level(logging.WARNING, logger="regflow.events")
    rows = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            rows += notify(recipients=[world.clerk], kind="process.approved")  # does not raise
    assert events.pushes.flush(30)
    assert Notification.objects.filter(pk__in=[row.pk for row in rows]).count() == 3
    failures = [r for r in caplog.records if r.name == "regflow.events"]
    assert [r.getMessage().split(":")[0] for r in failures] == ["pushes unavailable"]  # once, not per push
    assert not any(r.exc_info for r in failures)  # and without a traceback


def test_email_copies_go_out_after_commit_with_a_label_and_a_link_and_no_personal_data(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NOTIFICATION_EMAILS = True
    settings.CSRF_TRUSTED_ORIGINS = ["https://regflow.example.org"]
    world.clerk.email = "clerk@hospital-a.example"
    world.clerk.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[world.clerk, world.director], kind="process.approved", url="/case/7/")
    assert mail.outbox == []  # not before commit
    for callback in callbacks:
        callback()
    [message] = mail.outbox  # the director has no address on file
    assert message.to == ["clerk@hospital-a.example"]
    assert "Your request was approved" in message.subject
    assert "https://regflow.example.org/case/7/" in message.body
    for personal in ("clerk", "Clerk Printed", "Hospital A"):
        assert personal not in message.subject + message.body


def test_email_copy_is_written_in_both_interface_languages(world: Any) -> None:
    [row] = notify(recipients=[world.clerk], kind="process.rejected", url="/case/9/")
    subject, body = notification_email_render(notification=row)
    assert subject.startswith("[Regflow] Your request was rejected / ")
    assert body.count("/case/9/") == 2  # one paragraph per language


def test_no_email_copies_unless_enabled(world: Any, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.NOTIFICATION_EMAILS = False
    world.clerk.email = "clerk@hospital-a.example"
    world.clerk.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[world.clerk], kind="process.approved")
    assert mail.outbox == []


def test_logout_and_deactivation_ask_the_users_sockets_to_close(
    world: Any, pushes: Pushes, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pushes.listen(world.clerk)
    client.cookies["sessionid"] = login_cookie(world.clerk)
    client.post("/accounts/logout/")
    assert [m["type"] for m in pushes(world.clerk)] == ["sockets.close"]
    with django_capture_on_commit_callbacks(execute=True):
        user = get_user_model().objects.get(pk=world.clerk.pk)
        user.is_active = False
        user.save()
    assert [m["type"] for m in pushes(world.clerk)] == ["sockets.close"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_users_notifications_commit_in_id_order_even_when_transactions_overlap(world: Any, monkeypatch: Any) -> None:
    """The second transaction waits for the first: a client that saw the later id cannot miss the earlier,
    and the later push names the earlier one as the one before it (so a lost push is noticed)."""
    before: dict[int, int] = {}
    real_push_after_commit = events.push_after_commit

    def recording(notifications: list[Any], previous: dict[int, int]) -> None:
        before.update(previous)
        real_push_after_commit(notifications, previous)

    monkeypatch.setattr(events, "push_after_commit", recording)
    notify(recipients=[world.officer], kind="task.assigned")  # the user's cursor row exists: nobody waits to insert it
    first_notified, release_first, second_done = threading.Event(), threading.Event(), threading.Event()
    finished: list[str] = []  # commit order
    ids: dict[str, int] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                ids["first"] = notify(recipients=[world.officer], kind="task.available")[0].pk
                first_notified.set()
                release_first.wait(30)
            finished.append("first")
        finally:
            connection.close()

    def second() -> None:
        try:
            first_notified.wait(30)
            with transaction.atomic():
                ids["second"] = notify(recipients=[world.officer], kind="task.taken")[0].pk
            finished.append("second")
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        assert first_notified.wait(30)
        # Blocked behind the first transaction's lock: PostgreSQL shows it waiting (no sleep, no clock).
        assert until_waiting_or_done(second_done), "the second transaction did not wait for the first"
        assert finished == []
    finally:
        release_first.set()
        for thread in threads:
            thread.join(30)
    assert ids["first"] < ids["second"]
    assert finished == ["first", "second"]
    assert before[ids["second"]] == ids["first"]
