"""Each procedure's monthly figures for the bulletins, counted from real cases driven through its services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from workflows.cases import statistics
from workflows.cases.services import case_step_run
from workflows.retired_practitioners import selectors as rp_selectors
from workflows.retired_practitioners import services as rp_services
from workflows.retired_practitioners.flows import RetiredPractitionerFlow
from workflows.retired_practitioners.models import Decision as RpDecision
from workflows.termination import selectors as termination_selectors
from workflows.termination.models import Decision as TerminationDecision
from workflows.ultrasound import selectors as us_selectors

pytestmark = pytest.mark.django_db


def this_month() -> tuple[dt.date, dt.date]:
    start = timezone.localdate().replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def values(figures: list[statistics.Figure]) -> dict[str, int]:
    return {figure.code: figure.value for figure in figures}


def last_month() -> tuple[dt.date, dt.date]:
    start, _end = this_month()
    return (start - dt.timedelta(days=1)).replace(day=1), start


def test_termination_figures(world: Any) -> None:
    from tests.workflows.termination.scene import case_decide, case_review, case_start

    approved = case_start(user=world.clerk, facility=world.hospital_a, pathway="divorced", name="P-1", serial=401)
    case_review(approved, world.director)
    case_decide(approved, world.officer)
    rejected = case_start(user=world.clerk, facility=world.hospital_a, pathway="widowed", name="P-2", serial=402)
    case_review(rejected, world.director)
    case_decide(rejected, world.officer, decision=TerminationDecision.REJECT)
    case_start(user=world.clerk, facility=world.hospital_a, pathway="divorced", name="P-3", serial=403)
    start, end = this_month()
    figures = values(termination_selectors.monthly_figures(county=world.county_a, start=start, end=end))
    assert figures == {"received": 3, "approved": 1, "rejected": 1, "completed": 0}
    assert set(values(termination_selectors.monthly_figures(county=world.county_b, start=start, end=end)).values()) == {
        0
    }
    before = values(termination_selectors.monthly_figures(county=world.county_a, start=last_month()[0], end=start))
    assert set(before.values()) == {0}


def test_ultrasound_figures(world: Any) -> None:
    from permissions.roles import Role
    from tests.conftest import make_person
    from tests.workflows.ultrasound.scene import case_check_and_approve, case_review, case_sign, case_start

    supervisor = make_person("supervisor_fig", Role.SUPERVISOR, jurisdiction=world.county_a)
    registered = case_start(user=world.clerk, facility=world.hospital_a, serial="FIG-1")
    case_sign(registered, world.director)
    case_review(registered, world.officer, supervisor)
    case_check_and_approve(registered, supervisor, world.officer)
    case_start(user=world.clerk, facility=world.hospital_a, serial="FIG-2")
    start, end = this_month()
    figures = values(us_selectors.monthly_figures(county=world.county_a, start=start, end=end))
    assert figures == {"filed": 2, "registered": 1, "transferred": 0, "retired": 0}
    assert set(values(us_selectors.monthly_figures(county=world.county_b, start=start, end=end)).values()) == {0}


def test_retired_practitioner_figures(world: Any) -> None:
    from tests.workflows.retired_practitioners.scene import case_sign, case_start

    accepted = case_start(user=world.clerk, facility=world.hospital_a, serial=501)
    case_sign(accepted, world.director)
    case_step_run(case=accepted, node=RetiredPractitionerFlow.verify, user=world.officer,
                  service=rp_services.practitioner_verify, decision=RpDecision.APPROVE, reason="")  # fmt: skip
    case_start(user=world.clerk, facility=world.hospital_a, serial=502)
    start, end = this_month()
    assert values(rp_selectors.monthly_figures(county=world.county_a, start=start, end=end)) == {
        "received": 2,
        "accepted": 1,
    }
    assert values(rp_selectors.monthly_figures(county=world.county_a, start=last_month()[0], end=start)) == {
        "received": 0,
        "accepted": 0,
    }


def test_every_procedure_registers_its_figures_for_the_bulletins(world: Any) -> None:
    start, end = this_month()
    groups = statistics.figures(county=world.county_a, start=start, end=end)
    labels = [str(label) for label, _figures in groups]
    assert labels == ["Termination approval", "Ultrasound device registry", "Retired practitioner registry"]
