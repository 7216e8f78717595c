"""Birth counts for the bulletins, and helpers that drive a bulletin through its real URLs, as personas.

The bulletins read births only through workflows.cases.statistics. ``births`` registers, for the length
of a test, a provider of BirthCount rows and one of ReportStatus rows built from the world's real
facilities and townships (the registry's seam), and puts the module's lists back afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver
from viewflow.workflow.models import Task

from permissions.models import Facility, Profile
from permissions.roles import Role
from tests.conftest import make_person
from tests.factories import PASSWORD, FacilityFactory, township
from workflows.bulletins.flows import BulletinFlow as F
from workflows.bulletins.models import Bulletin
from workflows.cases import statistics


@dataclass
class BirthRegister:
    """Accepted monthly counts per facility, and report statuses, as the birth register would publish them."""

    counts: dict[tuple[int, dt.date], tuple[int, int]] = field(default_factory=dict)
    statuses: list[statistics.ReportStatus] = field(default_factory=list)

    def add(self, facility: Facility, month: dt.date, boys: int, girls: int) -> None:
        self.counts[(facility.pk, month)] = (boys, girls)

    def report(self, facility: Facility, month: dt.date, *, status: str, late: bool) -> None:
        label = "missing" if status == "missing" else f"report {status}"
        self.statuses.append(statistics.ReportStatus(facility.pk, month, status, label, None, late))

    def birth_counts(self, *, county: Any, start: dt.date, end: dt.date) -> list[statistics.BirthCount]:
        county_id = getattr(county, "pk", county)
        facilities = {f.pk: f for f in Facility.objects.filter(county_id=county_id)}
        return [
            statistics.BirthCount(pk, facilities[pk].township_id, month, boys, girls)
            for (pk, month), (boys, girls) in sorted(self.counts.items(), key=lambda item: (item[0][1], item[0][0]))
            if pk in facilities and start <= month < end
        ]

    def report_statuses(self, *, county: Any, month: dt.date) -> list[statistics.ReportStatus]:
        county_id = getattr(county, "pk", county)
        ids = set(Facility.objects.filter(county_id=county_id).values_list("pk", flat=True))
        return [s for s in self.statuses if s.facility_id in ids and s.month == month]


@pytest.fixture
def births(monkeypatch: pytest.MonkeyPatch) -> BirthRegister:
    register = BirthRegister()
    # Only this register's rows for the test: whatever providers the installed apps registered are set aside.
    monkeypatch.setattr(statistics, "_BIRTH_COUNTS", [])
    monkeypatch.setattr(statistics, "_REPORT_STATUS", [])
    statistics.register_birth_counts(register.birth_counts)
    statistics.register_report_status(register.report_statuses)
    return register


@pytest.fixture
def bl_world(world: Any) -> Any:
    """The suite's world, plus a small township with its clinic in county A, and the oversight personas."""
    town_a2 = township("920101002", "Town A2", parent=world.county_a)
    world.clinic_a2 = FacilityFactory(name="Clinic A2", county=world.county_a, township=town_a2)
    world.town_a2 = town_a2
    world.users.update(
        {
            "supervisor": make_person("supervisor", Role.SUPERVISOR, jurisdiction=world.county_a),
            "director_b": make_person(
                "director_b", Role.FACILITY_DIRECTOR, facility=world.hospital_b, rank=Profile.Rank.CHIEF
            ),
            "chief_b": make_person("chief_b", Role.BUREAU_DIRECTOR, jurisdiction=world.county_b),
            "inspector_b": make_person("inspector_b", Role.INSPECTOR, jurisdiction=world.county_b),
        }
    )
    return world


MONTH = dt.date(2026, 3, 1)
AFTER_THE_10TH = dt.datetime(2026, 4, 11, 9, 0, tzinfo=dt.UTC)


def a_month_of_births(births: BirthRegister, w: Any, month: dt.date = MONTH) -> None:
    """Hospital A: 560 boys, 440 girls (SRB 127, a warning); Centre A: 7 and 3 (233, not flagged, small);
    Clinic A2 in Town A2: 12 and 4 (300, not flagged); Hospital B in county B: 500 and 480."""
    births.add(w.hospital_a, month, 560, 440)
    births.add(w.centre_a, month, 7, 3)
    births.add(w.clinic_a2, month, 12, 4)
    births.add(w.hospital_b, month, 500, 480)


@dataclass
class Driver:
    world: Any

    def client(self, user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def bulletin(self, county: Any = None) -> Bulletin:
        return Bulletin.objects.get(county=county or self.world.county_a, kind="monthly")

    def open_task(self, bulletin: Bulletin, node: Any) -> Task | None:
        return Task.objects.filter(process_id=bulletin.pk, flow_task=node, status__in=["NEW", "ASSIGNED"]).first()

    def claim(self, user: Any, task: Task) -> Any:
        return self.client(user).post(task.flow_task.reverse("assign", args=[task.process_id, task.pk]), {})

    def act(self, user: Any, bulletin: Bulletin, node: Any, data: dict, *, sign: bool = False) -> Any:
        task = self.open_task(bulletin, node)
        assert task is not None, f"no open {node.name} task on bulletin {bulletin.pk}"
        if task.status == "NEW":
            response = self.claim(user, task)
            assert response.status_code == 302, (response.status_code, node.name, user.username)
        if sign:
            data = {"password": PASSWORD, **data}
        return self.client(user).post(task.flow_task.reverse("execute", args=[task.process_id, task.pk]), data)

    def publish(self, bulletin: Bulletin) -> Bulletin:
        w = self.world
        assert self.act(w.officer, bulletin, F.review, {"decision": "forward"}).status_code == 302
        assert self.act(w.chief, bulletin, F.sign, {"decision": "approve"}, sign=True).status_code == 302
        return Bulletin.objects.get(pk=bulletin.pk)

    def url(self, name: str, bulletin: Bulletin, **kwargs: Any) -> str:
        return str(F.instance.reverse(name, kwargs={"process_pk": bulletin.pk, **kwargs}))


@pytest.fixture
def driver(bl_world: Any) -> Driver:
    get_resolver().url_patterns  # noqa: B018 - node.reverse() needs the URLconf loaded
    return Driver(bl_world)
