"""seed_demo: a year of accepted reports for every delivering facility, one flagged and one small township."""

from __future__ import annotations

import io
import math
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from permissions.models import Facility, Jurisdiction
from workflows.births.demo import demo_months
from workflows.births.models import BirthEntry, MonthlyBirthReport, Stage, next_month
from workflows.cases.statistics import birth_counts, report_statuses

pytestmark = pytest.mark.django_db

Z_998 = 3.090232  # two-sided 99.8%
NATURAL = (103 / 203, 107 / 207)  # the natural range of the sex ratio, as a share of boys


def wilson(boys: int, births: int, z: float = Z_998) -> tuple[float, float]:
    p, n = boys / births, births
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_seed_demo_gives_a_year_of_accepted_reports_one_flagged_one_small(monkeypatch: Any) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    months = demo_months(timezone.localdate())
    totals: dict[int, list[int]] = {}
    for code in ("990101", "990102"):
        county = Jurisdiction.objects.get(code=code)
        for row in birth_counts(county=county, start=months[0], end=next_month(months[-1])):
            totals.setdefault(row.facility_id, [0, 0])
            totals[row.facility_id][0] += row.boys
            totals[row.facility_id][1] += row.girls
        assert all(r.status == Stage.ACCEPTED for r in report_statuses(county=county, month=months[-1]))
    delivering = Facility.objects.exclude(kind=Facility.Kind.PRIVATE_CLINIC)
    assert set(totals) == set(delivering.values_list("pk", flat=True))
    assert MonthlyBirthReport.objects.filter(stage=Stage.ACCEPTED).count() == 12 * delivering.count()
    flagged = Facility.objects.get(practice_licence_number="PDY-990101-0001")
    boys, girls = totals[flagged.pk]
    assert wilson(boys, boys + girls)[0] > NATURAL[1]  # its interval lies above 107
    small = Facility.objects.get(practice_licence_number="PDY-990101-0002")
    boys, girls = totals[small.pk]
    low, high = wilson(boys, boys + girls)
    assert boys + girls < 50 and boys / girls > 2 and low < NATURAL[0] and high > NATURAL[1]
    # Idempotent.
    before = BirthEntry.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert BirthEntry.objects.count() == before
