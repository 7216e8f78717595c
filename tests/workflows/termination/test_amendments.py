"""The amendment rule: no way around the expert panel, and no new patient on a signed case (issue #9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task

from audit.models import AuditEvent, Signature
from permissions.models import Profile
from permissions.roles import Role
from tests.conftest import make_person
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.forms import AmendForm
from workflows.termination.models import Stage, TerminationDocument
from workflows.termination.services import IDENTITY_FIELDS, NON_PANEL_FIELDS, PANEL_FIELDS

from .conftest import documents_data, resident_id

pytestmark = pytest.mark.django_db

AGREE = {"agrees": "yes", "reason": "Confirmed"}
WEEKS, DAYS = 18, 2


def amend_data(**overrides: Any) -> dict[str, Any]:
    """The amendment form as the case was submitted (request_data's values), with a reason and no new scans."""
    data = {
        "patient_name": "测试 Patient",
        "resident_id": resident_id(),
        "marital_status": "divorced",
        "gestational_weeks": str(WEEKS),
        "gestational_days": str(DAYS),
        "lmp_date": (timezone.localdate() - dt.timedelta(days=WEEKS * 7 + DAYS)).isoformat(),
        "pathway": "sex_linked",
        "emergency_justification": "",
        "reason": "Answering the director's questions",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "10",
    }
    data.update(overrides)
    return data


# One valid change of each field of the amendment form, on a sex-linked case submitted by request_data.
CHANGES: dict[str, dict[str, Any]] = {
    "patient_name": {"patient_name": "Another Patient"},
    "resident_id": {"resident_id": resident_id(serial=2)},
    "marital_status": {"marital_status": "married"},
    "gestational_weeks": {
        "gestational_weeks": str(WEEKS + 1),
        "lmp_date": (timezone.localdate() - dt.timedelta(days=(WEEKS + 1) * 7 + DAYS)).isoformat(),
    },
    "gestational_days": {"gestational_days": str(DAYS + 2)},
    "lmp_date": {"lmp_date": (timezone.localdate() - dt.timedelta(days=WEEKS * 7 + DAYS + 5)).isoformat()},
    # sex_linked -> fetal_genetic needs no scan the case does not already hold.
    "pathway": {"pathway": "fetal_genetic"},
    "emergency_justification": {"emergency_justification": "Not an emergency: this text is dropped."},
    "reason": {"reason": "A different explanation"},
}


def expect(field: str) -> str:
    if field in IDENTITY_FIELDS:
        return "refused"
    if field in PANEL_FIELDS:
        return "fresh_panel"
    return "director"


def panel_then_return(driver: Any, world: Any) -> Any:
    """A sex-linked case the full panel agreed on, returned by the director."""
    case = driver.submit(pathway="sex_linked")
    for expert in (world.expert1, world.expert2, world.expert3):
        assert driver.act(expert, case, F.give_opinion, AGREE).status_code == 302
    response = driver.act(world.director, case, F.review, {"decision": "return", "reason": "Please check the dates"})
    assert response.status_code == 302
    return driver.refresh(case)


def open_steps(case: Any) -> list[str]:
    tasks = Task.objects.filter(process_id=case.pk, status__in=["NEW", "ASSIGNED"], flow_task_type="HUMAN")
    return sorted(t.flow_task.name for t in tasks)


def more_experts(world: Any) -> list[Any]:
    return [
        make_person(f"expert{n}", Role.EXPERT, jurisdiction=world.county_a, rank=Profile.Rank.DEPUTY_CHIEF)
        for n in (4, 5, 6)
    ]


def test_every_field_of_the_amendment_form_is_classified_once() -> None:
    fields = set(AmendForm().fields)
    assert fields == PANEL_FIELDS | NON_PANEL_FIELDS, "classify the new field in services.py"
    assert not PANEL_FIELDS & NON_PANEL_FIELDS
    assert set(CHANGES) == fields, "add a change of the new field to CHANGES"


@pytest.mark.parametrize("field", sorted(AmendForm().fields))
def test_each_amended_field_follows_the_rule(driver: Any, world: Any, field: str) -> None:
    case = panel_then_return(driver, world)
    events_before = AuditEvent.objects.filter(action="termination.amend").count()
    response = driver.act(world.clerk, case, F.amend, amend_data(**CHANGES[field]), sign=False)
    after = driver.refresh(case)

    if expect(field) == "refused":
        assert response.status_code == 200
        assert "withdraw this request and file a new one" in response.content.decode()
        assert after.revision == case.revision and after.stage == Stage.RETURNED
        assert (after.patient_name, after.resident_id) == (case.patient_name, case.resident_id)
        assert AuditEvent.objects.filter(action="termination.amend").count() == events_before
        assert open_steps(after) == ["amend"]
        return

    assert response.status_code == 302, response.content.decode()[:2000]
    assert after.revision == case.revision + 1
    if expect(field) == "fresh_panel":
        assert after.stage == Stage.PANEL and after.panel_revision == after.revision
        assert open_steps(after) == ["give_opinion"] * 3
        assert not any(after.opinion_is_current(o) for o in after.opinions.all())
    else:
        assert after.stage == Stage.FACILITY_REVIEW and after.panel_revision == 1
        assert open_steps(after) == ["review"]
        assert all(after.opinion_is_current(o) for o in after.opinions.all())


def test_a_personal_case_amended_to_a_medical_pathway_goes_to_the_panel_before_any_certificate(
    driver: Any, world: Any
) -> None:
    """The attack run's path: personal -> returned by the bureau -> amended to medical -> must meet the panel."""
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "return", "reason": "Divorce judgment unclear"})
    data = amend_data(pathway="maternal", **documents_data(["disease_diagnosis_cert"]))
    assert driver.act(world.clerk, case, F.amend, data, sign=False).status_code == 302

    case = driver.refresh(case)
    assert case.stage == Stage.PANEL and open_steps(case) == ["give_opinion"] * 3
    amend = AuditEvent.objects.get(action="termination.amend")
    assert amend.changes["fresh_panel"] is True and "pathway" in amend.changes["panel_facts_changed"]
    for expert in (world.expert1, world.expert2, world.expert3):
        assert driver.act(expert, case, F.give_opinion, AGREE).status_code == 302
    assert open_steps(driver.refresh(case)) == ["review"]


