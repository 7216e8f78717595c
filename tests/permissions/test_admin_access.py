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
    client.force_login(officer, backend="django.contrib.auth.backends.ModelBackend")
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
    client.force_login(root, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/admin/permissions/facility/").status_code == 200
