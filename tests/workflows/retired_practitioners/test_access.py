"""Who may see and act on a retired-practitioner case: outsiders get 404, inspectors read and never act."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from workflows.retired_practitioners.flows import RetiredPractitionerFlow as F

pytestmark = pytest.mark.django_db


def test_outsiders_get_404_and_inspectors_read_only(driver: Any, rp_world: Any) -> None:
    w = rp_world
    case = driver.file()
    url = F.instance.reverse("process_detail", args=[case.pk])
    for outsider in (w.clerk_other, w.clerk_b, w.officer_b, w.inspector_b):
        assert driver.client(outsider).get(url).status_code == 404, outsider.username
    for insider in (w.clerk, w.director, w.officer, w.inspector):
        assert driver.client(insider).get(url).status_code == 200, insider.username
    assert AuditEvent.objects.filter(action="record.read", actor=w.inspector, object_id=str(case.pk)).exists()
    assert driver.client(w.inspector).post(
        F.instance.reverse("withdraw", args=[case.pk]), {"reason": "x"}
    ).status_code in {403, 404}
    task = driver.open_task(case, F.sign_filing)
    assert driver.claim(w.inspector, task).status_code in {403, 404}
    document = case.documents.get()
    assert (
        driver.client(w.officer_b).get(F.instance.reverse("document", args=[case.pk, document.pk])).status_code == 404
    )


def test_a_director_who_filed_cannot_sign_the_filing(driver: Any, rp_world: Any) -> None:
    w = rp_world
    case = driver.file(user=w.director)
    task = driver.open_task(case, F.sign_filing)
    assert driver.claim(w.director, task).status_code in {403, 404}