def test_a_fresh_panel_has_three_new_distinct_experts_and_the_page_shows_which_opinions_count(
    driver: Any, world: Any
) -> None:
    case = panel_then_return(driver, world)
    response = driver.act(world.clerk, case, F.amend, amend_data(**CHANGES["gestational_days"]), sign=False)
    assert response.status_code == 302
    seat = driver.open_task(case, F.give_opinion)
    # The earlier panelists do not sit again (docs/termination.md explains why), nor does the director or the clerk.
    for user in (world.expert1, world.expert2, world.expert3, world.director, world.clerk):
        assert driver.claim(user, seat).status_code == 403, user.username
    new = more_experts(world)
    assert driver.act(new[0], case, F.give_opinion, AGREE).status_code == 302
    third = driver.open_task(case, F.give_opinion)
    assert driver.claim(new[0], third).status_code == 403  # still three distinct people
    assert (
        driver.act(new[1], case, F.give_opinion, {"agrees": "no", "reason": "Not at this gestation"}).status_code == 302
    )
    assert open_steps(driver.refresh(case)) == ["give_opinion"]
    assert driver.act(new[2], case, F.give_opinion, AGREE).status_code == 302

    case = driver.refresh(case)
    assert case.stage == Stage.FACILITY_REVIEW and case.panel_dissent
    page = driver.client(world.director).get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
    current = page[page.index('id="case-opinions-current"') : page.index('id="case-opinions-superseded"')]
    superseded = page[page.index('id="case-opinions-superseded"') :]
    superseded = superseded[: superseded.index("</table>")]
    assert "Not at this gestation" in current and "Expert4 Printed" in current
    assert "Expert1 Printed" not in current and "Expert1 Printed" in superseded
    assert "Superseded opinions (no longer count)" in page


