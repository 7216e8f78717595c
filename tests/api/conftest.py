"""A facility's system as the API sees it: a service account created by the director, and its token."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from api.services import api_client_create
from core.validators import resident_id_compose

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ALL_SCOPES = [
    "termination:read",
    "termination:file",
    "ultrasound:read",
    "ultrasound:file",
    "retired_practitioners:read",
    "retired_practitioners:file",
    "births:read",
    "births:file",
]


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Any:
    cache.clear()
    yield
    cache.clear()


def token_for(client_id: str, secret: str, scope: str = "") -> tuple[int, dict[str, Any]]:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = Client().post("/api/oauth/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")
    return response.status_code, json.loads(response.content or b"{}")


class System:
    """A facility's information system: its account, secret and an API client carrying its bearer token."""

    def __init__(self, account: Any, secret: str, scope: str = "") -> None:
        self.account, self.secret = account, secret
        status, body = token_for(account.application.client_id, secret, scope)
        assert status == 200, body
        self.token = body["access_token"]
        self.http = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")


def make_system(
    world: Any, *, facility: Any = None, director: Any = None, scopes: list[str] | None = None, scope: str = ""
) -> System:
    from permissions.roles import Role
    from permissions.services import role_grant

    facility = facility or world.hospital_a
    if director is None:
        director = world.director
        if facility != world.hospital_a:
            from tests.conftest import make_person

            director = make_person(f"director_{facility.pk}", Role.FACILITY_DIRECTOR, facility=facility)
    del role_grant
    granted = [s for s in (scopes or ALL_SCOPES) if s in _known()]
    account, secret = api_client_create(actor=director, facility=facility, name=f"HIS {facility.name}", scopes=granted)
    return System(account, secret, scope)


def _known() -> set[str]:
    from api.selectors import all_scopes

    return set(all_scopes())


@pytest.fixture
def system(world: Any) -> System:
    return make_system(world)


@pytest.fixture
def outsider(world: Any) -> System:
    return make_system(world, facility=world.hospital_b)


def resident_id(serial: int) -> str:
    return resident_id_compose(region="110101", born="19950615", serial=serial)


def filing(serial: int = 7, **overrides: Any) -> dict[str, Any]:
    """A valid termination request (medical, fetal defect) as multipart fields, with its two scans."""
    today = timezone.localdate()
    lmp = today - dt.timedelta(days=18 * 7 + 2)
    documents = [
        {"doc_type": "id_card", "number": f"ID-{serial}", "issuer": "Police", "issued_on": "2020-01-01"},
        {
            "doc_type": "prenatal_diagnosis_cert",
            "number": f"PD-{serial}",
            "issuer": "Centre",
            "issued_on": (today - dt.timedelta(days=3)).isoformat(),
        },
    ]
    data: dict[str, Any] = {
        "patient_name": "Wang Fang",
        "resident_id": resident_id(serial),
        "marital_status": "married",
        "gestational_weeks": 18,
        "gestational_days": 2,
        "lmp_date": lmp.isoformat(),
        "pathway": "fetal_defect",
        "documents": json.dumps(documents),
        "scans": [SimpleUploadedFile(f"scan{i}.pdf", PDF, content_type="application/pdf") for i in range(2)],
    }
    data.update(overrides)
    return data
