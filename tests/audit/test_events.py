"""What each audit event records, and which writes must give a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from audit.chain import verify_chain
from audit.models import AuditEvent, Signature
from audit.services import audit_read, audit_record, signature_sign
from permissions.models import CountyConfig, Jurisdiction, RoleAssignment
from permissions.roles import Role
from permissions.services import county_rules_update, role_grant, role_revoke
from tests.conftest import World, make_person

pytestmark = pytest.mark.django_db

SERVER_NOW = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)


def post_request(user: Any, data: dict[str, Any] | None = None, **headers: Any) -> Any:
    request = RequestFactory().post("/somewhere/", data or {}, **headers)
    request.user = user
    request.request_id = "a" * 32
    return request


def test_an_event_records_sequence_server_time_actor_object_old_and_new_values_and_reason(
    world: World, signable: Any
) -> None:
    request = post_request(world.officer, REMOTE_ADDR="203.0.113.9")
    with time_machine.travel(SERVER_NOW, tick=False):
        event = audit_record(
            actor=world.officer,
            action="facility.amend",
            obj=world.hospital_a,
            changes={"name": ["Old name", "New name"]},
            reason="Typo in the licence copy",
            request=request,
        )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.sequence == AuditEvent.objects.count()
    assert stored.occurred_at == SERVER_NOW
    assert (stored.actor_id, stored.actor_name) == (world.officer.pk, "Officer Printed")
    assert (stored.action, stored.object_type, stored.object_id) == (
        "facility.amend",
        "permissions.facility",
        str(world.hospital_a.pk),
    )
    assert stored.changes == {"name": ["Old name", "New name"]}
    assert stored.reason == "Typo in the licence copy"
    assert (stored.request_id, stored.client_address) == ("a" * 32, "203.0.113.9")
    assert (stored.county_id, stored.facility_id) == (world.county_a.pk, world.hospital_a.pk)


def test_the_printed_name_is_kept_as_it_was_at_the_time(world: World) -> None:
    event = audit_record(actor=world.clerk, action="test.before_rename")
    world.clerk.profile.printed_name = "Renamed Clerk"
    world.clerk.profile.save()
    assert AuditEvent.objects.get(pk=event.pk).actor_name == "Clerk Printed"


def test_a_forged_client_timestamp_is_ignored(world: World) -> None:
    """Times the client sends, in the body or in headers, never reach the event."""
    forged = "2001-01-01T00:00:00Z"
    request = post_request(
        world.officer,
        {"occurred_at": forged, "signed_at": forged, "timestamp": forged},
        HTTP_DATE="Mon, 01 Jan 2001 00:00:00 GMT",
        HTTP_X_CLIENT_TIME=forged,
    )
    with time_machine.travel(SERVER_NOW, tick=False):
        event = audit_record(actor=world.officer, action="test.forged_time", request=request)
        signature = signature_sign(
            signer=world.officer, meaning=Signature.Meaning.APPROVED, obj=world.hospital_a, content={}, request=request
        )
    assert AuditEvent.objects.get(pk=event.pk).occurred_at == SERVER_NOW
    assert Signature.objects.get(pk=signature.pk).signed_at == SERVER_NOW
    with pytest.raises(TypeError):
        audit_record(actor=world.officer, action="test.forged_time", occurred_at=forged)  # type: ignore[call-arg]


@pytest.mark.parametrize("action", ["termination.amend", "termination.withdraw", "termination.cancel", "role.revoke"])
def test_changes_to_submitted_data_withdrawals_and_cancellations_need_a_reason(world: World, action: str) -> None:
    for blank in ["", "   "]:
        with pytest.raises(ValidationError, match="reason"):
            audit_record(actor=world.clerk, action=action, obj=world.hospital_a, reason=blank)
    assert not AuditEvent.objects.filter(action=action).exists()
    audit_record(actor=world.clerk, action=action, obj=world.hospital_a, reason="The patient asked to withdraw")
    assert AuditEvent.objects.get(action=action).reason == "The patient asked to withdraw"


@pytest.mark.parametrize("meaning", ["withdrawn", "cancelled", "amended", "rejected", "returned", "expert_disagrees"])
def test_signatures_that_withdraw_cancel_amend_or_refuse_need_a_reason(world: World, meaning: str) -> None:
    with pytest.raises(ValidationError, match="reason"):
        signature_sign(signer=world.officer, meaning=meaning, obj=world.hospital_a, content={})
    assert not Signature.objects.exists()


def test_role_grants_and_revocations_are_audited_with_their_scope(world: World) -> None:
    newcomer = make_person("newcomer", Role.FACILITY_CLERK, facility=world.centre_a)
    grant = AuditEvent.objects.filter(action="role.grant").latest("sequence")
    assignment = RoleAssignment.objects.get(user=newcomer)
    assert (grant.object_type, grant.object_id) == ("permissions.roleassignment", str(assignment.pk))
    assert grant.changes["role"] == Role.FACILITY_CLERK and grant.changes["user"] == newcomer.pk
    assert (grant.county_id, grant.facility_id) == (world.county_a.pk, world.centre_a.pk)

    with pytest.raises(ValidationError):
        role_revoke(actor=world.chief, assignment=assignment, reason="")
    role_revoke(actor=world.chief, assignment=assignment, reason="Left the centre")
    revoke = AuditEvent.objects.filter(action="role.revoke").latest("sequence")
    assert revoke.actor_id == world.chief.pk and revoke.reason == "Left the centre"
    assert revoke.changes["revoked_at"][0] is None and revoke.changes["revoked_at"][1]
    assert revoke.county_id == world.county_a.pk


def test_an_inspector_role_over_a_county_is_audited_in_that_county(world: World) -> None:
    role_grant(actor=world.chief, user=world.officer2, role=Role.INSPECTOR, jurisdiction=world.county_b)
    event = AuditEvent.objects.filter(action="role.grant").latest("sequence")
    assert (event.county_id, event.facility_id) == (world.county_b.pk, None)


def test_county_configuration_changes_are_audited_with_old_and_new_values(world: World) -> None:
    config = CountyConfig.objects.get(county=world.county_a)
    county_rules_update(
        actor=world.chief, rules=config, values={"device_filing_deadline_days": 45}, reason="Provincial rule"
    )
    event = AuditEvent.objects.filter(action="county_config.update").latest("sequence")
    assert event.changes == {"device_filing_deadline_days": [30, 45]}
    assert event.reason == "Provincial rule"
    assert event.county_id == world.county_a.pk


@pytest.mark.parametrize("persona", ["inspector", "officer", "chief"])
def test_reads_of_a_patient_record_by_bureau_and_inspector_roles_are_logged(
    world: World, signable: Any, persona: str
) -> None:
    user = getattr(world, persona)
    event = audit_read(user=user, obj=world.hospital_a, request=post_request(user))
    assert event is not None
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.actor_id, stored.object_id) == ("record.read", user.pk, str(world.hospital_a.pk))
    assert stored.county_id == world.county_a.pk


@pytest.mark.parametrize("persona", ["clerk", "director", "expert1"])
def test_reads_by_facility_staff_and_experts_are_not_access_events(world: World, signable: Any, persona: str) -> None:
    assert audit_read(user=getattr(world, persona), obj=world.hospital_a) is None
    assert not AuditEvent.objects.filter(action="record.read").exists()


def test_a_city_inspector_read_is_logged_for_every_county_of_the_city(world: World, signable: Any) -> None:
    city = Jurisdiction.objects.get(code="920100")
    city_inspector = make_person("city_inspector", Role.INSPECTOR, jurisdiction=city)
    assert audit_read(user=city_inspector, obj=world.hospital_b) is not None


def test_awkward_values_round_trip_through_the_database_and_the_chain_still_verifies(world: World) -> None:
    awkward = {
        "unicode": "王芳 · ﬁ · 🙂",
        "float": 0.1,
        "huge_float": 1e20,
        "nul": "a\x00b",
        "nested": {"list": [1, None, True, "x"], "date": datetime(2026, 1, 2, tzinfo=UTC)},
        7: "integer key",
    }
    addresses = ["192.0.2.1", "2001:DB8:0:0:1:0:0:1", "::ffff:192.0.2.7", "not an address", ""]
    for address in addresses:
        audit_record(
            actor=world.clerk,
            action="test.awkward",
            changes=awkward,
            request=post_request(world.clerk, REMOTE_ADDR=address),
        )
    stored = list(AuditEvent.objects.filter(action="test.awkward").values_list("client_address", flat=True))
    assert stored == ["192.0.2.1", "2001:db8::1:0:0:1", "192.0.2.7", None, None]
    assert verify_chain().ok