def test_a_medical_document_added_on_amendment_goes_to_a_fresh_panel(driver: Any, world: Any) -> None:
    case = panel_then_return(driver, world)
    data = amend_data(**documents_data(["prenatal_diagnosis_cert"]))
    assert driver.act(world.clerk, case, F.amend, data, sign=False).status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.PANEL and open_steps(case) == ["give_opinion"] * 3


def test_an_id_card_copy_added_on_amendment_keeps_the_panel(driver: Any, world: Any) -> None:
    case = panel_then_return(driver, world)
    data = amend_data(**documents_data(["id_card"]))
    assert driver.act(world.clerk, case, F.amend, data, sign=False).status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.FACILITY_REVIEW and open_steps(case) == ["review"]


def test_a_medical_case_amended_to_a_personal_pathway_goes_to_the_director_without_the_old_opinions(
    driver: Any, world: Any
) -> None:
    case = panel_then_return(driver, world)
    data = amend_data(pathway="divorced", **documents_data(["divorce_certificate"]))
    assert driver.act(world.clerk, case, F.amend, data, sign=False).status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.FACILITY_REVIEW and open_steps(case) == ["review"]
    assert not any(case.opinion_is_current(o) for o in case.opinions.all())


def test_an_identity_change_with_new_scans_saves_nothing(driver: Any, world: Any) -> None:
    case = panel_then_return(driver, world)
    data = amend_data(resident_id=resident_id(serial=7), patient_name="Someone Else", **documents_data(["id_card"]))
    response = driver.act(world.clerk, case, F.amend, data, sign=False)
    assert response.status_code == 200
    assert TerminationDocument.objects.filter(case=case).count() == 3  # the submitted scans only
    assert driver.refresh(case).resident_id == resident_id()
    signed = Signature.objects.filter(object_id=str(case.pk)).count()
    assert signed == 4  # three opinions and the director's return, unchanged


def test_an_emergency_case_amended_goes_back_to_the_bureau(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="maternal", emergency=True)
    driver.act(world.officer, case, F.decide, {"decision": "return", "reason": "Record incomplete"})
    data = amend_data(
        pathway="maternal",
        gestational_days="4",
        emergency_justification="Haemorrhage; operated at once.",
    )
    assert driver.act(world.clerk, case, F.amend, data, sign=False).status_code == 302
    case = driver.refresh(case)
    assert case.stage == Stage.BUREAU_REVIEW and open_steps(case) == ["decide"]


def test_an_outsider_cannot_amend(driver: Any, world: Any) -> None:
    case = panel_then_return(driver, world)
    task = driver.open_task(case, F.amend)
    url = F.amend.reverse("execute", args=[case.pk, task.pk])
    response = driver.client(world.clerk_b).post(url, amend_data(**CHANGES["pathway"]))
    assert response.status_code == 404
    assert driver.refresh(case).revision == case.revision


def test_the_flow_chart_shows_the_way_back_to_the_panel(driver: Any, world: Any) -> None:
    case = panel_then_return(driver, world)
    driver.act(world.clerk, case, F.amend, amend_data(**CHANGES["pathway"]), sign=False)
    client = driver.client(world.director)
    bpmn = client.get(F.instance.reverse("chart") + "?format=bpmn").content.decode()
    for target in ("split_panel", "review", "decide"):
        assert f'sourceRef="id_node_check_resubmission" targetRef="id_node_{target}"' in bpmn
    chart = client.get(F.instance.reverse("process_chart", args=[case.pk]))
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
