"""The admin lists every county's records: only superusers (who hold no jurisdiction) may open it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.test import Client


def test_staff_status_and_model_permissions_do_not_open_the_admin(world: Any) -> None:
    officer = world.officer
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    officer.user_permissions.add(*Permission.objects.filter(content_type__app_label="permissions"))
    client = Client()
    client.force_login(officer)
    for url in (
        "/admin/",
        "/admin/permissions/facility/",
        f"/admin/permissions/facility/{world.hospital_b.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"]
    assert world.hospital_b.practice_licence_number not in client.get("/admin/permissions/facility/").content.decode()


def test_a_superuser_opens_the_admin(db: Any) -> None:
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 12)
    client = Client()
    client.force_login(root)
    assert client.get("/admin/permissions/facility/").status_code == 200


def test_the_admin_gate_logs_each_signed_in_user_it_refuses_and_nobody_else(world: Any, caplog: Any) -> None:
    """admin.site.has_permission called outside a served request (no route resolved): the line names the admin."""
    import logging

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from permissions.access import admin_site_permitted

    caplog.set_level(logging.WARNING, logger="regflow.access.denied")
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 12)
    retired = get_user_model().objects.create_superuser("retired", "retired@example.org", "x" * 12)
    retired.is_active = False
    retired.save(update_fields=["is_active"])

    def permitted(user: Any) -> tuple[bool, list[str]]:
        caplog.clear()
        request = RequestFactory().get("/admin/")
        if user is not None:
            request.user = user
        allowed = admin_site_permitted(request)
        return allowed, [r.getMessage().rsplit(" at=", 1)[0] for r in caplog.records]

    assert permitted(root) == (True, [])
    assert permitted(AnonymousUser()) == (False, [])
    assert permitted(None) == (False, [])  # a request no authentication middleware saw
    for user in (world.officer, retired):
        assert permitted(user) == (False, [f"access_denied user_id={user.pk} route=admin object=admin"])
