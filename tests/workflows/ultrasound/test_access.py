"""Outsiders get 404 from every page of a device or case; inspectors read and change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.ultrasound.flows import UltrasoundRegistrationFlow as F
from workflows.ultrasound.models import UltrasoundCase

pytestmark = pytest.mark.django_db


def pages(case: UltrasoundCase) -> list[str]:
    device = case.device
    document = case.documents.first()
    return [
        F.instance.reverse("process_detail", args=[case.pk]),
        F.instance.reverse("device", args=[device.pk]),
        F.instance.reverse("certificate", args=[device.pk]),
        F.instance.reverse("document", args=[case.pk, document.pk]),
        F.file_amendment.reverse("execute") + f"?device={device.pk}",
    ]


def test_outsiders_get_404_from_every_page_of_another_countys_device(driver: Any, us_world: Any) -> None:
    w = us_world
    case = driver.register()
    for user in (w.clerk_b, w.officer_b, w.supervisor_b, w.clerk_other):
        client = driver.client(user)
        for url in pages(case):
            # The change form is a start page: a role that may not file anything is refused it (403) whatever
            # the device; for everyone else another facility's device does not exist.
            expected = {403, 404} if "file_amendment" in url else {404}
            assert client.get(url).status_code in expected, (user.username, url)
        assert client.post(F.instance.reverse("withdraw", args=[case.pk]), {"reason": "x"}).status_code == 404
        registry = client.get(F.instance.reverse("registry") + f"?county={w.county_a.pk}")
        assert registry.status_code == 404, user.username
        export = client.get(F.instance.reverse("registry") + "?export=csv").content.decode("utf-8-sig")
        assert case.device.serial_number not in export


def test_malformed_ids_are_404_not_500(driver: Any, us_world: Any) -> None:
    client = driver.client(us_world.officer)
    assert client.get(F.instance.reverse("registry") + "?county=%C2%B2").status_code == 404
    assert client.get(F.instance.reverse("registry") + "?county=99999999999999999999999").status_code == 404
    assert driver.client(us_world.clerk).get(F.file_amendment.reverse("execute") + "?device=abc").status_code == 404
    assert client.get(F.instance.reverse("registry") + "?status=nope&page=x&facility=zz").status_code == 200


def test_the_inspector_reads_everything_of_the_county_and_changes_nothing(driver: Any, us_world: Any) -> None:
    w = us_world
    case = driver.file()
    client = driver.client(w.inspector)
    for url in [*pages(case)[:2], pages(case)[3]]:
        assert client.get(url).status_code == 200, url
    task = driver.open_task(case, F.sign_undertaking)
    assert driver.claim(w.inspector, task).status_code in {403, 404}
    assert client.post(F.instance.reverse("withdraw", args=[case.pk]), {"reason": "x"}).status_code == 404
    assert client.post(F.file.reverse("execute"), {}).status_code == 403
    assert client.post(F.schedule_check.reverse("execute"), {}).status_code == 403
    assert driver.refresh(case).stage == case.stage


def test_the_facility_sees_its_own_devices_and_cannot_take_bureau_steps(driver: Any, us_world: Any) -> None:
    w = us_world
    case = driver.file()
    driver.act(w.director, case, F.sign_undertaking, {"decision": "forward"})
    # The submitting facility's staff never route or decide the case (four-eyes, bureau steps).
    assert driver.claim(w.director, driver.open_task(case, F.review)).status_code == 403
    registry = driver.client(w.clerk).get(F.instance.reverse("registry"))
    assert registry.status_code == 200 and case.device.serial_number in registry.content.decode()


def test_the_clerk_who_filed_cannot_sign_the_undertaking(driver: Any, us_world: Any) -> None:
    w = us_world
    case = driver.file(user=w.director)
    assert driver.claim(w.director, driver.open_task(case, F.sign_undertaking)).status_code == 403


def test_each_role_finds_its_ultrasound_work_on_the_workspace(driver: Any, us_world: Any) -> None:
    from django.urls import reverse

    w = us_world
    case = driver.file(purchased_days_ago=60, late_explanation="Late invoice")
    driver.act(w.director, case, F.sign_undertaking, {"decision": "forward"})
    driver.act(w.officer, case, F.review, {"decision": "check", "supervisor": str(w.supervisor.pk)}, sign=False)
    home = reverse("workspace:index")
    assert f"Case #{case.pk}" in driver.client(w.clerk).get(home).content.decode()
    assert f"Case #{case.pk}" in driver.client(w.supervisor).get(home).content.decode()
    assert case.device.serial_number in driver.client(w.inspector).get(home).content.decode()
    assert f"Case #{case.pk}" not in driver.client(w.clerk_b).get(home).content.decode()


def test_a_supervisors_read_of_a_case_is_logged_like_the_bureaus(driver: Any, us_world: Any) -> None:
    """Supervisors check devices for the bureau: their reads of an operator's record are oversight reads."""
    from audit.models import AuditEvent

    w = us_world
    case = driver.register()
    url = F.instance.reverse("process_detail", args=[case.pk])
    assert driver.client(w.supervisor).get(url).status_code == 200
    reads = AuditEvent.objects.filter(action="record.read", object_id=str(case.pk))
    assert reads.filter(actor=w.supervisor).count() == 1
    assert driver.client(w.clerk).get(url).status_code == 200
    assert not reads.filter(actor=w.clerk).exists()  # the facility's own staff are not oversight
