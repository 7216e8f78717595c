"""Birth reporting through the API, as a delivery facility's system: entries one at a time or a batch (all
or none), and how the facility's months stand. Counts and flags come back; never the mother's digest."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from permissions.models import Facility
from tests.workflows.births.scene import centre_director, decide, entry_add, months_back, report_open
from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import BirthEntry, Decision, next_month
from workflows.births.services import mother_digest_of

from .conftest import make_system, resident_id

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/births/entries/"
BATCH = "/api/v1/births/entries/batch/"
REPORTS = "/api/v1/births/reports/"
STATUS = "/api/v1/births/reports/status/"


def entry(world: Any, serial: int = 1, *, hours_ago: float = 2, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "birth",
        "occurred_at": (timezone.now() - dt.timedelta(hours=hours_ago)).isoformat(),
        "sex": "male",
        "birth_weight_grams": 3300,
        "outcome": "live_birth",
        "mother_township": world.town_a.code,
        "mother_resident_id": resident_id(serial),
    }
    data.update(overrides)
    return data


def post(system: Any, url: str, body: Any, key: str = "key-1", **headers: Any) -> Any:
    return system.http.post(url, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **headers)


def no_digest(response: Any) -> None:
    """Neither the digest nor the resident ID of any mother in the register is in the response."""
    text = response.content.decode()
    assert "mother" not in text and "digest" not in text
    for digest in BirthEntry.objects.values_list("mother_digest", flat=True):
        assert digest not in text


def test_a_system_records_a_birth_through_the_pages_service(world: Any, system: Any) -> None:
    response = post(system, ENTRIES, entry(world))
    assert response.status_code == 201, response.content
    saved = BirthEntry.objects.get()
    assert saved.facility == world.hospital_a and saved.entered_by == system.account.user
    assert saved.mother_digest == mother_digest_of(resident_id(1)) and not saved.is_late
    body = response.json()
    assert body["id"] == saved.pk and body["late"] is False and body["month"] == saved.month.isoformat()
    assert response["Location"].endswith(f"{ENTRIES}{saved.pk}/")
    assert resident_id(1) not in response.content.decode()
    no_digest(response)
    event = AuditEvent.objects.get(action="births.entry", object_id=str(saved.pk))
    assert system.account.application.client_id in event.actor_name


def test_a_late_entry_needs_its_reason_and_is_flagged(world: Any, system: Any) -> None:
    refused = post(system, ENTRIES, entry(world, hours_ago=30))
    assert refused.status_code == 400 and refused["Content-Type"] == "application/problem+json"
    assert "late_reason" in refused.json()["errors"]
    assert BirthEntry.objects.count() == 0
    accepted = post(system, ENTRIES, entry(world, hours_ago=30, late_reason="Mother transferred"), key="key-2")
    assert accepted.status_code == 201 and accepted.json()["late"] is True
    assert BirthEntry.objects.get().late_reason == "Mother transferred"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"birth_weight_grams": 100}, "birth_weight_grams"),
        ({"outcome": ""}, "outcome"),
        ({"mother_resident_id": "110101199506150000"}, "mother_resident_id"),
        ({"mother_township": "999999999"}, "mother_township"),
        ({"mother_township": "92010\x00001"}, "mother_township"),  # refused, not a database error
        ({"mother_township": 920101001}, "mother_township"),
        ({"sex": "unknown"}, "sex"),
        ({"kind": "infant_death", "outcome": ""}, "cause"),
    ],
)
def test_the_entry_rules_refuse_with_field_errors(world: Any, system: Any, overrides: Any, field: str) -> None:
    response = post(system, ENTRIES, entry(world, **overrides))
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert BirthEntry.objects.count() == 0


def test_a_duplicate_birth_is_refused(world: Any, system: Any) -> None:
    assert post(system, ENTRIES, entry(world, 3)).status_code == 201
    again = post(system, ENTRIES, entry(world, 3, sex="female"), key="key-2")
    assert again.status_code == 400
    assert "already in the register" in " ".join(again.json()["errors"]["non_field_errors"])
    assert BirthEntry.objects.count() == 1


def _signed_month(world: Any) -> dt.date:
    """Last month signed by Hospital A's director: waiting for Centre A's director's check."""
    centre_director(world)
    month = months_back(1)
    entry_add(user=world.clerk, facility=world.hospital_a, month=month)
    report = report_open(user=world.clerk, facility=world.hospital_a, month=month)
    decide(report, F.sign_register, world.director, Decision.FORWARD)
    return month


