"""Access by persona: aggregates only above the facility, outsiders get 404, inspectors change nothing,
and the list pages cost a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permissions.models import Facility
from tests.privacy import shows
from workflows.births.demo import _accepted_report
from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import BirthEntry, Stage, previous_month
from workflows.cases.registry import procedure

from .test_paths import last_month, sign

pytestmark = pytest.mark.django_db

WEIGHT = "4321"  # a distinctive entry value: only the facility's own staff may ever see it


def entry_time(month: dt.date) -> str:
    """The entry's time of birth as its table shows it: date and minute, which no clock on a page can show."""
    return f"{month + dt.timedelta(days=4):%Y-%m-%d} 06:17"


def signed_report(driver):
    month = last_month()
    when = dt.datetime.combine(month + dt.timedelta(days=4), dt.time(6, 17))
    driver.enter(serial=700, occurred_at=when.strftime("%Y-%m-%dT%H:%M"), birth_weight_grams=WEIGHT, late_reason="r")
    return sign(driver, month)


def pages(report) -> list[str]:
    return [
        F.instance.reverse("process_detail", args=[report.pk]),
        F.instance.reverse("register"),
        F.instance.reverse("register") + f"?month={report.month:%Y-%m}",
        F.instance.reverse("process_list"),
    ]


def test_the_facility_sees_its_entries_everyone_above_it_counts_only(driver) -> None:
    report = signed_report(driver)
    w = driver.world
    facility_page = driver.client(w.director).get(pages(report)[0]).content.decode()
    entered_at = entry_time(report.month)
    assert WEIGHT in facility_page and entered_at in facility_page
    for user in (w.officer, w.chief, w.inspector, w.centre_director):
        for url in pages(report):
            response = driver.client(user).get(url)
            assert response.status_code == 200, (user.username, url)
            body = response.content.decode()
            assert not shows(body, WEIGHT) and entered_at not in body, (user.username, url)
        detail = driver.client(user).get(pages(report)[0])
        assert detail.context["entries"] == []
        assert detail.context["count_table"][0]["cells"][0] == 1  # the live boy, counted
        # Nor the individual entries' pages: refused, or (the centre's director) only the centre's own.
        entries = driver.client(user).get(F.instance.reverse("entries"))
        assert entries.status_code == (200 if user == w.centre_director else 403)
        assert not shows(entries.content.decode(), WEIGHT)


def test_the_visibility_table_keeps_entries_for_the_facility(driver) -> None:
    from permissions.roles import Role

    table = procedure("births").visibility
    for role in (Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR, Role.INSPECTOR, Role.EXPERT, Role.SUPERVISOR):
        assert not table.may_see("entries", {role})
    assert table.may_see("entries", {Role.FACILITY_CLERK}) and table.may_see("entries", {Role.FACILITY_DIRECTOR})


def test_outsiders_get_404(driver) -> None:
    report = signed_report(driver)
    w = driver.world
    for user in (w.clerk_b, w.officer_b, w.clerk_other, w.director_b, w.expert1):
        assert driver.client(user).get(pages(report)[0]).status_code == 404, user.username
        assert (
            F.instance.reverse("process_detail", args=[report.pk])
            not in driver.client(user).get(F.instance.reverse("register")).content.decode()
        )


def test_other_facilities_entries_never_show_in_the_entries_list(driver) -> None:
    signed_report(driver)
    response = driver.client(driver.world.clerk_b).get(F.instance.reverse("entries"))
    assert response.status_code == 200 and not shows(response.content.decode(), WEIGHT)


def test_the_inspector_changes_nothing(driver) -> None:
    report = signed_report(driver)
    w = driver.world
    driver.act(w.centre_director, report, F.township_check, {"decision": "forward"})
    task = driver.open_task(driver.refresh(report), F.accept)
    assert driver.claim(w.inspector, task).status_code == 404  # write access: none
    assert F.prepare.can_execute(w.inspector) is False
    assert driver.client(w.inspector).post(F.instance.reverse("entry_new"), {}).status_code == 403
    assert driver.refresh(report).stage == Stage.BUREAU_ACCEPT


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_entries_list_costs_the_same_with_1_and_50_rows(driver) -> None:
    client = driver.client(driver.world.clerk)
    url = F.instance.reverse("entries")
    signed_report(driver)
    one = _queries(client, url)
    first = BirthEntry.objects.get()
    fields = {f.attname: getattr(first, f.attname) for f in BirthEntry._meta.concrete_fields if f.attname != "id"}
    BirthEntry.objects.bulk_create([BirthEntry(**(fields | {"birth_order": 2 + i})) for i in range(49)])
    assert _queries(client, url) == one


def test_the_register_costs_the_same_with_1_and_50_rows(driver) -> None:
    w = driver.world
    client = driver.client(w.officer)
    url = F.instance.reverse("register")
    month = last_month()
    counts = {"births": 2, "live_birth:male": 1, "live_birth:female": 1}
    _accepted_report(facility=w.hospital_a, month=month, clerk=w.clerk, counts=counts)
    one = _queries(client, url)
    extra = Facility.objects.filter(pk=w.hospital_a.pk).get()
    for _i in range(49):
        month = previous_month(month)
        _accepted_report(facility=extra, month=month, clerk=w.clerk, counts=counts)
    assert _queries(client, url) == one
    assert len(client.get(url).context["reports"]) == 50
