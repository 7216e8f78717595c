"""The officer's work item for a missing report: from the day after the 10th, each delivering facility-month of
the county with no signed report is listed on the bureau officers' workspace until the facility signs."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from permissions.roles import Role
from tests.conftest import make_person
from tests.factories import FacilityFactory
from workflows.births.selectors import missing_reports_section

from .test_paths import sign
from .test_sweeps import at

pytestmark = pytest.mark.django_db

TITLE = "Missing monthly birth reports"


def listed(user) -> set[tuple[str, str]]:
    section = missing_reports_section(user=user)
    return {(row[0].text, row[1].text) for row in section.rows}


def test_the_item_appears_after_the_10th_for_the_countys_officers_only_and_leaves_when_signed(driver) -> None:
    w = driver.world
    month = timezone.localdate().replace(day=1)  # "last month" once the clock is in the next one
    key = f"{month:%Y-%m}"
    with time_machine.travel(at(10, 18), tick=False):
        assert (w.hospital_a.name, key) not in listed(w.officer)  # the 10th is still the check's day
    with time_machine.travel(at(11), tick=False):
        assert {(w.hospital_a.name, key), (w.centre_a.name, key)} <= listed(w.officer)
        assert {(w.hospital_a.name, key), (w.centre_a.name, key)} <= listed(w.officer2)
        assert (w.hospital_b.name, key) not in listed(w.officer)  # another county's facility
        assert all(name != w.hospital_a.name for name, _m in listed(w.officer_b))
        assert (w.hospital_b.name, key) in listed(w.officer_b)
        home = reverse("workspace:index")
        page = driver.client(w.officer).get(home).content.decode()
        assert TITLE in page and f'?month={key}">{w.hospital_a.name}</a>' in page
        for staff in (w.clerk, w.director, w.centre_director):
            assert TITLE not in driver.client(staff).get(home).content.decode()
        assert TITLE not in driver.client(w.inspector).get(home).content.decode()
        sign(driver, month)  # Hospital A's director signs, late
        assert (w.hospital_a.name, key) not in listed(w.officer)
        assert (w.centre_a.name, key) in listed(w.officer)  # Centre A still has not signed
        page = driver.client(w.officer).get(home).content.decode()
        assert f'?month={key}">{w.hospital_a.name}</a>' not in page
        assert f'?month={key}">{w.centre_a.name}</a>' in page


def test_the_section_costs_the_same_queries_whatever_the_rows(driver) -> None:
    w = driver.world
    with time_machine.travel(at(11), tick=False):
        with CaptureQueriesContext(connection) as few:
            small = missing_reports_section(user=w.officer)
        for i in range(4):
            FacilityFactory(
                name=f"Extra {i}", county=w.county_a, township=w.town_a, kind=w.hospital_a.kind, is_active=True
            )
        extra = make_person("officer3", Role.BUREAU_OFFICER, jurisdiction=w.county_a)
        with CaptureQueriesContext(connection) as many:
            large = missing_reports_section(user=extra)
    assert large.total > small.total
    assert len(many.captured_queries) == len(few.captured_queries)


def test_months_past_the_window_are_not_listed(driver) -> None:
    from workflows.births.selectors import MISSING_REPORT_MONTHS, missing_report_months

    months = missing_report_months(dt.date(2026, 3, 11))
    assert months[0] == dt.date(2026, 2, 1) and len(months) == MISSING_REPORT_MONTHS
    assert missing_report_months(dt.date(2026, 3, 10))[0] == dt.date(2026, 1, 1)