def test_an_entry_into_a_signed_month_is_refused(world: Any, system: Any) -> None:
    month = _signed_month(world)
    when = timezone.make_aware(dt.datetime.combine(month + dt.timedelta(days=2), dt.time(9)))
    response = post(system, ENTRIES, entry(world, 4, occurred_at=when.isoformat(), late_reason="Paper record"))
    assert response.status_code == 400
    assert "is signed" in " ".join(response.json()["errors"]["occurred_at"])
    assert BirthEntry.objects.count() == 1  # the scene's entry only


def test_the_same_key_replays_and_records_once(world: Any, system: Any) -> None:
    body = entry(world, 5)
    first = post(system, ENTRIES, body, key="same")
    second = post(system, ENTRIES, body, key="same")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second["Idempotent-Replayed"] == "true"
    assert post(system, ENTRIES, entry(world, 6), key="same").status_code == 422
    assert BirthEntry.objects.count() == 1
    assert system.http.post(ENTRIES, json.dumps(entry(world, 7)), content_type="application/json").status_code == 400


def test_a_batch_is_saved_whole(world: Any, system: Any) -> None:
    rows = [entry(world, 10), entry(world, 11, sex="female"), entry(world, 12, hours_ago=40, late_reason="Night")]
    response = post(system, BATCH, {"entries": rows})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["count"] == 3 and [row["late"] for row in body["entries"]] == [False, False, True]
    assert BirthEntry.objects.filter(facility=world.hospital_a).count() == 3
    no_digest(response)
    assert AuditEvent.objects.filter(action="births.entries_upload").count() == 1
    replay = post(system, BATCH, {"entries": rows})
    assert replay.json() == body and replay["Idempotent-Replayed"] == "true"
    assert BirthEntry.objects.count() == 3


def test_a_batch_with_one_bad_row_saves_nothing_and_names_the_row(world: Any, system: Any) -> None:
    rows = [entry(world, 20), entry(world, 21, hours_ago=30), entry(world, 22)]  # the second lacks its late reason
    response = post(system, BATCH, {"entries": rows})
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert set(response.json()["errors"]) == {"entries[1].late_reason"}
    assert BirthEntry.objects.count() == 0
    # A duplicate within the batch, and a row the serializer refuses: each named by its index.
    twice = post(system, BATCH, {"entries": [entry(world, 23), entry(world, 23)]}, key="key-2")
    assert set(twice.json()["errors"]) == {"entries[1].mother_resident_id"}
    typed = post(system, BATCH, {"entries": [entry(world, 24), entry(world, 25, sex="x")]}, key="key-3")
    assert typed.status_code == 400 and set(typed.json()["errors"]) == {"entries[1].sex"}
    assert BirthEntry.objects.count() == 0
    # The refused key stays free: the corrected batch is accepted under it.
    rows[1]["late_reason"] = "Home birth"
    assert post(system, BATCH, {"entries": rows}).status_code == 201
    assert BirthEntry.objects.count() == 3


def test_a_batch_into_a_signed_month_saves_nothing(world: Any, system: Any) -> None:
    month = _signed_month(world)
    when = timezone.make_aware(dt.datetime.combine(month + dt.timedelta(days=2), dt.time(9)))
    rows = [entry(world, 30), entry(world, 31, occurred_at=when.isoformat(), late_reason="Paper")]
    response = post(system, BATCH, {"entries": rows})
    assert response.status_code == 400 and "entries[1].occurred_at" in response.json()["errors"]
    assert BirthEntry.objects.count() == 1


