"""Rotating the key of the encrypted patient fields, and values no key can read (issue #17)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection

from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import TerminationCase

from .conftest import resident_id

pytestmark = pytest.mark.django_db

OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))
COLUMNS = ("patient_name", "resident_id", "fetal_sex")


def raw(case: Any) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(COLUMNS)} FROM termination_terminationcase WHERE process_ptr_id = %s",  # noqa: S608
            [case.pk],
        )
        return dict(zip(COLUMNS, cursor.fetchone(), strict=True))


def readable_with(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


@pytest.fixture
def old_case(driver: Any, world: Any, settings: Any) -> TerminationCase:
    """A case whose name, ID and fetal sex were written under the old key."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    case = driver.submit(pathway="divorced")
    TerminationCase.objects.filter(pk=case.pk).update(fetal_sex="female")  # through the field: encrypted
    assert all(readable_with(OLD, token) for token in raw(case).values())
    return case


def test_after_a_new_key_is_put_first_old_values_still_read_and_new_writes_use_it(old_case: Any, settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    case = TerminationCase.objects.get(pk=old_case.pk)
    assert (case.patient_name, case.resident_id, case.fetal_sex) == ("测试 Patient", resident_id(), "female")
    case.patient_name = "Amended Name"
    case.save(update_fields=["patient_name"])
    tokens = raw(case)
    assert readable_with(NEW, tokens["patient_name"]) and not readable_with(OLD, tokens["patient_name"])
    assert readable_with(OLD, tokens["resident_id"])  # not rewritten by anyone yet


def test_rotate_field_keys_re_encrypts_every_value_so_the_old_key_can_go(
    old_case: Any, driver: Any, world: Any, settings: Any
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    other = driver.submit(pathway="divorced")  # already under the new key
    out = StringIO()
    call_command("rotate_field_keys", "--batch-size", "1", stdout=out)
    assert "re-encrypted 5 value(s)" in out.getvalue()  # 3 on the old case, the name and ID of the new one
    for case in (old_case, other):
        tokens = [t for t in raw(case).values() if t]
        assert tokens and all(readable_with(NEW, t) and not readable_with(OLD, t) for t in tokens)
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    case = TerminationCase.objects.get(pk=old_case.pk)
    assert (case.patient_name, case.resident_id, case.fetal_sex) == ("测试 Patient", resident_id(), "female")
    page = driver.client(world.officer).get(F.instance.reverse("process_detail", args=[case.pk]))
    assert "测试 Patient" in page.content.decode()


def test_a_dry_run_counts_and_writes_nothing(old_case: Any, settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    before = raw(old_case)
    out = StringIO()
    call_command("rotate_field_keys", "--dry-run", stdout=out)
    assert "would re-encrypt 3 value(s)" in out.getvalue()
    assert raw(old_case) == before


def test_a_value_no_key_reads_shows_as_blank_never_as_ciphertext(
    old_case: Any, driver: Any, world: Any, settings: Any
) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [OTHER]  # the old key was dropped too early
    case = TerminationCase.objects.get(pk=old_case.pk)
    assert (case.patient_name, case.resident_id, case.fetal_sex) == ("", "", "")
    tokens = raw(old_case)
    page = driver.client(world.officer).get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
    assert all(token not in page and token[:20] not in page for token in tokens.values())


def test_an_edited_ciphertext_reads_as_blank(old_case: Any, settings: Any) -> None:
    token = raw(old_case)["patient_name"]
    forged = token[:-8] + ("A" if token[-8] != "A" else "B") + token[-7:]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE termination_terminationcase SET patient_name = %s WHERE process_ptr_id = %s", [forged, old_case.pk]
        )
    assert TerminationCase.objects.get(pk=old_case.pk).patient_name == ""


def test_rotation_leaves_unreadable_values_alone_names_them_and_fails(old_case: Any, settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # OLD is gone: nothing of the old case can be read
    before = raw(old_case)
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("rotate_field_keys", stdout=StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert "3 value(s) could not be read" in str(caught.value)
    assert f"termination_terminationcase.patient_name process_ptr_id={old_case.pk}" in err.getvalue()
    assert raw(old_case) == before


def test_without_any_key_encrypted_fields_refuse_to_work_and_name_the_setting(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured) as caught:
        TerminationCase._meta.get_field("patient_name").get_prep_value("王芳")
    assert str(caught.value) == "FIELD_ENCRYPTION_KEYS: at least one key is required"


def test_the_identifier_digest_tells_ids_apart_ignores_case_and_spaces_and_depends_on_its_key(settings: Any) -> None:
    from core.fields import identifier_digest

    one, two = resident_id(1)[:-1] + "X", resident_id(2)
    assert identifier_digest(one) != identifier_digest(two)
    assert identifier_digest(f"  {one.lower()} ") == identifier_digest(one)
    # The stored format: digests already in the database must keep matching re-entered IDs after an upgrade.
    import hashlib
    import hmac

    expected = hmac.new(settings.FIELD_HASH_KEY.encode(), one.upper().encode(), hashlib.sha256).hexdigest()
    assert identifier_digest(one.lower()) == expected
    before = identifier_digest(one)
    settings.FIELD_HASH_KEY = "another-hash-key"
    assert identifier_digest(one) != before
