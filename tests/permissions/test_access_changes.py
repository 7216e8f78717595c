"""Role and scope changes take effect on the very next request, are audited, and close open websockets."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client

from audit.models import AuditEvent
from permissions.models import RoleAssignment
from permissions.roles import Role
from permissions.services import role_grant, role_revoke
from tests.workflows.termination.scene import case_review, case_start
from workflows.events import user_group
from workflows.termination.flows import TerminationFlow


@pytest.fixture
def case_at_bureau(world: Any) -> Any:
    case = case_start(user=world.clerk, facility=world.hospital_a, pathway="divorced", name="Patient R", serial=701)
    case_review(case, world.director)
    return case


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queue_lists(client: Client, case: Any) -> bool:
    page = client.get(TerminationFlow.instance.reverse("queue")).content.decode()
    return f"/procedures/termination/{case.pk}/" in page


def test_a_revoked_officer_loses_the_case_and_the_queue_on_the_next_request(world: Any, case_at_bureau: Any) -> None:
    client = client_for(world.officer)
    detail = TerminationFlow.instance.reverse("process_detail", args=[case_at_bureau.pk])
    assert client.get(detail).status_code == 200
    assert queue_lists(client, case_at_bureau)

    assignment = RoleAssignment.objects.get(user=world.officer, role=Role.BUREAU_OFFICER, revoked_at__isnull=True)
    role_revoke(actor=world.chief, assignment=assignment, reason="moved to another county")

    # Same browser session, no new login: nothing about the old role survives between requests
    # (viewflow caches object permissions on the user instance; each request loads a fresh one).
    # With no role left, the whole procedure is closed to them (viewflow's model-level check
    # answers 403 before any case is looked up): the same answer as for a case that does not exist.
    refused = client.get(detail).status_code
    assert refused in (403, 404)
    assert client.get(TerminationFlow.instance.reverse("process_detail", args=[999999])).status_code == refused
    assert not queue_lists(client, case_at_bureau)


def test_losing_one_county_of_two_hides_that_countys_cases_at_once(world: Any, case_at_bureau: Any) -> None:
    role_grant(actor=world.chief, user=world.officer, role=Role.BUREAU_OFFICER, jurisdiction=world.county_b)
    client = client_for(world.officer)
    detail = TerminationFlow.instance.reverse("process_detail", args=[case_at_bureau.pk])
    assert client.get(detail).status_code == 200
    assignment = RoleAssignment.objects.get(
        user=world.officer, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a, revoked_at__isnull=True
    )
    role_revoke(actor=world.chief, assignment=assignment, reason="now covers county B only")
    assert client.get(detail).status_code == 404
    assert not queue_lists(client, case_at_bureau)


def test_a_new_grant_shows_the_case_on_the_next_request(world: Any, case_at_bureau: Any) -> None:
    client = client_for(world.officer_b)
    detail = TerminationFlow.instance.reverse("process_detail", args=[case_at_bureau.pk])
    assert client.get(detail).status_code == 404
    role_grant(actor=world.chief, user=world.officer_b, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    assert client.get(detail).status_code == 200
    assert queue_lists(client, case_at_bureau)


def test_revoking_is_audited_with_its_reason(world: Any) -> None:
    assignment = RoleAssignment.objects.get(user=world.inspector, revoked_at__isnull=True)
    role_revoke(actor=world.chief, assignment=assignment, reason="retired")
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert (event.action, event.actor_id, event.reason) == ("role.revoke", world.chief.pk, "retired")


def test_revoking_closes_the_users_websockets_after_commit(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(world.officer.pk), channel)
    assignment = RoleAssignment.objects.get(user=world.officer, revoked_at__isnull=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        role_revoke(actor=world.chief, assignment=assignment, reason="moved")
    # Nothing is sent before the revocation commits.
    assert callbacks, "the close must wait for the commit"
    for callback in callbacks:
        callback()
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "sockets.close"


def test_a_deactivated_anonymous_or_missing_user_holds_no_role(world: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    from permissions.access import user_roles

    officer = get_user_model().objects.get(pk=world.officer.pk)
    assert user_roles(officer) == {Role.BUREAU_OFFICER}
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    assert user_roles(get_user_model().objects.get(pk=officer.pk)) == set()
    assert user_roles(AnonymousUser()) == set()
    assert user_roles(None) == set()
