"""Audit actions are stored as codes and shown as labels in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from audit.actions import action_label, record_label


def test_procedure_actions_show_their_registered_label() -> None:
    assert action_label("termination.decide") == "Bureau decision taken"
    with translation.override("zh-hans"):
        assert action_label("termination.decide") != "Bureau decision taken"
        assert action_label("role.grant") == "已授予角色"


def test_signature_and_admin_actions_are_labelled_from_their_parts() -> None:
    assert action_label("signature.approved") == "Signed: Approved"
    assert action_label("facility.update") == "facility changed"
    with translation.override("zh-hans"):
        assert action_label("facility.create") == "已新建医疗机构"


def test_an_unknown_action_shows_its_code() -> None:
    assert action_label("something.new") == "something.new"


def test_records_are_named_by_model_and_id(db: Any) -> None:
    assert record_label("permissions.facility", "7") == "facility #7"
    assert record_label("nonsense.model", "1") == "nonsense.model:1"


def test_the_search_page_shows_labels_not_codes(client: Any, world: Any) -> None:
    client.force_login(world.inspector)
    body = client.get("/audit/").content.decode()
    assert "Role granted" in body  # the world fixture's grants are in the trail
    assert "role assignment #" in body


def test_an_event_names_itself_by_its_actions_label(db: Any) -> None:
    from audit.models import AuditEvent

    with translation.override("zh-hans"):
        assert str(AuditEvent(sequence=7, action="role.grant")) == "#7 已授予角色"
