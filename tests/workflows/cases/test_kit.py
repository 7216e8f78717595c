"""The procedure kit: numbers never reused across the move to NumberSequence, the registry, the hooks it feeds."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import translation

from audit.actions import signature_meaning_label, signature_meanings
from audit.services import signature_sign
from permissions.access import cases_for_user
from workflows.cases.models import NumberSequence
from workflows.cases.registry import procedure, procedure_for_certificate, procedure_of, procedures
from workflows.cases.services import number_draw
from workflows.termination.flows import TerminationFlow
from workflows.termination.models import TerminationCase, TerminationDocument


def test_termination_is_registered_once_with_its_models_and_flow(db: Any) -> None:
    registered = procedure("termination")
    assert [p.code for p in procedures()].count("termination") == 1
    assert registered.case_model is TerminationCase and registered.document_model is TerminationDocument
    assert registered.flow_class is TerminationFlow
    assert procedure_of(TerminationCase) is registered and procedure_for_certificate("termination") is registered
    assert procedure_for_certificate("nothing") is None
    with pytest.raises(LookupError):
        procedure("nothing")


def test_a_model_without_a_registered_access_rule_is_refused_not_shown(world: Any) -> None:
    with pytest.raises(LookupError):
        cases_for_user(world.officer, model=NumberSequence)


def test_registered_signature_meanings_are_labelled_and_unknown_ones_refused(world: Any) -> None:
    assert "expert_agrees" in signature_meanings() and "approved" in signature_meanings()
    with translation.override("en"):
        assert signature_meaning_label("recorded") == "Procedure recorded"
    with pytest.raises(ValueError, match="unknown signature meaning"):
        signature_sign(signer=world.officer, meaning="made_up", obj=world.hospital_a, content={})


def test_numbers_of_one_kind_count_per_county_and_year_and_kinds_do_not_share(world: Any) -> None:
    first = number_draw(kind="termination", county=world.county_a, year=2026)
    second = number_draw(kind="termination", county=world.county_a, year=2026)
    other_kind = number_draw(kind="registration", county=world.county_a, year=2026)
    other_county = number_draw(kind="termination", county=world.county_b, year=2026)
    assert (first, second) == ("920101-2026-000001", "920101-2026-000002")
    assert other_kind == "920101-2026-000001" and other_county == "920102-2026-000001"
    # A new year starts its own series beside the old one (the row created for it is the one read back).
    assert number_draw(kind="termination", county=world.county_a, year=2027) == "920101-2027-000001"
    assert number_draw(kind="termination", county=world.county_a, year=2026) == "920101-2026-000003"


def test_an_unknown_kind_of_certificate_is_not_found_on_the_public_page(client: Any, db: Any) -> None:
    response = client.get(reverse("certificate_verify", args=["nothing", "920101-2026-000001", "x" * 32]))
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_move_to_number_sequence_keeps_every_county_s_last_number(world: Any) -> None:
    before = [("termination", "0004_case_panel_revision"), ("cases", "0001_number_sequence")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("termination", "CertificateSequence").objects.create(
        county_id=world.county_a.pk, year=2026, last_number=41
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    row = NumberSequence.objects.get(kind="termination", county=world.county_a, year=2026)
    assert row.last_number == 41
    # The next certificate continues the county's series: no number is issued twice.
    with transaction.atomic():  # the draw locks the sequence row until the transaction ends
        assert number_draw(kind="termination", county=world.county_a, year=2026) == "920101-2026-000042"


def test_a_procedure_without_its_templates_fails_the_system_check(monkeypatch: Any) -> None:
    from workflows.cases import checks

    assert checks.check_procedures(None) == []
    unfinished = dataclasses.replace(procedure("termination"), code="unfinished")
    monkeypatch.setattr(checks, "procedures", lambda: [unfinished])
    errors = checks.check_procedures(None)
    assert {e.id for e in errors} == {"cases.E004"}
    assert {e.msg.split()[2] for e in errors} == {
        "unfinished/_summary.html",
        "unfinished/_styles.html",
        "unfinished/_certificate_facts.html",
    }
