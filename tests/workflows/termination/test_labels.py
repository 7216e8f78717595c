"""The trail of a case reads in words, in both languages: steps, fields and values by their labels, never codes."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from audit.actions import field_label, step_label, value_label
from workflows.nodes import SigningView
from workflows.termination.flows import TerminationFlow as F
from workflows.termination.selectors import OBJECT_TYPE, STEP_LABELS

from .test_pages import approved_case

pytestmark = pytest.mark.django_db

CODES = ["give_opinion", "bureau_decision", "fetal_defect", "termination.submit", "termination.terminationcase:"]


def trail_url(case: Any, name: str = "audit:trail") -> str:
    return reverse(name, args=[OBJECT_TYPE, case.pk])


def zh_client(driver: Any, user: Any) -> Any:
    client = driver.client(user)
    client.cookies["django_language"] = "zh-hans"
    return client


def test_every_signing_step_of_the_flow_has_a_label() -> None:
    steps = {node.signing_step for node in F.instance.nodes() if isinstance(node, SigningView)}
    assert steps == set(STEP_LABELS)
    with translation.override("zh-hans"):
        assert step_label(OBJECT_TYPE, "bureau_decision") == "卫生健康局审批"
        assert step_label(OBJECT_TYPE, "give_opinion") != "Give an expert opinion"


def test_changed_fields_and_their_values_are_shown_by_their_labels() -> None:
    with translation.override("zh-hans"):
        assert field_label(OBJECT_TYPE, "pathway") == "申请类别"
        assert value_label(OBJECT_TYPE, "pathway", "fetal_defect") == "医学需要（胎儿）：严重缺陷"
        assert value_label(OBJECT_TYPE, "stage", "panel") == "专家组"
        assert value_label(OBJECT_TYPE, "emergency", False) == "否"
        assert value_label(OBJECT_TYPE, "method", "hysterotomy") == "剖宫取胎术"
        assert value_label(OBJECT_TYPE, "decision", "approve") == "批准并出具证明"
        assert value_label(OBJECT_TYPE, "gestation", [22, 3]) == "22周+3天"
        assert value_label(OBJECT_TYPE, "step", "bureau_decision") == "卫生健康局审批"
        assert (
            value_label(OBJECT_TYPE, "valid_until", "2026-06-01T01:02:03.000000+00:00") == "2026-06-01 09:02:03 +08:00"
        )
        assert field_label(OBJECT_TYPE, "method") == field_label(OBJECT_TYPE, "procedure_method")
    assert value_label(OBJECT_TYPE, "emergency", True) == "yes"


def test_the_trail_page_in_chinese_shows_no_codes(driver: Any, world: Any) -> None:
    case = approved_case(driver, world)
    page = zh_client(driver, world.inspector).get(trail_url(case)).content.decode()
    shown = re.sub(r'data-[a-z]+="[^"]*"', "", page.split("<main", 1)[-1])  # codes stay in data- attributes
    for code in [*CODES, "pathway:", "stage:", "False", "True"]:
        assert code not in shown, code
    assert "卫生健康局审批" in page  # the step column
    assert "个人情况：孕期离异" in page  # pathway: divorced
    assert "终止妊娠案卷 #" in page


def test_the_case_page_names_each_signatures_step(driver: Any, world: Any) -> None:
    case = approved_case(driver, world)
    page = zh_client(driver, world.officer).get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
    assert 'data-step="bureau_decision">卫生健康局审批<' in page
    assert 'data-step="review">机构审核<' in page


def test_the_csv_and_pdf_copies_show_labels(driver: Any, world: Any) -> None:
    from pypdf import PdfReader

    case = approved_case(driver, world)
    client = zh_client(driver, world.inspector)
    rows = list(csv.reader(io.StringIO(client.get(trail_url(case, "audit:trail_csv")).content.decode("utf-8-sig"))))
    text = "\n".join(",".join(row[:-1]) for row in rows)  # the last column keeps the action code, for machines
    assert "termination.submit" not in text and "bureau_decision" not in text
    assert "申请已提交" in text
    assert "个人情况：孕期离异" in text
    assert {row[-1] for row in rows[1:]} >= {"termination.submit", "termination.decide"}
    pdf = PdfReader(io.BytesIO(client.get(trail_url(case, "audit:trail_pdf")).content))
    pdf_text = "".join(page.extract_text() for page in pdf.pages)
    assert (
        "卫生健康局审批" in pdf_text
        and "个人情况：孕期离异" in pdf_text
        and "termination.terminationcase" not in pdf_text
    )


def test_the_search_lists_actions_by_their_labels(driver: Any, world: Any) -> None:
    approved_case(driver, world)
    form = zh_client(driver, world.inspector).get(reverse("audit:search")).context["form"]
    choices = dict(form.fields["action"].choices)
    assert choices["termination.submit"] != "termination.submit"
    assert choices["role.grant"] == "已授予角色"


def test_a_countys_accepted_pathways_are_shown_by_their_labels() -> None:
    with translation.override("zh-hans"):
        shown = value_label("permissions.countyconfig", "accepted_personal_pathways", ["divorced", "widowed"])
    assert shown == "个人情况：孕期离异, 个人情况：孕期丧偶"


def test_a_role_grants_scope_is_named_not_coded() -> None:
    with translation.override("zh-hans"):
        assert field_label("permissions.roleassignment", "scope") == "范围"
        assert value_label("permissions.roleassignment", "scope", "jurisdiction:3") == "辖区 #3"


def test_the_certificates_qr_code_scales_by_its_viewbox_with_a_white_quiet_zone() -> None:
    from workflows.cases.views import certificate_qr_svg

    svg = certificate_qr_svg("https://regflow.example.org/verify/termination/990101-2026-000001/token/")
    opening = svg.split(">", 1)[0]
    assert "viewBox=" in opening and "width=" not in opening and "height=" not in opening  # CSS sizes it, whole
    assert '<path fill="#fff" d="M0 0h' in svg  # the quiet zone is drawn, not left to the page's background
