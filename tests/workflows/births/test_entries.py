"""Entries: the rules, the 24-hour window at its boundary, duplicates, and the resident ID kept as a digest only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from core.fields import identifier_digest
from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import BirthEntry

from .scene import resident_id

pytestmark = pytest.mark.django_db


def test_a_birth_within_24_hours_is_recorded_on_time_with_its_digest_only(driver) -> None:
    response = driver.enter(serial=1)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = BirthEntry.objects.get()
    assert not entry.is_late and entry.late_reason == ""
    assert entry.mother_digest == identifier_digest(resident_id(1))
    stored = [str(getattr(entry, f.attname)) for f in BirthEntry._meta.concrete_fields]
    assert resident_id(1) not in stored  # never in clear
    event = AuditEvent.objects.get(action="births.entry")
    assert resident_id(1) not in str(event.changes) and entry.mother_digest not in str(event.changes)


def test_the_entries_page_says_a_digest_is_stored_and_never_shows_the_number(driver) -> None:
    driver.enter(serial=2)
    page = driver.client(driver.world.clerk).get(F.instance.reverse("entries")).content.decode()
    assert "fingerprint stored" in page
    assert resident_id(2) not in page and BirthEntry.objects.get().mother_digest not in page


def test_a_refused_form_does_not_echo_the_resident_id(driver) -> None:
    response = driver.enter(serial=3, sex="")
    assert response.status_code == 200
    assert resident_id(3) not in response.content.decode()
    assert not BirthEntry.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"birth_weight_grams": "120"}, "birth_weight_grams"),
        ({"birth_weight_grams": "9000"}, "birth_weight_grams"),
        ({"birth_weight_grams": ""}, "birth_weight_grams"),
        ({"plurality": "2", "birth_order": "3"}, "birth_order"),
        ({"outcome": ""}, "outcome"),
        ({"mother_resident_id": "110101199001011234"}, "mother_resident_id"),  # wrong check digit
        ({"kind": "infant_death", "outcome": "", "cause": ""}, "cause"),
        ({"kind": "late_miscarriage", "cause": "placental abruption", "gestation_weeks": "24"}, "gestation_weeks"),
        ({"mother_township": str(999999)}, "mother_township"),
        ({"occurred_at": "0001-01-01T00:00", "late_reason": "typo"}, "occurred_at"),  # not a plausible year
        ({"occurred_at": "not a date"}, "occurred_at"),
    ],
)
def test_implausible_entries_are_refused_with_nothing_saved(driver, overrides, field) -> None:
    response = driver.enter(serial=4, **overrides)
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not BirthEntry.objects.exists()


def test_the_mother_township_must_be_a_township(driver) -> None:
    response = driver.enter(serial=5, mother_township=str(driver.world.county_a.pk))
    assert "mother_township" in response.context["form"].errors
    assert not BirthEntry.objects.exists()


def test_a_death_and_a_late_miscarriage_are_reported_with_the_cause(driver) -> None:
    assert driver.enter(serial=6, kind="infant_death", outcome="", cause="asphyxia").status_code == 302
    response = driver.enter(serial=7, kind="late_miscarriage", outcome="", cause="abruption", gestation_weeks="30")
    assert response.status_code == 302
    assert sorted(BirthEntry.objects.values_list("kind", "cause")) == [
        ("infant_death", "asphyxia"),
        ("late_miscarriage", "abruption"),
    ]


def test_the_24_hour_window_at_its_boundary(driver) -> None:
    delivered = timezone.localtime(timezone.now()).replace(second=0, microsecond=0) - dt.timedelta(days=3)
    form = {"occurred_at": delivered.strftime("%Y-%m-%dT%H:%M")}
    with time_machine.travel(delivered + dt.timedelta(hours=24), tick=False):
        assert driver.enter(serial=8, **form).status_code == 302  # exactly 24 hours: on time
    with time_machine.travel(delivered + dt.timedelta(hours=24, minutes=1), tick=False):
        refused = driver.enter(serial=9, **form)
        assert "late_reason" in refused.context["form"].errors
        assert driver.enter(serial=9, late_reason="power cut", **form).status_code == 302
    on_time, late = BirthEntry.objects.order_by("pk")
    assert not on_time.is_late
    assert late.is_late and late.late_reason == "power cut"


def test_a_future_delivery_is_refused(driver) -> None:
    response = driver.enter(serial=10, hours_ago=-3)
    assert "occurred_at" in response.context["form"].errors


def test_a_duplicate_birth_is_refused_with_a_clear_error(driver) -> None:
    assert driver.enter(serial=11).status_code == 302
    again = driver.enter(serial=11, sex="female")
    assert again.status_code == 200
    assert "already in the register" in again.content.decode()
    assert BirthEntry.objects.count() == 1
    # The twin (birth order 2 of 2) of the same mother on the same day is another baby.
    assert driver.enter(serial=11, plurality="2", birth_order="2").status_code == 302


def test_an_entry_into_a_signed_month_is_refused(driver) -> None:
    from .test_paths import last_month, sign

    month = last_month()
    when = dt.datetime.combine(month + dt.timedelta(days=3), dt.time(9, 0))
    assert driver.enter(serial=12, occurred_at=when.strftime("%Y-%m-%dT%H:%M"), late_reason="late").status_code == 302
    report = sign(driver, month)
    response = driver.enter(serial=13, occurred_at=when.strftime("%Y-%m-%dT%H:%M"), late_reason="late")
    assert "is signed" in response.content.decode()
    assert report.entries().count() == 1


def test_only_the_facility_staff_enter_births(driver) -> None:
    for user in (driver.world.officer, driver.world.inspector, driver.world.expert1):
        assert driver.client(user).get(F.instance.reverse("entry_new")).status_code == 403
        assert driver.enter(user=user, serial=14).status_code == 403
    # Another facility's clerk cannot enter into Hospital A (not a choice of the form).
    response = driver.enter(user=driver.world.clerk_b, serial=15)
    assert response.status_code == 200 and "facility" in response.context["form"].errors
    assert not BirthEntry.objects.exists()
