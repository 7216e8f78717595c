"""Forms that cannot record a wrong fact by default: nothing preselected, contradictions refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from viewflow.workflow.models import Process

from workflows.termination import forms as termination_forms
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import TerminationDocument

from .conftest import request_data

pytestmark = pytest.mark.django_db


def fact_choice_fields() -> list[tuple[str, str, Any]]:
    """Every select of every termination form (radio buttons start unticked on their own)."""
    found = []
    for name in dir(termination_forms):
        form_class = getattr(termination_forms, name)
        if isinstance(form_class, type) and issubclass(form_class, forms.Form) and form_class is not forms.Form:
            for field_name, field in form_class.base_fields.items():
                # The facility list is tested apart: test_the_facility_is_preselected_only_when_it_is_the_only_one.
                if isinstance(field, forms.ModelChoiceField):
                    continue
                if isinstance(field, forms.ChoiceField) and not isinstance(field.widget, forms.RadioSelect):
                    found.append((name, field_name, field))
    return found


def test_the_fact_choices_are_found() -> None:
    names = {field_name for _form, field_name, _field in fact_choice_fields()}
    assert {"marital_status", "pathway", "procedure_method", "fetal_sex", "doc_type"} <= names


@pytest.mark.parametrize(("form_name", "field_name", "field"), fact_choice_fields(), ids=lambda v: str(v)[:20])
def test_every_choice_that_records_a_fact_starts_blank_and_is_required(
    form_name: str, field_name: str, field: Any
) -> None:
    assert field.required
    assert next(iter(field.choices))[0] == ""
    html = field.widget.render(field_name, None, attrs={})
    assert re.search(r'<option value="" selected>', html), html[:300]
    assert html.count("selected") == 1


def test_the_request_page_preselects_no_marital_status_pathway_or_document_type(driver: Any, world: Any) -> None:
    page = driver.client(world.clerk).get(F.submit.reverse("execute")).content.decode()
    for name in ("marital_status", "pathway", "documents-0-doc_type"):
        select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
        assert select is not None, name
        assert re.findall(r'<option value="([^"]*)" selected>', select.group(0)) == [""], name


@pytest.mark.parametrize("missing", ["marital_status", "pathway"])
def test_a_fact_left_blank_is_refused(driver: Any, world: Any, missing: str) -> None:
    data = {**request_data(world), missing: ""}
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Process.objects.exists()


@pytest.mark.parametrize(
    ("pathway", "marital_status"),
    [("divorced", "married"), ("widowed", "divorced"), ("unmarried", "married"), ("divorced", "unmarried")],
)
def test_a_marital_status_that_contradicts_the_pathway_is_refused_naming_both(
    driver: Any, world: Any, pathway: str, marital_status: str
) -> None:
    data = request_data(world, pathway=pathway, marital_status=marital_status)
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Marital status and Pathway contradict each other" in page
    assert not Process.objects.exists() and not TerminationDocument.objects.exists()


def test_a_medical_pathway_accepts_any_marital_status(driver: Any, world: Any) -> None:
    response = driver.client(world.clerk).post(
        F.submit.reverse("execute"), request_data(world, pathway="maternal", marital_status="married")
    )
    assert response.status_code == 302


def test_a_justification_without_the_emergency_flag_is_refused_naming_both(driver: Any, world: Any) -> None:
    data = request_data(world, emergency_justification="Operated at once.")
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    assert response.status_code == 200
    assert "Emergency" in response.content.decode()
    assert "Emergency justification contradict each other" in response.content.decode()
    assert not Process.objects.exists()


def test_the_facility_is_preselected_only_when_it_is_the_only_one(driver: Any, world: Any) -> None:
    page = driver.client(world.clerk).get(F.submit.reverse("execute")).content.decode()
    select = re.search(r'<select name="facility".*?</select>', page, re.S)
    assert select is not None
    assert re.findall(r'<option value="([^"]*)" selected>', select.group(0)) == [str(world.hospital_a.pk)]
