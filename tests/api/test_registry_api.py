"""Every registered procedure gets its endpoints the same way: ultrasound devices and retired practitioners."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.validators import resident_id_compose
from workflows.cases.registry import procedures
from workflows.retired_practitioners.models import PractitionerCase
from workflows.ultrasound.models import UltrasoundCase, UltrasoundDevice

from .conftest import PDF

pytestmark = pytest.mark.django_db


def scan(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def device_filing(serial: str = "SN-API-1") -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "device_type": "colour_doppler",
        "manufacturer": "Api Maker",
        "model": "AM-1",
        "serial_number": serial,
        "purchase_date": (today - dt.timedelta(days=2)).isoformat(),
        "invoice_number": f"INV-{serial}",
        "seller": "Api Seller",
        "seller_licence": "JY-000000-0001",
        "room": "Room 3",
        "responsible_person": "Dr Li",
        "operators": json.dumps(
            [
                {
                    "name": "Operator Zhao",
                    "licence_number": "LIC-000001",
                    "mch_certificate_number": "MCH-000001",
                    "pledge_date": (today - dt.timedelta(days=1)).isoformat(),
                }
            ]
        ),
        "undertaking": scan("undertaking.pdf"),
    }


def retirement_filing(world: Any, serial: int = 41) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "name": "Retired Zhou",
        "resident_id": resident_id_compose(region=world.county_a.code, born="19550320", serial=serial),
        "former_department": "Obstetrics",
        "title": "chief",
        "physician_licence_number": f"API-LIC-{serial:05d}",
        "retirement_date": (today - dt.timedelta(days=3)).isoformat(),
        "home_township": world.town_a.pk,
        "address": "1 Api Road",
        "contact": "0990-5550000",
        "activity": "none",
        "pledge_signed_on": (today - dt.timedelta(days=1)).isoformat(),
        "pledge": scan("pledge.pdf"),
    }


def test_every_procedure_with_an_api_declaration_has_its_routes(system: Any) -> None:
    for procedure in procedures():
        for resource in procedure.api:
            response = system.http.get(f"/api/v1/{procedure.code}/{resource.name}/")
            assert response.status_code == 200, (procedure.code, resource.name, response.content)


def test_a_system_files_a_device_and_reads_it_in_the_registry(world: Any, system: Any, outsider: Any) -> None:
    response = system.http.post("/api/v1/ultrasound/filings/", device_filing(), HTTP_IDEMPOTENCY_KEY="d1")
    assert response.status_code == 201, response.content
    case = UltrasoundCase.objects.get(pk=response.json()["id"])
    assert case.facility == world.hospital_a and case.submitted_by == system.account.user
    device = UltrasoundDevice.objects.get(pk=case.device_id)
    read = system.http.get(f"/api/v1/ultrasound/devices/{device.pk}/").json()
    assert read["serial_number"] == "SN-API-1" and read["operators"][0]["name"] == "Operator Zhao"
    assert outsider.http.get(f"/api/v1/ultrasound/devices/{device.pk}/").status_code == 404
    assert outsider.http.get(f"/api/v1/ultrasound/filings/{case.pk}/").status_code == 404


def test_a_device_filing_without_operators_is_refused_and_saves_nothing(system: Any) -> None:
    data = {**device_filing(), "operators": "[]"}
    response = system.http.post("/api/v1/ultrasound/filings/", data, HTTP_IDEMPOTENCY_KEY="d2")
    assert response.status_code == 400, response.content
    assert UltrasoundDevice.objects.count() == 0 and UltrasoundCase.objects.count() == 0


def test_a_system_files_a_retirement_with_the_resident_id_masked_in_the_answer(world: Any, system: Any) -> None:
    data = retirement_filing(world)
    response = system.http.post("/api/v1/retired_practitioners/filings/", data, HTTP_IDEMPOTENCY_KEY="r1")
    assert response.status_code == 201, response.content
    case = PractitionerCase.objects.get(pk=response.json()["id"])
    assert case.submitted_by == system.account.user
    assert data["resident_id"] not in response.content.decode()
    assert response.json()["resident_id_masked"] == case.practitioner.resident_id_masked


def test_the_public_verification_says_no_more_than_the_page(world: Any, system: Any) -> None:
    from django.test import Client

    response = Client().get("/api/v1/verify/termination/920101-2026-000001/" + "a" * 32 + "/")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert Client().get("/api/v1/verify/nothing/1/2/").status_code == 404
