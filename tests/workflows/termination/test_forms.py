"""Bad input on every form: a clear message, a 200 re-render, nothing saved, never a 5xx."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from viewflow.workflow.models import Process

from core.validators import resident_id_mask, validate_resident_id
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import (
    Stage,
    TerminationCase,
    TerminationCountyRules,
    TerminationDesignation,
    TerminationDocument,
)

from .conftest import PNG, documents_data, request_data, resident_id, scan

pytestmark = pytest.mark.django_db


def submit(driver: Any, world: Any, user: Any = None, **overrides: Any) -> Any:
    data = request_data(world, **{k: overrides.pop(k) for k in ("pathway", "weeks", "emergency") if k in overrides})
    data.update(overrides)
    return driver.client(user or world.clerk).post(F.submit.reverse("execute"), data)


def assert_refused(response: Any, message: str) -> None:
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Process.objects.exists() and not TerminationDocument.objects.exists()


def test_gestation_below_the_county_threshold_is_refused(driver: Any, world: Any) -> None:
    assert_refused(submit(driver, world, weeks=12), "this county&#x27;s threshold is 14 weeks")


def test_the_threshold_is_county_configuration(driver: Any, world: Any) -> None:
    TerminationCountyRules.objects.filter(county=world.county_a).update(gestational_threshold_weeks=16)
    assert_refused(submit(driver, world, weeks=15), "threshold is 16 weeks")


def test_a_facility_not_designated_for_the_gestation_is_refused(driver: Any, world: Any) -> None:
    TerminationDesignation.objects.filter(facility=world.hospital_a).update(max_weeks=20)
    assert_refused(submit(driver, world, weeks=22), "is not designated for terminations at 22 weeks")


def test_a_facility_not_designated_at_all_cannot_be_chosen(driver: Any, world: Any) -> None:
    response = submit(driver, world, user=world.clerk_other, facility=str(world.centre_a.pk))
    assert_refused(response, "Select a valid choice")


def test_a_pathway_the_county_does_not_accept_is_refused(driver: Any, world: Any) -> None:
    TerminationCountyRules.objects.filter(county=world.county_a).update(accepted_personal_pathways=["divorced"])
    assert_refused(submit(driver, world, pathway="unmarried"), "does not accept that personal-circumstance pathway")


def test_missing_documents_for_the_pathway_are_refused(driver: Any, world: Any) -> None:
    data = request_data(world, pathway="sex_linked")
    data.update(documents_data(["id_card", "prenatal_diagnosis_cert"]))
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    assert_refused(response, "Documents missing for this pathway")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("34010219950314001", "Ensure this value has at least 18 characters"),
        ("3401021995031400AX", "17 digits followed by a digit or X"),
        ("340102199502300011", "birth date inside this resident ID number does not exist"),
        (resident_id()[:17] + ("0" if resident_id()[-1] != "0" else "1"), "check digit"),
    ],
)
def test_a_bad_resident_id_is_refused(driver: Any, world: Any, value: str, message: str) -> None:
    assert_refused(submit(driver, world, resident_id=value), message)


def test_an_lmp_that_does_not_fit_the_gestation_is_refused(driver: Any, world: Any) -> None:
    lmp = (timezone.localdate() - dt.timedelta(days=60)).isoformat()
    assert_refused(submit(driver, world, lmp_date=lmp), "does not fit a gestation")


def test_an_upload_that_is_not_a_pdf_or_image_is_refused_by_content(driver: Any, world: Any) -> None:
    fake = scan(name="scan.pdf", content=b"MZ\x90\x00 this is an executable", content_type="application/pdf")
    data = request_data(world)
    data["documents-0-file"] = fake
    assert_refused(driver.client(world.clerk).post(F.submit.reverse("execute"), data), "Upload a PDF, JPEG or PNG scan")


def test_an_upload_over_the_size_limit_is_refused(driver: Any, world: Any, settings: Any) -> None:
    settings.UPLOAD_MAX_BYTES = 2048
    data = request_data(world)
    data["documents-0-file"] = scan(content=b"%PDF-1.4\n" + b"0" * 4096)
    assert_refused(driver.client(world.clerk).post(F.submit.reverse("execute"), data), "The file is too large")


def test_scans_are_stored_under_server_names_and_served_as_attachments(driver: Any, world: Any) -> None:
    data = request_data(world)
    data["documents-0-file"] = scan(name="../../etc/passwd.png", content=PNG, content_type="image/png")
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    assert response.status_code == 302
    document = TerminationDocument.objects.filter(content_type="image/png").get()
    download = driver.client(world.officer).get(F.instance.reverse("document", args=[document.case_id, document.pk]))
    assert download.status_code == 200
    expected = f'attachment; filename="case-{document.case_id}-document-{document.pk}.png"'
    assert download["Content-Disposition"] == expected
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "image/png"
    assert download.content == PNG


def test_resident_id_and_name_are_encrypted_at_rest(driver: Any, world: Any) -> None:
    from django.db import connection

    case = driver.submit(pathway="divorced")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT resident_id, patient_name FROM termination_terminationcase WHERE process_ptr_id = %s", [case.pk]
        )
        raw_id, raw_name = cursor.fetchone()
    assert resident_id() not in raw_id and "Patient" not in raw_name
    assert TerminationCase.objects.get(pk=case.pk).resident_id == resident_id()


def test_the_case_list_masks_the_resident_id(driver: Any, world: Any) -> None:
    driver.submit(pathway="divorced")
    page = driver.client(world.officer).get(F.instance.reverse("index")).content.decode()
    assert resident_id_mask(resident_id()) in page and resident_id() not in page


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "approve"},  # not a choice the director has
        {"decision": "return", "reason": "   "},
        {"decision": "forward", "password": ""},
        {},
    ],
)
def test_bad_director_decisions_are_refused(driver: Any, world: Any, data: dict) -> None:
    case = driver.submit(pathway="divorced")
    response = driver.act(world.director, case, F.review, data, sign="password" not in data)
    assert response.status_code == 200
    assert driver.refresh(case).stage == Stage.FACILITY_REVIEW


def test_bad_procedure_records_are_refused(driver: Any, world: Any) -> None:
    from .test_paths import record_data

    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "approve"})
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    for bad, message in [
        ({"drugs": "just a name"}, "write the drug name, a semicolon"),
        ({"procedure_date": tomorrow}, "This date lies in the future"),
        ({"physician_licence": "<script>"}, "Enter the licence number as printed"),
        ({"fetal_sex": "unknown"}, "Select a valid choice"),
    ]:
        response = driver.act(world.clerk, case, F.record_procedure, record_data(**bad))
        assert response.status_code == 200 and message in response.content.decode(), message
    assert driver.refresh(case).stage == Stage.APPROVED


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=40))
def test_resident_id_validation_never_crashes(value: str) -> None:
    from django.core.exceptions import ValidationError

    with contextlib.suppress(ValidationError):
        validate_resident_id(value)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["patient_name", "gestational_weeks", "gestational_days", "lmp_date", "pathway", "marital_status"]
        ),
        st.text(max_size=300),
    )
)
def test_arbitrary_submissions_never_cause_a_server_error(driver: Any, world: Any, fields: dict) -> None:
    data = request_data(world)
    data.update(fields)
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    assert response.status_code in {200, 302}


def test_unused_document_rows_as_a_browser_posts_them_are_skipped(driver: Any, world: Any) -> None:
    data = request_data(world)
    data["documents-TOTAL_FORMS"] = "4"
    data.update(
        {"documents-3-doc_type": "", "documents-3-number": "", "documents-3-issuer": "", "documents-3-issued_on": ""}
    )
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    assert response.status_code == 302
    assert TerminationDocument.objects.count() == 2


def test_a_refused_request_is_shown_again_with_its_own_form_and_no_blank_one_built(
    driver: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kit's start pages (cases.views.CaseStartView) build the form once: a blank one beside the refused
    one would cost its queries for nothing (the facilities, twice) and could be shown by mistake."""
    from workflows.termination.views import SubmitView

    built: list[bool] = []
    make_form = SubmitView.make_form

    def counted(self: Any, data: Any = None, files: Any = None) -> Any:
        built.append(data is not None)
        return make_form(self, data, files)

    monkeypatch.setattr(SubmitView, "make_form", counted)
    assert_refused(submit(driver, world, weeks=12), "this county&#x27;s threshold is 14 weeks")
    assert built == [True]
    driver.client(world.clerk).get(F.submit.reverse("execute"))
    assert built == [True, False]
