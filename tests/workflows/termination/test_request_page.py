"""The request page shows the county's rules, and after a refusal says which scans to attach again."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from viewflow.workflow.models import Process

from workflows.termination.flows import TerminationFlow as F
from workflows.termination.models import TerminationCountyRules

from .conftest import request_data

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_countys_threshold_and_carries_the_pathway_documents(
    driver: Any, world: Any, county_rules: Any
) -> None:
    TerminationCountyRules.objects.filter(pk=county_rules.pk).update(gestational_threshold_weeks=16)
    page = driver.client(world.clerk).get(F.submit.reverse("execute")).content.decode()
    assert "County A: a certificate is needed from 16 weeks of gestation." in page
    rules = re.search(r'<script id="termination-request-rules" type="application/json">(.*?)</script>', page, re.S)
    assert rules is not None
    data = json.loads(rules.group(1))
    assert data["facilities"][str(world.hospital_a.pk)]["threshold"] == 16
    assert data["pathways"]["sex_linked"] == [
        "Resident ID card (copy)",
        "Prenatal diagnosis certificate",
        "Sex-determination opinion of a prenatal-diagnosis centre",
    ]
    assert data["emergency_document"] == "Emergency clinical record"
    assert 'src="/static/termination/submit.js"' in page and "<script>" not in page
    assert "data-termination-add-document" in page and "__prefix__" in page


def test_a_refused_request_names_the_scans_to_attach_again(driver: Any, world: Any) -> None:
    data = request_data(world, pathway="divorced", weeks=12)  # below the threshold: refused
    response = driver.client(world.clerk).post(F.submit.reverse("execute"), data)
    page = response.content.decode()
    assert response.status_code == 200 and not Process.objects.exists()
    assert "Scans are not kept when a form is refused" in page
    assert "Row 1: scan.pdf (Resident ID card (copy))" in page
    assert "Row 2: scan.pdf (Divorce certificate or judgment)" in page
    assert page.count("Attach again: scan.pdf") == 2
    # The rows keep what was typed, so that only the files need choosing again.
    assert 'value="DOC-0001"' in page


def test_a_first_visit_asks_to_attach_nothing_again(driver: Any, world: Any) -> None:
    page = driver.client(world.clerk).get(F.submit.reverse("execute")).content.decode()
    assert "Scans are not kept" not in page and "Attach again" not in page