def test_the_months_status_is_counts_and_flags_only(world: Any, system: Any) -> None:
    month = months_back(1)
    missing = system.http.get(STATUS, {"month": f"{month:%Y-%m}"})
    assert missing.status_code == 200, missing.content
    assert missing.json()["stage"] == "missing" and missing.json()["report"] is None
    _signed_month(world)
    response = system.http.get(STATUS, {"month": f"{month:%Y-%m}"})
    body = response.json()
    assert body["stage"] == "township_check" and body["entries"] == 1 and body["month"] == month.isoformat()
    assert body["counts"]["births"] == 1 and body["signed_counts"]["births"] == 1
    assert body["late"] is (timezone.localdate() > next_month(month).replace(day=5))  # signed today
    no_digest(response)
    listed = system.http.get(REPORTS)
    assert listed.status_code == 200 and len(listed.json()["results"]) == 1
    row = listed.json()["results"][0]
    assert row["stage"] == "township_check" and row["counts"]["births"] == 1 and "late" in row
    detail = system.http.get(f"{REPORTS}{row['id']}/")
    assert detail.status_code == 200 and detail.json()["current_counts"]["births"] == 1
    no_digest(listed)
    no_digest(detail)
    entries = system.http.get(ENTRIES)
    assert entries.status_code == 200 and len(entries.json()["results"]) == 1
    no_digest(entries)
    for bad in ("2026-13", "0000-01", f"{timezone.localdate().year + 1}-01"):
        assert system.http.get(STATUS, {"month": bad}).status_code == 400
    assert system.http.get(STATUS).status_code == 400


def test_an_outsiders_system_sees_none_of_it(world: Any, system: Any, outsider: Any) -> None:
    entry_id = post(system, ENTRIES, entry(world, 40)).json()["id"]
    _signed_month(world)
    report_id = system.http.get(REPORTS).json()["results"][0]["id"]
    for url in (f"{ENTRIES}{entry_id}/", f"{REPORTS}{report_id}/"):
        response = outsider.http.get(url)
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert outsider.http.get(ENTRIES).json()["results"] == []
    assert outsider.http.get(REPORTS).json()["results"] == []
    status = outsider.http.get(STATUS, {"month": f"{months_back(1):%Y-%m}"}).json()
    assert status["facility"] == world.hospital_b.pk and status["entries"] == 0


def test_a_facility_that_does_not_deliver_has_no_register(world: Any) -> None:
    clinic = Facility.objects.create(
        name="Clinic", kind=Facility.Kind.PRIVATE_CLINIC, county=world.county_a, township=world.town_a
    )
    system = make_system(world, facility=clinic)
    response = post(system, ENTRIES, entry(world, 50))
    assert response.status_code == 403 and "birth register" in response.json()["detail"]
    assert system.http.get(STATUS, {"month": f"{months_back(1):%Y-%m}"}).status_code == 403
    assert BirthEntry.objects.count() == 0


def test_scopes_decide(world: Any, login: Any) -> None:
    reader = make_system(world, scopes=["births:read"])
    assert post(reader, ENTRIES, entry(world, 60)).status_code == 403
    assert post(reader, BATCH, {"entries": [entry(world, 61)]}).status_code == 403
    assert reader.http.get(STATUS, {"month": f"{months_back(1):%Y-%m}"}).status_code == 200
    other = make_system(world, scopes=["termination:read", "termination:file"])
    assert other.http.get(REPORTS).status_code == 403
    assert post(other, ENTRIES, entry(world, 62)).status_code == 403
    # A person reads what the pages show them, and files on the pages only.
    clerk = login(world.clerk)
    assert clerk.post(BATCH, "{}", content_type="application/json").status_code == 403
    assert BirthEntry.objects.count() == 0


def test_a_locked_month_is_a_busy_problem_and_the_key_stays_free(world: Any, system: Any, monkeypatch: Any) -> None:
    from viewflow.workflow.exceptions import FlowLockFailed

    from workflows.births import services

    def locked(**kwargs: Any) -> Any:
        raise FlowLockFailed("Lock failed")

    body = entry(world, 70)
    with monkeypatch.context() as patched:
        patched.setattr(services, "births_entry_create", locked)
        response = post(system, ENTRIES, body, key="retry-me")
    assert response.status_code == 409 and response.json()["type"] == "/api/problems/busy"
    assert BirthEntry.objects.count() == 0
    assert post(system, ENTRIES, body, key="retry-me").status_code == 201
