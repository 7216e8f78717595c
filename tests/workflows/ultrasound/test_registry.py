"""The registry page per county: filters, pages, CSV and Excel exports."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from workflows.ultrasound.flows import UltrasoundRegistrationFlow as F
from workflows.ultrasound.models import UltrasoundDevice

pytestmark = pytest.mark.django_db


def registry(client: Any, query: str) -> Any:
    return client.get(F.instance.reverse("registry") + "?" + query)


def test_the_registry_filters_and_pages(driver: Any, us_world: Any) -> None:
    w = us_world
    driver.register(serial="SN-REG")
    for n in range(30):
        driver.file(serial=f"SN-F{n:02d}")
    client = driver.client(w.officer)
    first = registry(client, f"county={w.county_a.pk}").content.decode()
    assert "Page 1 of 2" in first
    registered = registry(client, f"county={w.county_a.pk}&status=registered").content.decode()
    assert "SN-REG" in registered and "SN-F00" not in registered
    searched = registry(client, f"county={w.county_a.pk}&q=sn-f07").content.decode()
    assert "SN-F07" in searched and "SN-F08" not in searched
    second = registry(client, f"county={w.county_a.pk}&page=2").content.decode()
    assert "Page 2 of 2" in second


def test_csv_and_excel_exports_hold_the_filtered_rows(driver: Any, us_world: Any) -> None:
    w = us_world
    driver.register(serial="SN-X1")
    driver.file(serial="SN-X2", manufacturer="=HYPERLINK(1)")
    client = driver.client(w.officer)
    csv_text = registry(client, f"county={w.county_a.pk}&export=csv").content.decode("utf-8-sig")
    assert "SN-X1" in csv_text and "Operator One (110990101000301)" in csv_text
    assert "'=HYPERLINK(1)" in csv_text  # a formula is written as text
    response = registry(client, f"county={w.county_a.pk}&status=registered&export=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    number = UltrasoundDevice.objects.get(serial_number="SN-X1").registration_number
    assert len(rows) == 2 and rows[1][0] == number
