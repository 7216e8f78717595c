"""Helpers that drive the retired-practitioner registry through its real URLs, as personas.

On top of the suite's world: a bureau director and an inspector of county B, and a township of county B.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from viewflow.workflow.models import Task

from core.validators import resident_id_compose
from permissions.models import CountyConfig, Jurisdiction
from permissions.roles import Role
from tests.conftest import make_person
from tests.factories import PASSWORD
from workflows.retired_practitioners.flows import RetiredPractitionerFlow as F
from workflows.retired_practitioners.models import PractitionerCase, RetiredPractitioner

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def scan(name: str = "pledge.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def resident_id(serial: int, *, county: str = "920101") -> str:
    return resident_id_compose(region=county, born=f"1960{(serial % 12) + 1:02d}10", serial=serial)


def filing_data(world: Any, *, serial: int = 1, retired_days_ago: int = 5, **overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data = {
        "facility": str(world.hospital_a.pk),
        "name": f"Practitioner {serial}",
        "resident_id": resident_id(serial),
        "former_department": "Obstetrics",
        "title": "deputy_chief",
        "physician_licence_number": f"LIC-{serial:06d}",
        "mch_certificate_number": f"MCH-{serial:06d}",
        "retirement_date": (today - dt.timedelta(days=retired_days_ago)).isoformat(),
        "home_township": str(world.town_a.pk),
        "address": f"{serial} Willow Lane",
        "contact": "0990-5551234",
        "activity": "none",
        "employer": "",
        "activity_note": "",
        "pledge_signed_on": (today - dt.timedelta(days=1)).isoformat(),
        "late_explanation": "",
        "pledge": scan(),
    }
    data.update(overrides)
    return data


def follow_up_data(entry: RetiredPractitioner, **overrides: Any) -> dict[str, Any]:
    data = {
        "home_township": str(entry.home_township_id),
        "address": entry.address,
        "contact": entry.contact,
        "activity": "none",
        "employer": "",
        "activity_note": "",
        "pledge_signed_on": timezone.localdate().isoformat(),
        "pledge": scan("renewed.pdf"),
    }
    data.update(overrides)
    return data


@dataclass
class Driver:
    """Logs in as a persona and acts through the URLs, as a browser would."""

    world: Any

    def client(self, user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def post_filing(self, user: Any = None, **kwargs: Any) -> Any:
        return self.client(user or self.world.clerk).post(F.file.reverse("execute"), filing_data(self.world, **kwargs))

    def file(self, user: Any = None, **kwargs: Any) -> PractitionerCase:
        response = self.post_filing(user, **kwargs)
        assert response.status_code == 302, response.content.decode()[:3000]
        return PractitionerCase.objects.filter(kind="filing").order_by("-pk").first()

    def open_task(self, case: PractitionerCase, node: Any) -> Task | None:
        return Task.objects.filter(process_id=case.pk, flow_task=node, status__in=["NEW", "ASSIGNED"]).first()

    def claim(self, user: Any, task: Task) -> Any:
        return self.client(user).post(task.flow_task.reverse("assign", args=[task.process_id, task.pk]), {})

    def act(self, user: Any, case: PractitionerCase, node: Any, data: dict, *, sign: bool = True) -> Any:
        """Claim the case's open task at ``node`` (unless it is assigned already) and complete it."""
        task = self.open_task(case, node)
        assert task is not None, f"no open {node.name} task on case {case.pk}"
        if task.status == "NEW":
            response = self.claim(user, task)
            assert response.status_code == 302, (response.status_code, node.name, user.username)
        if sign:
            data = {"password": PASSWORD, **data}
        return self.client(user).post(task.flow_task.reverse("execute", args=[task.process_id, task.pk]), data)

    def refresh(self, case: PractitionerCase) -> PractitionerCase:
        return PractitionerCase.objects.get(pk=case.pk)

    def on_file(self, *, officer: Any = None, **kwargs: Any) -> RetiredPractitioner:
        """File a practitioner and take them through signature and verification."""
        w = self.world
        case = self.file(**kwargs)
        assert self.act(w.director, case, F.sign_filing, {"decision": "forward"}).status_code == 302
        assert self.act(officer or w.officer, case, F.verify, {"decision": "approve"}).status_code == 302
        return RetiredPractitioner.objects.get(pk=case.practitioner_id)

    def record_event(self, user: Any, entry: RetiredPractitioner, **data: Any) -> Any:
        payload = {
            "password": PASSWORD,
            "practitioner": str(entry.pk),
            "event_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
            "employer": "",
            "home_township": "",
            "explanation": "",
            **data,
        }
        return self.client(user).post(F.record_event.reverse("execute"), payload)


@pytest.fixture
def rp_world(world: Any) -> Any:
    world.users.update(
        {
            "chief_b": make_person("chief_b", Role.BUREAU_DIRECTOR, jurisdiction=world.county_b),
            "inspector_b": make_person("inspector_b", Role.INSPECTOR, jurisdiction=world.county_b),
        }
    )
    world.town_b = Jurisdiction.objects.get(code="920102001")
    return world


@pytest.fixture
def driver(rp_world: Any) -> Driver:
    get_resolver().url_patterns  # noqa: B018 - node.reverse() needs the URLconf loaded
    return Driver(rp_world)


@pytest.fixture
def county_rules(world: Any) -> CountyConfig:
    return CountyConfig.objects.get(county=world.county_a)
