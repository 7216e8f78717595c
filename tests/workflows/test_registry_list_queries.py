"""The registries are lists too: one row or a full page costs the same number of queries.

The ultrasound registry and the retired practitioners' register of a county, rendered through their real
URLs for the county's officer with one entry, then with more than a page of them: a per-row query (a
device's operators, a practitioner's township or employer, a lazy relation in a template) makes the second
count larger and fails here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from core.fields import identifier_digest
from workflows.retired_practitioners.flows import RetiredPractitionerFlow
from workflows.retired_practitioners.models import Activity, PractitionerStatus, RetiredPractitioner
from workflows.ultrasound.flows import UltrasoundRegistrationFlow
from workflows.ultrasound.models import DeviceOperator, DeviceStatus, DeviceType, UltrasoundDevice

pytestmark = pytest.mark.django_db

MANY = 30  # more than a page of either


def device(world: Any, n: int) -> UltrasoundDevice:
    today = dt.date.today()
    registered = n % 2 == 0
    made = UltrasoundDevice.objects.create(
        facility=world.hospital_a, county=world.county_a, device_type=DeviceType.B_MODE, manufacturer="Maker",
        model="US-1", serial_number=f"SN-{n}", purchase_date=today, invoice_number=f"INV-{n}", seller="Seller",
        seller_licence="SL-1", room="Room 1", responsible_person="Operator", filed_on=today, filing_due_on=today,
        status=DeviceStatus.REGISTERED if registered else DeviceStatus.FILED,
        registration_number=f"920101-US-{n:05d}" if registered else None,
    )  # fmt: skip
    DeviceOperator.objects.create(
        device=made,
        name=f"Operator {n}",
        licence_number=f"LIC-{n}",
        mch_certificate_number=f"MCH-{n}",
        pledge_date=dt.date.today(),
    )
    return made


def practitioner(world: Any, n: int) -> RetiredPractitioner:
    today = dt.date.today()
    resident = f"92010119500101{n:03d}X"
    return RetiredPractitioner.objects.create(
        name=f"Doctor {n}", resident_id=resident, resident_id_digest=identifier_digest(resident),
        resident_id_masked=resident[:6] + "********" + resident[-4:], former_facility=world.hospital_a,
        former_department="Obstetrics", title="chief", physician_licence_number=f"PL-{n}",
        retirement_date=today, home_township=world.town_a, county=world.county_a, address="1 Road",
        contact="13800000000", activity=Activity.REEMPLOYED if n % 2 else Activity.NONE,
        employer=world.hospital_a if n % 2 else None, status=PractitionerStatus.ON_FILE, filed_on=today,
        filing_due_on=today, pledge_signed_on=today,
    )  # fmt: skip


def queries(client: Client, url: str) -> int:
    assert client.get(url).status_code == 200  # warm the session and the per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("registry", ["ultrasound", "retired practitioners"])
def test_a_registry_page_costs_the_same_queries_with_one_entry_and_with_a_full_page(world: Any, registry: str) -> None:
    get_resolver().url_patterns  # noqa: B018
    if registry == "ultrasound":
        make, url = device, UltrasoundRegistrationFlow.instance.reverse("registry")
        rows = "SN-"
    else:
        make, url = practitioner, RetiredPractitionerFlow.instance.reverse("register")
        rows = "Doctor "
    url += f"?county={world.county_a.pk}"
    client = Client()
    client.force_login(world.officer)
    make(world, 0)
    one = queries(client, url)
    for n in range(1, MANY):
        make(world, n)
    page = client.get(url).content.decode()
    assert page.count(rows) >= 20, "the page does not list the entries"
    assert queries(client, url) == one
