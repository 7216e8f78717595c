"""Model permissions in one query: the same answers as Django's ModelBackend (permissions/backends.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permissions.backends import ModelPermissionBackend

from ..factories import UserFactory


def fresh(user: Any) -> Any:
    return type(user).objects.get(pk=user.pk)  # no permission cache


def test_every_persona_gets_django_s_answer_from_one_query(world: Any) -> None:
    own = UserFactory(username="with_own_permission")
    own.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    inactive = UserFactory(username="inactive", is_active=False)
    inactive.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    root = UserFactory(username="root_for_backends", is_superuser=True)
    users = [*world.users.values(), own, inactive, root]
    assert any(fresh(u).groups.exists() for u in users) and own.user_permissions.exists()
    for user in users:
        expected = ModelBackend().get_all_permissions(fresh(user))
        ours = fresh(user)
        with CaptureQueriesContext(connection) as queries:
            got = ModelPermissionBackend().get_all_permissions(ours)
            again = ModelPermissionBackend().get_all_permissions(ours)  # cached on the user for the request
        assert got == again == expected, user.username
        assert len(queries) == (0 if not user.is_active else 1), user.username
    assert "audit.view_auditevent" in ModelPermissionBackend().get_all_permissions(fresh(own))
    assert ModelPermissionBackend().has_perm(fresh(root), "termination.view_terminationcase")
    assert not ModelPermissionBackend().has_perm(fresh(inactive), "audit.view_auditevent")
    assert ModelPermissionBackend().get_all_permissions(fresh(own), obj=world.hospital_a) == set()


def test_the_request_s_user_comes_with_their_profile_in_one_query(world: Any, client: Any) -> None:
    backend = ModelPermissionBackend()
    with CaptureQueriesContext(connection) as queries:
        user = backend.get_user(world.officer.pk)
        name = user.profile.printed_name
    assert len(queries) == 1 and name == world.officer.profile.printed_name
    assert backend.get_user(999_999) is None
    world.clerk.is_active = False
    world.clerk.save(update_fields=["is_active"])
    assert backend.get_user(world.clerk.pk) is None  # as ModelBackend: an inactive user is nobody

    # A page's header shows the printed name without reading the profile again.
    from django.urls import reverse

    client.force_login(world.officer)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("notifications:index")).content.decode()
    assert world.officer.profile.printed_name in body
    assert not [q["sql"] for q in queries if 'FROM "permissions_profile"' in q["sql"]]
