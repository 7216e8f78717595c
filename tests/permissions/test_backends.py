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
