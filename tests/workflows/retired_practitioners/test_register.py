"""The county register: filters, keyset pages, CSV and Excel, masked identifiers, outsiders refused."""

from __future__ import annotations

import io
from typing import Any

import pytest

from workflows.retired_practitioners import views
from workflows.retired_practitioners.flows import RetiredPractitionerFlow as F
from workflows.retired_practitioners.models import RetiredPractitioner

pytestmark = pytest.mark.django_db


def register_url(county: Any, query: str = "") -> str:
    return F.instance.reverse("register") + f"?county={county.pk}{query}"


def test_the_register_pages_filters_and_exports_with_masked_identifiers(
    driver: Any, rp_world: Any, monkeypatch: Any
) -> None:
    w = rp_world
    monkeypatch.setattr(views, "REGISTER_PAGE_SIZE", 2)
    for serial in range(1, 4):
        driver.on_file(serial=serial)
    driver.file(serial=4)  # filed, not yet verified
    client = driver.client(w.officer)
    first = client.get(register_url(w.county_a)).content.decode()
    assert "Practitioner 4" in first and "Practitioner 3" in first and "Practitioner 2" not in first
    entry = RetiredPractitioner.objects.get(name="Practitioner 3")
    assert entry.resident_id_masked in first and entry.resident_id not in first
    second = client.get(register_url(w.county_a, f"&after={entry.pk}")).content.decode()
    assert "Practitioner 2" in second and "Practitioner 1" in second and "Practitioner 3" not in second
    filtered = client.get(register_url(w.county_a, "&status=filed")).content.decode()
    assert "Practitioner 4" in filtered and "Practitioner 1" not in filtered

    csv = client.get(register_url(w.county_a, "&export=csv"))
    body = csv.content.decode("utf-8-sig")
    assert csv["Content-Type"].startswith("text/csv") and body.count("\n") == 5
    assert entry.resident_id_masked in body and entry.resident_id not in body

    from openpyxl import load_workbook

    xlsx = client.get(register_url(w.county_a, "&export=xlsx"))
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert len(rows) == 5 and entry.resident_id not in str(rows)


def test_outsiders_cannot_open_another_countys_register(driver: Any, rp_world: Any) -> None:
    w = rp_world
    entry = driver.on_file()
    assert driver.client(w.officer_b).get(register_url(w.county_a)).status_code == 404
    assert driver.client(w.officer).get(F.instance.reverse("register") + "?county=x").status_code == 404
    assert driver.client(w.clerk).get(register_url(w.county_a)).status_code == 404
    assert driver.client(w.inspector).get(register_url(w.county_a)).status_code == 200
    page = F.instance.reverse("practitioner", args=[entry.pk])
    assert driver.client(w.officer_b).get(page).status_code == 404
    assert driver.client(w.clerk_other).get(page).status_code == 404
    assert entry.address in driver.client(w.officer).get(page).content.decode()
