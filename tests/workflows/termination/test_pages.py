"""The case page, the officer's queue, the certificate and its public verification page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task

from tests.privacy import shows
from workflows.cases.selectors import case_page_context
from workflows.models import Notification
from workflows.termination.flows import TerminationFlow as F

from .conftest import resident_id
from .test_paths import record_data

pytestmark = pytest.mark.django_db


def approved_case(driver: Any, world: Any, **kwargs: Any) -> Any:
    case = driver.submit(**({"pathway": "divorced"} | kwargs))
    driver.act(world.director, case, F.review, {"decision": "forward"})
    driver.act(world.officer, case, F.decide, {"decision": "approve"})
    return driver.refresh(case)


def test_case_page_shows_chart_documents_signatures_and_timeline(driver: Any, world: Any) -> None:
    case = approved_case(driver, world)
    page = driver.client(world.officer).get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
    assert F.instance.reverse("process_chart", args=[case.pk]) in page
    assert "Divorce certificate or judgment" in page
    assert "VALID" in page and "INVALID" not in page
    assert "Certificate issued" in page and "Signed: Approved" in page
    assert case.certificate_number in page
    chart = driver.client(world.officer).get(F.instance.reverse("process_chart", args=[case.pk]))
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"


def test_case_page_selector_runs_a_fixed_number_of_queries(driver: Any, world: Any) -> None:
    case = approved_case(driver, world)
    with CaptureQueriesContext(connection) as captured:
        case_page_context(case=case, user=world.officer)
    first = len(captured)
    driver.act(world.clerk, case, F.record_procedure, record_data())
    case = driver.refresh(case)
    with CaptureQueriesContext(connection) as captured:
        case_page_context(case=case, user=world.officer)
    # More signatures and events, same number of queries.
    assert len(captured) == first == 11, first


def test_oversight_roles_get_the_pdf_and_csv_copies_from_the_case_page(driver: Any, world: Any) -> None:
    case = approved_case(driver, world)
    pdf_url = f"/audit/trail/termination.terminationcase/{case.pk}/export.pdf"
    for persona in (world.officer, world.inspector):
        page = driver.client(persona).get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
        assert pdf_url in page
        response = driver.client(persona).get(pdf_url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    clerk_page = driver.client(world.clerk).get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
    assert pdf_url not in clerk_page


def test_queue_is_sorted_by_deadline_shows_time_left_and_claims_in_bulk(driver: Any, world: Any) -> None:
    cases = []
    for shift in (2, 0, 1):
        with time_machine.travel(timezone.now() - dt.timedelta(hours=shift)):
            case = driver.submit(pathway="divorced")
            driver.act(world.director, case, F.review, {"decision": "forward"})
        cases.append(driver.refresh(case))
    page = driver.client(world.officer).get(F.instance.reverse("queue")).content.decode()
    order = [int(pk) for pk in re.findall(r">#(\d+)</a>", page)]
    expected = [c.pk for c in sorted(cases, key=lambda c: c.decision_due_at)]
    assert order == expected
    assert "data-regflow-live" in page and "day" in page  # time left, e.g. "2 days, 21 hours"

    tasks = [driver.open_task(c, F.decide).pk for c in cases]
    response = driver.client(world.officer).post(F.instance.reverse("tasks_assign"), {"tasks": tasks})
    assert response.status_code == 302
    assert Task.objects.filter(pk__in=tasks, owner=world.officer, status="ASSIGNED").count() == 3
    assert Notification.objects.filter(recipient=world.officer2, kind="task.taken").count() == 3
    # Claimed tasks are in the officer's inbox, gone from the other officer's queue.
    assert str(cases[0].pk) in driver.client(world.officer).get(F.instance.reverse("inbox")).content.decode()
    assert f">#{cases[0].pk}<" not in driver.client(world.officer2).get(F.instance.reverse("queue")).content.decode()


def test_bulk_claim_skips_tasks_the_user_may_not_take(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    task = driver.open_task(case, F.review)
    response = driver.client(world.officer_b).post(F.instance.reverse("tasks_assign"), {"tasks": [task.pk]})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).owner is None


def test_certificate_prints_with_a_qr_code_to_the_public_verification_page(driver: Any, world: Any) -> None:
    case = approved_case(driver, world)
    page = driver.client(world.clerk).get(F.instance.reverse("certificate", args=[case.pk])).content.decode()
    assert "<svg" in page and case.certificate_number in page
    url = re.search(r"https?://[^<\s\"]+/verify/termination/[^<\s\"]+/", page).group(0)
    path = url.split("testserver", 1)[1]

    from django.test import Client

    public = Client()  # not logged in
    response = public.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    assert case.certificate_number in body and "Valid" in body and str(case.facility) in body
    assert "Patient" not in body and case.resident_id_masked not in body and not shows(body, resident_id()[-4:])

    guessed = path.rsplit("/", 2)[0] + "/not-the-token/"
    assert public.get(guessed).status_code == 404

    driver.act(world.clerk, case, F.record_procedure, record_data())
    assert "Used: the procedure has been recorded" in public.get(path).content.decode()


def test_certificate_numbers_follow_a_per_county_sequence(driver: Any, world: Any) -> None:
    first = approved_case(driver, world)
    second = approved_case(driver, world)
    year = timezone.localdate().year
    assert first.certificate_number == f"{world.county_a.code}-{year}-000001"
    assert second.certificate_number == f"{world.county_a.code}-{year}-000002"


FOOTER = {"en": "Source code", "zh-hans": "源代码"}
BACK = {"en": "Back to the case", "zh-hans": "返回案卷"}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_page_renders_for_its_personas_in_both_languages(driver: Any, world: Any, language: str) -> None:
    case = approved_case(driver, world)
    review_case = driver.submit(pathway="divorced")
    review = driver.open_task(review_case, F.review)
    driver.claim(world.director, review)
    record = driver.open_task(case, F.record_procedure)
    driver.claim(world.clerk, record)
    pages = {
        world.clerk: [
            F.instance.reverse("index"),
            F.submit.reverse("execute"),
            F.instance.reverse("process_detail", args=[case.pk]),
            F.instance.reverse("certificate", args=[case.pk]),
            F.record_procedure.reverse("execute", args=[case.pk, record.pk]),
            F.instance.reverse("inbox"),
            F.instance.reverse("archive"),
            F.instance.reverse("task_list"),
            F.instance.reverse("process_list"),
        ],
        world.director: [F.review.reverse("execute", args=[review_case.pk, review.pk])],
        world.officer: [F.instance.reverse("queue"), F.instance.reverse("process_detail", args=[review_case.pk])],
        world.inspector: [F.instance.reverse("index"), F.instance.reverse("process_detail", args=[case.pk])],
    }
    other = "en" if language == "zh-hans" else "zh-hans"
    for user, urls in pages.items():
        client = driver.client(user)
        client.cookies["django_language"] = language
        for url in urls:
            response = client.get(url, headers={"accept-language": language})
            assert response.status_code == 200, (user.username, url, response.status_code)
            assert response["Content-Language"] == language, url
            body = response.content.decode()
            assert f'<html lang="{language}"' in body, url
            # The footer every page carries (the printable certificate: its way back), in the page's language only.
            known = BACK if url.endswith("/certificate/") else FOOTER
            assert known[language] in body and known[other] not in body, (url, language)
            if language == "zh-hans":  # the page's own title: no English left
                title = re.search(r"<title>(.*?)</title>", body, re.S)
                assert title is not None and re.search(r"[\u4e00-\u9fff]", title.group(1)), (url, title)


def test_claiming_from_the_case_page_leads_straight_to_the_form(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    task = driver.open_task(case, F.review)
    client = driver.client(world.director)
    page = client.get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
    assert F.review.reverse("assign", args=[case.pk, task.pk]) in page
    response = client.post(F.review.reverse("assign", args=[case.pk, task.pk]), {"_continue": "1"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == F.review.reverse("execute", args=[case.pk, task.pk])


def test_the_chart_speaks_the_readers_language(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    client = driver.client(world.officer)
    url = F.instance.reverse("process_chart", args=[case.pk])
    english = client.get(url).content.decode()
    assert ">yes</text>" in english and ">no</text>" in english
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(url).content.decode()
    assert ">是</text>" in chinese and ">否</text>" in chinese
    assert ">yes</text>" not in chinese


@pytest.mark.parametrize(
    ("number", "token"),
    [
        ("{number}", "ʈoken-with-a-non-ascii-letter-é"),
        ("{number}", "{token}é"),
        ("{number}\x00", "{token}"),
        ("920101-2026-\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2", "{token}"),
        ("9" * 500, "{token}"),
    ],
)
def test_the_public_verification_page_refuses_malformed_numbers_and_tokens(
    driver: Any, world: Any, client: Any, number: str, token: str
) -> None:
    case = approved_case(driver, world)
    number = number.format(number=case.certificate_number)
    token = token.format(token=case.certificate_token)
    from django.urls import reverse

    response = client.get(reverse("certificate_verify", args=["termination", number, token]))
    assert response.status_code == 404
    assert str(case.facility) not in response.content.decode()


@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "\uff11", "1" * 40, "-1", " 1"])
def test_bulk_claim_ignores_task_ids_that_are_not_plain_numbers(driver: Any, world: Any, value: str) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    task = driver.open_task(case, F.decide)
    response = driver.client(world.officer).post(F.instance.reverse("tasks_assign"), {"tasks": [value, task.pk]})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).owner == world.officer  # the good id in the same request still counts
