"""The notification page, marking as read, and the toolbar badge."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from workflows.events import notify
from workflows.models import Notification

from .conftest import login_cookie

pytestmark = pytest.mark.django_db


def notification_list(response: Any) -> str:
    """The list section of the page (the toolbar carries every label, as data for the script)."""
    body = response.content.decode()
    start = body.index('id="regflow-notification-list"')
    return body[start : body.index("</section>", start)]


def test_notification_page_lists_only_the_users_own_notifications_with_labels(world: Any, login: Any) -> None:
    notify(recipients=[world.clerk], kind="process.approved", url="/case/1/")
    notify(recipients=[world.clerk_b], kind="process.rejected", url="/case/2/")
    response = login(world.clerk).get(reverse("notifications:index"))
    assert response.status_code == 200
    assert 'id="regflow-notification-list" data-regflow-live' in response.content.decode()
    body = notification_list(response)
    assert "Your request was approved" in body and 'href="/case/1/"' in body
    assert "Your request was rejected" not in body and "/case/2/" not in body


def test_notification_page_shows_an_unknown_kind_with_a_generic_label(world: Any, login: Any) -> None:
    notify(recipients=[world.clerk], kind="device.registered")
    assert "New notification" in notification_list(login(world.clerk).get(reverse("notifications:index")))


def test_unread_filter_leaves_out_what_was_read(world: Any, login: Any) -> None:
    [read] = notify(recipients=[world.clerk], kind="process.approved", url="/seen-case/")
    notify(recipients=[world.clerk], kind="process.returned", url="/unread/")
    Notification.objects.filter(pk=read.pk).update(read_at="2026-01-01T00:00Z")
    body = notification_list(login(world.clerk).get(reverse("notifications:index") + "?show=unread"))
    assert "/unread/" in body and "/seen-case/" not in body


def test_anonymous_visitor_is_sent_to_login(client: Any, world: Any) -> None:
    response = client.get(reverse("notifications:index"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_marking_as_read_sets_the_time_and_returns_to_the_page(world: Any, login: Any) -> None:
    [row] = notify(recipients=[world.clerk], kind="process.approved")
    response = login(world.clerk).post(reverse("notifications:read", args=[row.pk]))
    assert response.status_code == 303 and response["Location"] == reverse("notifications:index")
    row.refresh_from_db()
    assert row.read_at is not None


def test_marking_another_users_notification_as_read_is_404_and_changes_nothing(world: Any, login: Any) -> None:
    [theirs] = notify(recipients=[world.clerk], kind="process.approved")
    response = login(world.clerk_other).post(reverse("notifications:read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_a_notification_that_does_not_exist_is_the_same_404(world: Any, login: Any) -> None:
    assert login(world.clerk).post(reverse("notifications:read", args=[999999])).status_code == 404


def test_marking_as_read_needs_a_post(world: Any, login: Any) -> None:
    [row] = notify(recipients=[world.clerk], kind="process.approved")
    assert login(world.clerk).get(reverse("notifications:read", args=[row.pk])).status_code == 405


def test_mark_all_as_read_touches_only_the_users_own_rows(world: Any, login: Any) -> None:
    notify(recipients=[world.clerk, world.director], kind="task.available")
    notify(recipients=[world.clerk], kind="process.approved")
    response = login(world.clerk).post(reverse("notifications:read_all"), {"next": "/notifications/?show=unread"})
    assert response.status_code == 303 and response["Location"] == "/notifications/?show=unread"
    assert not Notification.objects.filter(recipient=world.clerk, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=world.director, read_at__isnull=True).count() == 1


def test_mark_as_read_never_redirects_off_site(world: Any, login: Any) -> None:
    response = login(world.clerk).post(reverse("notifications:read_all"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("notifications:index")


def test_marking_as_read_tells_the_users_other_tabs_the_new_count(
    world: Any, login: Any, memory_layer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from .test_events import Pushes

    notify(recipients=[world.clerk], kind="process.approved")
    [row] = notify(recipients=[world.clerk], kind="process.returned")
    pushes = Pushes(memory_layer)
    pushes.listen(world.clerk)
    with django_capture_on_commit_callbacks(execute=True):
        login(world.clerk).post(reverse("notifications:read", args=[row.pk]))
    assert pushes(world.clerk) == [{"type": "unread.push", "unread": 1}]


def test_every_page_has_the_badge_with_the_unread_count_and_the_live_script(world: Any, login: Any) -> None:
    notify(recipients=[world.officer], kind="task.available")
    notify(recipients=[world.officer], kind="task.assigned")
    body = login(world.officer).get("/", follow=True).content.decode()
    assert 'id="regflow-live-badge"' in body
    assert f'data-user="{world.officer.pk}"' in body and 'data-socket="/ws/notifications/"' in body
    assert 'data-unread="2"' in body
    assert "/static/regflow/live.js" in body
    assert '<script id="regflow-live-words" type="application/json">' in body
    assert "<script>" not in body  # the CSP forbids inline scripts; the words travel as JSON data


def test_the_login_page_opens_no_socket(client: Any, world: Any) -> None:
    body = client.get("/accounts/login/").content.decode()
    assert 'id="regflow-live-badge"' not in body


def test_badge_counts_with_one_query(world: Any, rf: Any, django_assert_num_queries: Any) -> None:
    from workflows.templatetags.regflow_live import notification_badge

    request = rf.get("/")
    request.user = world.officer
    with django_assert_num_queries(1):
        context = notification_badge({"request": request})
    assert context["unread"] == 0 and context["enabled"]


def test_the_notification_page_counts_the_unread_once_for_its_heading_and_the_badge(world: Any, login: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    notify(recipients=[world.clerk], kind="process.approved")
    notify(recipients=[world.clerk_b], kind="process.approved")  # another user's: not counted
    client = login(world.clerk)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("notifications:index")).content.decode()
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"] and "workflows_notification" in q["sql"]]
    assert len(counts) == 1, counts
    assert 'data-unread="1"' in body  # the badge shows the count the page read


def test_session_cookie_helper_signs_in(world: Any, client: Any) -> None:
    """The helper the socket tests rely on yields a session that Django accepts."""
    client.cookies["sessionid"] = login_cookie(world.inspector)
    assert client.get(reverse("notifications:index")).status_code == 200


def test_the_new_counts_of_many_users_go_out_after_commit_from_one_query(
    world: Any, memory_layer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A decision marks its task's notifications read for every officer told of it: each officer's tabs hear
    their own new count, all read in one query after the commit (not one per officer)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows.events import unread_push_after_commit

    from .test_events import Pushes

    notify(recipients=[world.clerk, world.director], kind="task.available")
    notify(recipients=[world.clerk], kind="process.approved")
    pushes = Pushes(memory_layer)
    pushes.listen(world.clerk, world.director, world.officer)
    with django_capture_on_commit_callbacks() as callbacks:
        unread_push_after_commit(user_ids=[world.clerk.pk, world.director.pk, world.officer.pk, world.clerk.pk])
    assert pushes(world.clerk) == []  # nothing before the commit
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    assert len(queries) == 1
    assert pushes(world.clerk) == [{"type": "unread.push", "unread": 2}]
    assert pushes(world.director) == [{"type": "unread.push", "unread": 1}]
    assert pushes(world.officer) == [{"type": "unread.push", "unread": 0}]
