"""Helpers that drive birth reporting through its real URLs, as personas.

On top of the suite's world: the director of Centre A (the township health centre of Town A1,
which checks Hospital A's reports) and a director at Hospital B.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from viewflow.workflow.models import Task

from permissions.models import Profile
from permissions.roles import Role
from tests.conftest import make_person
from tests.factories import PASSWORD
from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import BirthEntry, MonthlyBirthReport

from .scene import resident_id


def entry_data(world: Any, *, serial: int = 1, hours_ago: float = 2, **overrides: Any) -> dict[str, Any]:
    occurred = timezone.localtime(timezone.now() - dt.timedelta(hours=hours_ago))
    data = {
        "facility": str(world.hospital_a.pk),
        "kind": "birth",
        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
        "sex": "male",
        "birth_weight_grams": "3300",
        "plurality": "1",
        "birth_order": "1",
        "outcome": "live_birth",
        "gestation_weeks": "",
        "cause": "",
        "mother_township": str(world.town_a.pk),
        "mother_resident_id": resident_id(serial),
        "late_reason": "",
    }
    data.update(overrides)
    return data


@dataclass
class Driver:
    world: Any

    def client(self, user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def enter(self, user: Any = None, **kwargs: Any) -> Any:
        return self.client(user or self.world.clerk).post(
            F.instance.reverse("entry_new"), entry_data(self.world, **kwargs)
        )

    def prepare(self, month: dt.date, user: Any = None, facility: Any = None) -> Any:
        facility = facility or self.world.hospital_a
        return self.client(user or self.world.clerk).post(
            F.prepare.reverse("execute"), {"facility": str(facility.pk), "month": month.strftime("%Y-%m")}
        )

    def report(self, month: dt.date, facility: Any = None) -> MonthlyBirthReport:
        return MonthlyBirthReport.objects.get(facility=facility or self.world.hospital_a, month=month)

    def open_task(self, report: MonthlyBirthReport, node: Any) -> Task | None:
        return Task.objects.filter(process_id=report.pk, flow_task=node, status__in=["NEW", "ASSIGNED"]).first()

    def claim(self, user: Any, task: Task) -> Any:
        return self.client(user).post(task.flow_task.reverse("assign", args=[task.process_id, task.pk]), {})

    def act(self, user: Any, report: MonthlyBirthReport, node: Any, data: dict, *, sign: bool = True) -> Any:
        task = self.open_task(report, node)
        assert task is not None, f"no open {node.name} task on report {report.pk}"
        if task.status == "NEW":
            response = self.claim(user, task)
            assert response.status_code == 302, (response.status_code, node.name, user.username)
        if sign:
            data = {"password": PASSWORD, **data}
        return self.client(user).post(task.flow_task.reverse("execute", args=[task.process_id, task.pk]), data)

    def refresh(self, report: MonthlyBirthReport) -> MonthlyBirthReport:
        return MonthlyBirthReport.objects.get(pk=report.pk)

    def entries(self) -> Any:
        return BirthEntry.objects.order_by("pk")


@pytest.fixture
def br_world(world: Any) -> Any:
    world.users.update(
        {
            "centre_director": make_person(
                "centre_director", Role.FACILITY_DIRECTOR, facility=world.centre_a, rank=Profile.Rank.CHIEF
            ),
            "director_b": make_person(
                "director_b", Role.FACILITY_DIRECTOR, facility=world.hospital_b, rank=Profile.Rank.CHIEF
            ),
        }
    )
    return world


@pytest.fixture
def driver(br_world: Any) -> Driver:
    get_resolver().url_patterns  # noqa: B018 - node.reverse() needs the URLconf loaded
    return Driver(br_world)


PASSWORD_FIELD = {"password": PASSWORD}
