"""Helpers that drive the ultrasound registry through its real URLs, as personas.

On top of the suite's world: a health supervision officer for each county, a
bureau director and a facility director in county B.
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

from permissions.models import CountyConfig, Profile
from permissions.roles import Role
from tests.conftest import make_person
from tests.factories import PASSWORD
from workflows.ultrasound.flows import UltrasoundRegistrationFlow as F
from workflows.ultrasound.models import UltrasoundCase, UltrasoundDevice

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CHECKLIST_OK = {"notice_displayed": "on", "register_kept": "on", "operators_qualified": "on", "serial_matches": "on"}


def scan(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def operators_data(operators: list[tuple[str, str]] | None = None, *, pledged: dt.date | None = None) -> dict:
    operators = operators if operators is not None else [("Operator One", "110990101000301")]
    pledged = pledged or timezone.localdate() - dt.timedelta(days=2)
    data: dict[str, Any] = {
        "operators-TOTAL_FORMS": str(max(len(operators), 1)),
        "operators-INITIAL_FORMS": "0",
        "operators-MIN_NUM_FORMS": "0",
        "operators-MAX_NUM_FORMS": "20",
    }
    for i, (name, licence) in enumerate(operators):
        data.update(
            {
                f"operators-{i}-name": name,
                f"operators-{i}-licence_number": licence,
                f"operators-{i}-mch_certificate_number": f"MCH-{licence[-6:]}",
                f"operators-{i}-pledge_date": pledged.isoformat(),
            }
        )
    return data


def filing_data(world: Any, *, serial: str = "SN-0001", purchased_days_ago: int = 3, **overrides: Any) -> dict:
    data = {
        "facility": str(world.hospital_a.pk),
        "device_type": "colour_doppler",
        "manufacturer": "Mindray",
        "model": "DC-70",
        "serial_number": serial,
        "purchase_date": (timezone.localdate() - dt.timedelta(days=purchased_days_ago)).isoformat(),
        "invoice_number": "FP0001",
        "seller": "Qinghe Medical Devices",
        "seller_licence": "JY-990100-0001",
        "room": "Ultrasound room 1",
        "responsible_person": "Director Wang",
        "late_explanation": "",
        "undertaking": scan("undertaking.pdf"),
        **operators_data(),
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

    def file(self, user: Any = None, **kwargs: Any) -> UltrasoundCase:
        response = self.client(user or self.world.clerk).post(
            F.file.reverse("execute"), filing_data(self.world, **kwargs)
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        return UltrasoundCase.objects.order_by("-pk").first()

    def file_amendment(self, device: UltrasoundDevice, user: Any = None, **data: Any) -> Any:
        url = F.file_amendment.reverse("execute") + f"?device={device.pk}"
        return self.client(user or self.world.clerk).post(url, {"device": str(device.pk), **operators_data([]), **data})

    def open_task(self, case: UltrasoundCase, node: Any) -> Task:
        return Task.objects.filter(process_id=case.pk, flow_task=node, status__in=["NEW", "ASSIGNED"]).first()

    def claim(self, user: Any, task: Task) -> Any:
        return self.client(user).post(task.flow_task.reverse("assign", args=[task.process_id, task.pk]), {})

    def execute(self, user: Any, task: Task, data: dict) -> Any:
        return self.client(user).post(task.flow_task.reverse("execute", args=[task.process_id, task.pk]), data)

    def act(self, user: Any, case: UltrasoundCase, node: Any, data: dict, *, sign: bool = True) -> Any:
        """Claim the case's open task at ``node`` (unless it is assigned already) and complete it."""
        task = self.open_task(case, node)
        assert task is not None, f"no open {node.name} task on case {case.pk}"
        if task.status == "NEW":
            response = self.claim(user, task)
            assert response.status_code == 302, (response.status_code, node.name, user.username)
        if sign:
            data = {"password": PASSWORD, **data}
        return self.execute(user, task, data)

    def refresh(self, case: UltrasoundCase) -> UltrasoundCase:
        return UltrasoundCase.objects.get(pk=case.pk)

    def register(self, **kwargs: Any) -> UltrasoundCase:
        """File a device and take it through every step to its registration (county A's personas)."""
        w = self.world
        case = self.file(**kwargs)
        return self.through(case, supervisor=w.supervisor)

    def through(self, case: UltrasoundCase, *, supervisor: Any = None, county: str = "a") -> UltrasoundCase:
        """From the director's signature to the bureau's approval, for a filing or a change."""
        w = self.world
        director, officer = (w.director, w.officer) if county == "a" else (w.director_b, w.officer_b)
        assert self.act(director, case, F.sign_undertaking, {"decision": "forward"}).status_code == 302
        if supervisor is not None:
            review = {"decision": "check", "supervisor": str(supervisor.pk)}
            assert self.act(officer, case, F.review, review, sign=False).status_code == 302
            assert self.act(supervisor, case, F.onsite_check, CHECKLIST_OK).status_code == 302
        else:
            assert self.act(officer, case, F.review, {"decision": "no_check"}, sign=False).status_code == 302
        assert self.act(officer, case, F.decide, {"decision": "approve"}).status_code == 302
        return self.refresh(case)


@pytest.fixture
def us_world(world: Any) -> Any:
    world.users.update(
        {
            "supervisor": make_person("supervisor", Role.SUPERVISOR, jurisdiction=world.county_a),
            "supervisor_b": make_person("supervisor_b", Role.SUPERVISOR, jurisdiction=world.county_b),
            "director_b": make_person(
                "director_b", Role.FACILITY_DIRECTOR, facility=world.hospital_b, rank=Profile.Rank.CHIEF
            ),
            "chief_b": make_person("chief_b", Role.BUREAU_DIRECTOR, jurisdiction=world.county_b),
        }
    )
    return world


@pytest.fixture
def driver(us_world: Any) -> Driver:
    get_resolver().url_patterns  # noqa: B018 - node.reverse() needs the URLconf loaded
    return Driver(us_world)


@pytest.fixture
def county_rules(world: Any) -> CountyConfig:
    return CountyConfig.objects.get(county=world.county_a)
