"""Roles are groups plus object permissions on a scope; grants and revocations are audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from guardian.shortcuts import get_perms

from audit.models import AuditEvent
from permissions.models import RoleAssignment
from permissions.roles import Role
from permissions.services import role_grant, role_revoke

from ..factories import UserFactory


def test_grant_gives_the_group_and_the_object_permission(world: Any) -> None:
    assert world.officer.groups.filter(name=Role.BUREAU_OFFICER).exists()
    assert "act_for_bureau" in get_perms(world.officer, world.county_a)
    assert "act_for_bureau" not in get_perms(world.officer, world.county_b)
    assert "work_at" in get_perms(world.clerk, world.hospital_a)


def test_grant_and_revoke_are_audited(world: Any) -> None:
    user = UserFactory(username="newcomer")
    before = AuditEvent.objects.count()
    assignment = role_grant(actor=world.chief, user=user, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    role_revoke(actor=world.chief, assignment=assignment, reason="moved to another post")
    events = list(AuditEvent.objects.order_by("sequence")[before:])
    assert [e.action for e in events] == ["role.grant", "role.revoke"]
    assert events[1].reason == "moved to another post"
    assert events[0].actor_id == world.chief.pk
    assert "act_for_bureau" not in get_perms(user, world.county_a)
    assert not user.groups.filter(name=Role.BUREAU_OFFICER).exists()
    assert RoleAssignment.objects.get(pk=assignment.pk).revoked_at is not None


def test_revoke_needs_a_reason(world: Any) -> None:
    assignment = RoleAssignment.objects.get(user=world.officer)
    with pytest.raises(ValidationError):
        role_revoke(actor=world.chief, assignment=assignment, reason="  ")


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.FACILITY_CLERK, "county_a"),
        (Role.BUREAU_OFFICER, "hospital_a"),
        (Role.BUREAU_OFFICER, "town_a"),
    ],
)
def test_a_role_is_refused_at_the_wrong_kind_of_scope(world: Any, role: str, scope: str) -> None:
    target = getattr(world, scope)
    kwargs = {"facility": target} if scope.startswith("hospital") else {"jurisdiction": target}
    with pytest.raises(ValidationError):
        role_grant(actor=None, user=UserFactory(username="x"), role=role, **kwargs)


def group_permissions(role: str) -> set[str]:
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=role)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.mark.django_db
def test_after_a_migrate_each_role_group_holds_exactly_its_declared_permissions(monkeypatch: Any) -> None:
    """Django sends post_migrate once per app: the groups are synchronised once, after the last, and exactly."""
    from django.contrib.auth.models import Group, Permission
    from django.core.management.sql import emit_post_migrate_signal

    from permissions import services
    from permissions.roles import ROLE_MODEL_PERMISSIONS

    officers = Group.objects.get(name=Role.BUREAU_OFFICER)
    stray = Permission.objects.get(content_type__app_label="auth", codename="delete_user")
    officers.permissions.add(stray)
    Group.objects.get(name=Role.INSPECTOR).permissions.clear()

    calls: list[str] = []
    sync = services.role_groups_sync
    monkeypatch.setattr(services, "role_groups_sync", lambda **kwargs: calls.append("sync") or sync(**kwargs))
    emit_post_migrate_signal(0, False, "default")

    assert calls == ["sync"]
    for role in Role.values:
        assert group_permissions(role) == set(ROLE_MODEL_PERMISSIONS.get(role, set())), role
