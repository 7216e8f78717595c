"""A county's termination rules and a facility's designation are edited in the admin, audited as before."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEvent
from workflows.termination.models import TerminationCountyRules, TerminationDesignation

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Any) -> Any:
    admin = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(admin)
    return client


def rules_form(rules: TerminationCountyRules, **changes: Any) -> dict[str, Any]:
    data = {
        "gestational_threshold_weeks": rules.gestational_threshold_weeks,
        "accepted_personal_pathways": rules.accepted_personal_pathways,
        "decision_deadline_days": rules.decision_deadline_days,
        "certificate_validity_days": rules.certificate_validity_days,
        "reason": "",
    }
    return {**data, **changes}


def test_changing_a_countys_rules_needs_a_reason_and_is_audited(world: Any, admin_client: Any) -> None:
    rules = TerminationCountyRules.objects.get(county=world.county_a)
    url = reverse("admin:termination_terminationcountyrules_change", args=[rules.pk])

    refused = admin_client.post(url, rules_form(rules, gestational_threshold_weeks=16))
    assert refused.status_code == 200 and "A reason is required" in refused.content.decode()
    assert TerminationCountyRules.objects.get(pk=rules.pk).gestational_threshold_weeks == 14

    saved = admin_client.post(
        url, rules_form(rules, gestational_threshold_weeks=16, accepted_personal_pathways=["divorced"], reason="Rule")
    )
    assert saved.status_code == 302
    event = AuditEvent.objects.filter(action="termination_rules.update").latest("sequence")
    assert event.changes == {
        "gestational_threshold_weeks": [14, 16],
        "accepted_personal_pathways": [["divorced", "widowed", "unmarried"], ["divorced"]],
    }
    assert (event.reason, event.county_id) == ("Rule", world.county_a.pk)


def test_changing_a_designation_is_audited_with_old_and_new_values(world: Any, admin_client: Any) -> None:
    designation = TerminationDesignation.objects.get(facility=world.hospital_a)
    url = reverse("admin:termination_terminationdesignation_change", args=[designation.pk])
    response = admin_client.post(url, {"designated": "on", "max_weeks": 20})
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="terminationdesignation.update").latest("sequence")
    assert event.changes == {"max_weeks": [27, 20]}
    assert event.county_id == world.county_a.pk


def test_a_designation_up_to_no_week_is_refused(world: Any, admin_client: Any) -> None:
    designation = TerminationDesignation.objects.get(facility=world.centre_a)
    url = reverse("admin:termination_terminationdesignation_change", args=[designation.pk])
    response = admin_client.post(url, {"designated": "on", "max_weeks": ""})
    assert response.status_code == 200
    assert not TerminationDesignation.objects.get(pk=designation.pk).designated


def test_a_facility_without_an_mch_licence_cannot_be_designated(world: Any, admin_client: Any) -> None:
    designation = TerminationDesignation.objects.get(facility=world.centre_a)  # centre A has no MCH licence
    url = reverse("admin:termination_terminationdesignation_change", args=[designation.pk])
    response = admin_client.post(url, {"designated": "on", "max_weeks": 20})
    assert response.status_code == 200
    assert "needs an MCH service licence" in response.content.decode()
    assert not TerminationDesignation.objects.get(pk=designation.pk).designated
