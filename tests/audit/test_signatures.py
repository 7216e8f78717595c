"""Electronic signatures: re-authentication, what a signature binds to, and all-or-nothing signing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.test import RequestFactory

from audit.display import local_datetime, signature_manifestation
from audit.models import AuditEvent, Signature
from audit.selectors import signatures_for_object
from audit.services import (
    audit_record,
    signature_content_hash,
    signature_is_valid,
    signature_password_check,
    signature_sign,
)
from tests.conftest import World
from workflows.models import Notification

pytestmark = pytest.mark.django_db


def signing_request(user: Any, address: str = "198.51.100.4") -> Any:
    request = RequestFactory().post("/sign/", REMOTE_ADDR=address)
    request.user = user
    return request


def sign(world: World, obj: Any = None, *, meaning: str = Signature.Meaning.APPROVED, **kwargs: Any) -> Signature:
    obj = obj or world.hospital_a
    return signature_sign(signer=world.officer, meaning=meaning, obj=obj, content=obj.signature_content(), **kwargs)


# --- Re-authentication ----------------------------------------------------------


def test_signing_accepts_the_signers_own_password(world: World, password: str) -> None:
    assert signature_password_check(request=signing_request(world.officer), user=world.officer, password=password)
    assert not AuditEvent.objects.filter(action="signature.password_refused").exists()


def test_a_wrong_password_is_refused_audited_and_counted_toward_login_throttling(world: World, signable: Any) -> None:
    request = signing_request(world.officer)
    request.request_id = "req-wrong-password"
    assert not signature_password_check(request=request, user=world.officer, password="wrong", obj=world.hospital_a)
    refusal = AuditEvent.objects.get(action="signature.password_refused")
    assert (refusal.actor_id, refusal.object_id, refusal.county_id) == (
        world.officer.pk,
        str(world.hospital_a.pk),
        world.county_a.pk,
    )
    assert (refusal.client_address, refusal.request_id) == ("198.51.100.4", "req-wrong-password")
    attempt = AccessAttempt.objects.get(username=world.officer.get_username())
    assert attempt.failures_since_start == 1


def test_after_five_wrong_passwords_even_the_right_one_is_refused(world: World, password: str) -> None:
    for _ in range(5):
        assert not signature_password_check(request=signing_request(world.officer), user=world.officer, password="x")
    assert not signature_password_check(request=signing_request(world.officer), user=world.officer, password=password)
    assert AuditEvent.objects.filter(action="signature.password_refused").count() == 6
    # Throttling is per username and address: the same officer elsewhere is not locked out by an attacker here.
    assert signature_password_check(
        request=signing_request(world.officer, address="192.0.2.55"), user=world.officer, password=password
    )


def test_another_users_password_does_not_sign(world: World, password: str) -> None:
    world.officer2.set_password("officer2-own-password")
    world.officer2.save()
    assert not signature_password_check(
        request=signing_request(world.officer), user=world.officer, password="officer2-own-password"
    )


# --- What a signature stores and binds to -----------------------------------------


def test_a_signature_stores_signer_printed_name_utc_time_meaning_and_content_hash(world: World, signable: Any) -> None:
    signature = sign(world, step="approve")
    stored = Signature.objects.get(pk=signature.pk)
    assert (stored.signer_id, stored.printed_name, stored.meaning, stored.step) == (
        world.officer.pk,
        "Officer Printed",
        "approved",
        "approve",
    )
    assert stored.signed_at.utcoffset().total_seconds() == 0
    assert len(stored.content_hash) == 64
    event = AuditEvent.objects.get(action="signature.approved")
    assert event.changes == {"signature_id": stored.pk, "content_hash": stored.content_hash, "step": "approve"}
    assert signature_is_valid(signature=stored, obj=world.hospital_a, content=world.hospital_a.signature_content())


def test_the_manifestation_shows_name_local_time_with_offset_and_meaning(
    world: World, signable: Any, settings: Any
) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    signature = sign(world)
    text = signature_manifestation(signature)
    assert "Officer Printed" in text and "Approved" in text
    assert local_datetime(signature.signed_at).endswith("+08:00") and local_datetime(signature.signed_at) in text


def test_changing_the_record_after_signing_invalidates_the_signature(world: World, signable: Any) -> None:
    signature = sign(world)
    world.hospital_a.mch_licence_number = "MCH-CHANGED"
    world.hospital_a.save()
    hospital = type(world.hospital_a).objects.get(pk=world.hospital_a.pk)
    assert not signature_is_valid(signature=signature, obj=hospital, content=hospital.signature_content())
    [row] = signatures_for_object(hospital)
    assert row.valid is False


def test_a_signature_moved_to_another_record_is_invalid(world: World, signable: Any) -> None:
    signature = sign(world)
    other = world.hospital_b
    # Even over identical content, a signature belongs to the record it was made on.
    assert not signature_is_valid(signature=signature, obj=other, content=world.hospital_a.signature_content())
    signature.object_id = str(other.pk)  # what a database edit would do (blocked on PostgreSQL)
    assert not signature_is_valid(signature=signature, obj=other, content=world.hospital_a.signature_content())


@pytest.mark.parametrize("field, value", [("meaning", "rejected"), ("printed_name", "Someone Else"), ("step", "x")])
def test_editing_a_signature_row_invalidates_it(world: World, signable: Any, field: str, value: str) -> None:
    signature = sign(world)
    setattr(signature, field, value)
    assert not signature_is_valid(
        signature=signature, obj=world.hospital_a, content=world.hospital_a.signature_content()
    )


def test_the_stored_hash_binds_every_column_of_the_signature_row(world: World, signable: Any) -> None:
    signature = sign(world, step="approve", reason="checked twice")
    stored = Signature.objects.get(pk=signature.pk)
    assert stored.content_hash == signature_content_hash(
        object_type="permissions.facility",
        object_id=str(world.hospital_a.pk),
        signer_id=world.officer.pk,
        printed_name="Officer Printed",
        signed_at=stored.signed_at,
        meaning="approved",
        step="approve",
        reason="checked twice",
        content=world.hospital_a.signature_content(),
    )
    for field, value in [
        ("signer_id", world.officer2.pk),
        ("signed_at", stored.signed_at + timedelta(seconds=1)),
        ("reason", "checked once"),
    ]:
        edited = Signature.objects.get(pk=signature.pk)
        setattr(edited, field, value)
        assert not signature_is_valid(
            signature=edited, obj=world.hospital_a, content=world.hospital_a.signature_content()
        ), field


def test_the_signature_hash_of_a_given_manifest_never_changes() -> None:
    """Signatures are stored with their hash: a change to how the manifest is hashed (a key renamed, a field
    dropped) would turn every signature already made invalid. The value is the hash as first released."""
    signed_at = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    manifest: dict[str, Any] = {
        "object_type": "termination.terminationcase",
        "object_id": "42",
        "signer_id": 7,
        "printed_name": "王芳",
        "signed_at": signed_at,
        "meaning": "approved",
        "step": "approve",
        "reason": "checked twice",
    }
    content = {"patient": "x", "weeks": 12}
    frozen = "02b56072648f979ca657d26e362dc034a8a613cc520f409514d38f1b14119f29"
    assert signature_content_hash(**manifest, content=content) == frozen
    for key in manifest:
        other = {**manifest, key: None}
        assert signature_content_hash(**other, content=content) != frozen, key


def test_the_signature_list_says_invalid_plainly_and_valid_ones_are_marked_valid(world: World, signable: Any) -> None:
    sign(world)
    world.hospital_a.name = "Renamed after signing"
    world.hospital_a.save()
    sign(world, meaning=Signature.Meaning.VERIFIED)
    html = render_to_string(
        "audit/includes/signatures.html", {"audit_signatures": signatures_for_object(world.hospital_a)}
    )
    assert html.count("audit-badge--invalid") == 1 and ">INVALID<" in html
    assert html.count("audit-badge--valid") == 1
    assert "Officer Printed" in html and "+08:00" in html and "Approved" in html and "Verified" in html


# --- All or nothing ----------------------------------------------------------------


def test_a_failure_after_the_signature_is_written_leaves_no_signature_event_or_notification(
    world: World, signable: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from workflows.events import notify

    events_before = AuditEvent.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        sign(world)
        notify(recipients=[world.clerk], kind="process.approved", obj=world.hospital_a)
        assert Signature.objects.count() == 1  # written, and then:
        raise RuntimeError("the task could not be completed")
    assert Signature.objects.count() == 0
    assert AuditEvent.objects.count() == events_before
    assert Notification.objects.count() == 0
    assert callbacks == []  # nothing was pushed to the channel layer
    # The chain did not skip a number: the next event takes the sequence the failed one would have had.
    assert audit_record(actor=None, action="test.next").sequence == events_before + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_all_or_nothing_with_real_commits_on_postgres(world: World, signable: Any) -> None:
    from workflows.events import notify

    events_before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        sign(world)
        notify(recipients=[world.clerk], kind="process.approved", obj=world.hospital_a)
        raise RuntimeError("boom")
    assert (Signature.objects.count(), Notification.objects.count()) == (0, 0)
    assert AuditEvent.objects.count() == events_before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(world: World) -> None:
    from audit.chain import verify_chain

    writers, per_writer = 8, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            for n in range(per_writer):
                with transaction.atomic():
                    audit_record(actor=None, action="test.concurrent", changes={"writer": index, "n": n})
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    assert AuditEvent.objects.filter(action="test.concurrent").count() == writers * per_writer
    assert verify_chain().ok
