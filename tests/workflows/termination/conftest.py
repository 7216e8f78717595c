"""Helpers that drive the termination flow through its real URLs, as personas."""

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
from tests.factories import PASSWORD
from workflows.termination.flows import TerminationFlow
from workflows.termination.models import TerminationCase, TerminationCountyRules

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def resident_id(serial: int = 1, born: str = "19950314") -> str:
    return resident_id_compose(region="340102", born=born, serial=serial)


def scan(name: str = "scan.pdf", content: bytes = PDF, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def documents_data(doc_types: list[str], *, prefix: str = "documents", files: list[Any] | None = None) -> dict:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(max(len(doc_types), 1)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "10",
    }
    for i, doc_type in enumerate(doc_types):
        data.update(
            {
                f"{prefix}-{i}-doc_type": doc_type,
                f"{prefix}-{i}-number": f"DOC-{i + 1:04d}",
                f"{prefix}-{i}-issuer": "County People's Hospital",
                f"{prefix}-{i}-issued_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
                f"{prefix}-{i}-file": (files[i] if files else scan()),
            }
        )
    return data


PATHWAY_DOCUMENTS = {
    "divorced": ["id_card", "divorce_certificate"],
    "widowed": ["id_card", "death_certificate"],
    "unmarried": ["id_card", "unmarried_commitment"],
    "fetal_genetic": ["id_card", "prenatal_diagnosis_cert"],
    "fetal_defect": ["id_card", "prenatal_diagnosis_cert"],
    "sex_linked": ["id_card", "prenatal_diagnosis_cert", "medical_opinion"],
    "maternal": ["id_card", "disease_diagnosis_cert"],
}


def request_data(
    world: Any, *, pathway: str = "divorced", weeks: int = 18, emergency: bool = False, **overrides: Any
) -> dict:
    doc_types = list(PATHWAY_DOCUMENTS[pathway]) + (["emergency_record"] if emergency else [])
    data = {
        "facility": str(world.hospital_a.pk),
        "patient_name": "测试 Patient",
        "resident_id": resident_id(),
        # A personal pathway states the marital status; a medical one does not care.
        "marital_status": {"widowed": "widowed", "unmarried": "unmarried"}.get(pathway, "divorced"),
        "gestational_weeks": str(weeks),
        "gestational_days": "2",
        "lmp_date": (timezone.localdate() - dt.timedelta(days=weeks * 7 + 2)).isoformat(),
        "pathway": pathway,
        **documents_data(doc_types),
    }
    if emergency:
        data["emergency"] = "on"
        data["emergency_justification"] = "Haemorrhage; operated at once to save the patient's life."
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

    def submit(self, user: Any = None, **kwargs: Any) -> TerminationCase:
        client = self.client(user or self.world.clerk)
        response = client.post(TerminationFlow.submit.reverse("execute"), request_data(self.world, **kwargs))
        assert response.status_code == 302, response.content.decode()[:3000]
        return TerminationCase.objects.order_by("-pk").first()

    def open_task(self, case: TerminationCase, node: Any) -> Task:
        return Task.objects.filter(process_id=case.pk, flow_task=node, status__in=["NEW", "ASSIGNED"]).first()

    def claim(self, user: Any, task: Task) -> Any:
        return self.client(user).post(task.flow_task.reverse("assign", args=[task.process_id, task.pk]), {})

    def execute(self, user: Any, task: Task, data: dict) -> Any:
        return self.client(user).post(task.flow_task.reverse("execute", args=[task.process_id, task.pk]), data)

    def act(self, user: Any, case: TerminationCase, node: Any, data: dict, *, sign: bool = True) -> Any:
        """Claim the case's open task at ``node`` and complete it. Returns the execute response."""
        task = self.open_task(case, node)
        assert task is not None, f"no open {node.name} task on case {case.pk}"
        if task.status == "NEW":
            response = self.claim(user, task)
            assert response.status_code == 302, (response.status_code, node.name, user.username)
        if sign:
            data = {"password": PASSWORD, **data}
        return self.execute(user, task, data)

    def refresh(self, case: TerminationCase) -> TerminationCase:
        return TerminationCase.objects.get(pk=case.pk)


@pytest.fixture
def driver(world: Any) -> Driver:
    get_resolver().url_patterns  # noqa: B018 - node.reverse() needs the URLconf loaded
    return Driver(world)


@pytest.fixture
def county_rules(world: Any) -> TerminationCountyRules:
    return TerminationCountyRules.objects.get(county=world.county_a)
