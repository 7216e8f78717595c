"""Filing and reading termination requests through the API, as a facility's system."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from workflows.termination.models import TerminationCase

from .conftest import filing, make_system

pytestmark = pytest.mark.django_db


def post(system: Any, data: dict[str, Any], key: str = "key-1", **headers: Any) -> Any:
    return system.http.post("/api/v1/termination/requests/", data, HTTP_IDEMPOTENCY_KEY=key, **headers)


def test_a_system_files_a_request_through_the_pages_service_and_the_trail_names_the_client(
    world: Any, system: Any
) -> None:
    response = post(system, filing())
    assert response.status_code == 201, response.content
    body = response.json()
    case = TerminationCase.objects.get(pk=body["id"])
    assert case.facility == world.hospital_a and case.submitted_by == system.account.user
    assert case.documents.count() == 2
    assert response["Location"].endswith(f"/api/v1/termination/requests/{case.pk}/")
    # Masked resident ID only; the full number is never in a response.
    assert body["resident_id_masked"] == case.resident_id_masked
    assert case.resident_id not in response.content.decode()
    event = AuditEvent.objects.get(action="termination.submit", object_id=str(case.pk))
    assert system.account.application.client_id in event.actor_name
    # The flow moved on as from the page: the panel's tasks exist.
    assert case.task_set.filter(flow_task_type="HUMAN").exists()


def test_a_refused_filing_is_a_problem_with_field_errors_and_saves_nothing(system: Any) -> None:
    response = post(system, filing(gestational_weeks=50))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and problem["type"] == "/api/problems/invalid"
    assert "gestational_weeks" in problem["errors"]
    assert TerminationCase.objects.count() == 0


def test_the_page_forms_rules_apply_a_contradiction_is_refused(system: Any) -> None:
    response = post(system, filing(pathway="divorced", marital_status="married"))
    assert response.status_code == 400
    assert "marital_status" in response.json()["errors"]
    assert TerminationCase.objects.count() == 0


def test_problems_speak_chinese_when_asked(system: Any) -> None:
    response = post(system, filing(gestational_weeks=50), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["title"] != "The request is not valid"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["title"])


def test_the_same_key_and_body_replays_and_never_files_twice(system: Any) -> None:
    first = post(system, filing(), key="same")
    second = post(system, filing(), key="same")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert TerminationCase.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422_problem(system: Any) -> None:
    assert post(system, filing(), key="k").status_code == 201
    response = post(system, filing(serial=8), key="k")
    assert response.status_code == 422
    assert response.json()["type"] == "/api/problems/idempotency-key-reused"
    assert TerminationCase.objects.count() == 1


def test_a_post_without_an_idempotency_key_is_refused(system: Any) -> None:
    response = system.http.post("/api/v1/termination/requests/", filing())
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert TerminationCase.objects.count() == 0


def test_reads_are_the_facilitys_own_outsiders_get_404(world: Any, system: Any, outsider: Any) -> None:
    case_id = post(system, filing()).json()["id"]
    mine = system.http.get(f"/api/v1/termination/requests/{case_id}/")
    assert mine.status_code == 200 and mine["Cache-Control"] == "no-store"
    listed = system.http.get("/api/v1/termination/requests/").json()
    assert [row["id"] for row in listed["results"]] == [case_id]
    response = outsider.http.get(f"/api/v1/termination/requests/{case_id}/")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert outsider.http.get("/api/v1/termination/requests/").json()["results"] == []


def test_field_visibility_follows_the_procedures_table(world: Any, system: Any, login: Any) -> None:
    case_id = post(system, filing()).json()["id"]
    mine = system.http.get(f"/api/v1/termination/requests/{case_id}/").json()
    assert mine["patient_name"] == "Wang Fang"  # the facility sees the name (visibility.py)
    # An expert of the county's panel reads the case through their session, without the name.
    expert = login(world.expert1)
    theirs = expert.get(f"/api/v1/termination/requests/{case_id}/").json()
    assert "patient_name" not in theirs and theirs["id"] == case_id


def test_scopes_are_refused(world: Any) -> None:
    reader = make_system(world, scopes=["termination:read"])
    response = post(reader, filing())
    assert response.status_code == 403 and response.json()["status"] == 403
    assert TerminationCase.objects.count() == 0
    assert reader.http.get("/api/v1/termination/requests/").status_code == 200
    # A token asked for with fewer scopes than the client holds carries only those.
    narrow = make_system(world, scope="termination:read")
    assert post(narrow, filing(serial=9)).status_code == 403


def test_no_token_is_a_401_problem_and_a_bad_token_too() -> None:
    response = Client().get("/api/v1/termination/requests/")
    assert response.status_code == 401 and response.json()["type"] == "/api/problems/unauthenticated"
    assert "Bearer" in response["WWW-Authenticate"]
    response = Client(HTTP_AUTHORIZATION="Bearer nonsense").get("/api/v1/termination/requests/")
    assert response.status_code == 401


def test_people_read_with_their_session_but_do_not_file_through_the_api(world: Any, login: Any) -> None:
    clerk = login(world.clerk)
    assert clerk.get("/api/v1/termination/requests/").status_code == 200
    response = clerk.post("/api/v1/termination/requests/", filing(), HTTP_IDEMPOTENCY_KEY="x")
    assert response.status_code == 403
    assert TerminationCase.objects.count() == 0


def test_wrong_method_media_type_and_unknown_paths_are_problems(system: Any) -> None:
    assert system.http.delete("/api/v1/termination/requests/").status_code == 405
    response = system.http.post(
        "/api/v1/termination/requests/", json.dumps({"a": 1}), content_type="application/json", HTTP_IDEMPOTENCY_KEY="j"
    )
    assert response.status_code == 415 and response["Content-Type"] == "application/problem+json"
    response = system.http.get("/api/v1/nothing/here/")
    assert response.status_code == 404 and response.json()["status"] == 404
    assert system.http.get("/api/v1/termination/requests/abc/").status_code == 404


def test_a_revoked_client_stops_at_once(world: Any, system: Any) -> None:
    from api.services import api_client_revoke

    api_client_revoke(actor=world.director, account=system.account, reason="replaced")
    assert system.http.get("/api/v1/termination/requests/").status_code == 401
    assert AuditEvent.objects.filter(action="api.client_revoke", actor_id=world.director.pk).exists()
