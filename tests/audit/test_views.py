"""Inspector tools: the search, the per-record timeline and their CSV and PDF exports."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from audit.exports import object_trail_csv, object_trail_pdf
from audit.models import AuditEvent, Signature
from audit.services import audit_record, signature_sign
from permissions.models import Jurisdiction
from permissions.roles import Role
from tests.conftest import World, make_person

from .conftest import as_superuser_without_triggers

pytestmark = pytest.mark.django_db


def trail_url(obj: Any, name: str = "audit:trail") -> str:
    return reverse(name, args=[f"{obj._meta.app_label}.{obj._meta.model_name}", obj.pk])


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def signed(world: World, signable: Any) -> Any:
    """A record of county A with a valid signature, an invalidated one, and a few events."""
    hospital = world.hospital_a
    with time_machine.travel(datetime(2026, 6, 1, 1, 2, 3, tzinfo=UTC), tick=False):
        signature_sign(signer=world.director, meaning="reviewed", obj=hospital, content=hospital.signature_content())
        hospital.name = "Hospital A (renamed)"
        hospital.save()
        audit_record(
            actor=world.clerk,
            action="facility.amend",
            obj=hospital,
            changes={"name": ["Hospital A", hospital.name]},
            reason='=HYPERLINK("x")',
        )
    with time_machine.travel(datetime(2026, 6, 2, 1, 2, 3, tzinfo=UTC), tick=False):
        signature_sign(signer=world.officer, meaning="approved", obj=hospital, content=hospital.signature_content())
    audit_record(actor=world.clerk_b, action="facility.amend", obj=world.hospital_b, reason="county B business")
    return hospital


# --- Who may look -------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["inspector", "officer", "chief"])
def test_bureau_and_inspectors_of_the_county_see_the_trail(world: World, signed: Any, login: Any, persona: str) -> None:
    response = login(getattr(world, persona)).get(trail_url(signed))
    assert response.status_code == 200
    assert b"Hospital A (renamed)" in response.content


@pytest.mark.parametrize("persona", ["clerk", "director", "expert1", "clerk_other", "clerk_b", "officer_b"])
def test_everyone_else_gets_404_for_the_trail_and_its_exports(
    world: World, signed: Any, login: Any, persona: str
) -> None:
    client = login(getattr(world, persona))
    for name in ["audit:trail", "audit:trail_csv", "audit:trail_pdf"]:
        assert client.get(trail_url(signed, name)).status_code == 404, name
    assert not AuditEvent.objects.filter(action="record.read").exists()


@pytest.mark.parametrize("persona", ["clerk", "director", "expert1", "clerk_b"])
def test_people_without_an_oversight_role_get_404_for_the_search(world: World, login: Any, persona: str) -> None:
    client = login(getattr(world, persona))
    for name in ["audit:search", "audit:search_csv", "audit:search_pdf"]:
        assert client.get(reverse(name)).status_code == 404, name


def test_an_officer_of_another_county_sees_only_their_countys_events(world: World, signed: Any, login: Any) -> None:
    response = login(world.officer_b).get(reverse("audit:search"))
    assert response.status_code == 200
    sequences = {e.sequence for e in response.context["events"]}
    assert sequences == set(AuditEvent.objects.filter(county_id=world.county_b.pk).values_list("sequence", flat=True))
    assert b"county B business" in response.content and b"Hospital A (renamed)" not in response.content


def test_a_city_inspector_sees_every_county_of_the_city(world: World, signed: Any, login: Any) -> None:
    city_inspector = make_person("city_inspector", Role.INSPECTOR, jurisdiction=Jurisdiction.objects.get(code="920100"))
    response = login(city_inspector).get(reverse("audit:search"))
    counties = {e.county_id for e in response.context["events"]}
    assert {world.county_a.pk, world.county_b.pk} <= counties
    assert "county" in response.context["form"].fields
    assert login(city_inspector).get(trail_url(world.hospital_b)).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client: Any, signed: Any) -> None:
    response = client.get(trail_url(signed))
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("name", ["audit:search", "audit:search_csv", "audit:search_pdf"])
def test_the_inspector_tools_are_read_only(world: World, signed: Any, login: Any, name: str) -> None:
    client = login(world.inspector)
    before = AuditEvent.objects.count()
    for method in ["post", "put", "patch", "delete"]:
        assert getattr(client, method)(reverse(name)).status_code == 405
        assert getattr(client, method)(trail_url(signed)).status_code == 405
    assert AuditEvent.objects.count() == before


# --- The timeline -----------------------------------------------------------------------


def test_the_timeline_shows_each_signature_with_its_manifestation_and_validity(
    world: World, signed: Any, login: Any
) -> None:
    response = login(world.inspector).get(trail_url(signed))
    html = response.content.decode()
    assert "Director Printed" in html and "2026-06-01 09:02:03 +08:00" in html and "Reviewed and forwarded" in html
    assert "Officer Printed" in html and "2026-06-02 09:02:03 +08:00" in html and "Approved" in html
    assert html.count("audit-badge--invalid") == 2  # in the signature list and on its timeline row
    assert "Signature VALID" in html and "Signature INVALID" in html
    assert "Chain check passed" in html


def test_viewing_the_timeline_is_logged_as_a_read(world: World, signed: Any, login: Any) -> None:
    login(world.inspector).get(trail_url(signed))
    read = AuditEvent.objects.get(action="record.read")
    assert (read.actor_id, read.object_id) == (world.inspector.pk, str(signed.pk))


def test_the_timeline_marks_a_tampered_event(world: World, signed: Any, login: Any) -> None:
    event = AuditEvent.objects.filter(object_id=str(signed.pk), action="facility.amend").get()
    with as_superuser_without_triggers() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'innocent' WHERE id = %s", [event.pk])
    html = login(world.inspector).get(trail_url(signed)).content.decode()
    assert f"TAMPERED: events {event.sequence} do not match the audit chain" in html


# --- Search --------------------------------------------------------------------------------


def test_search_filters_by_date_facility_actor_action_and_procedure(world: World, signed: Any, login: Any) -> None:
    client = login(world.inspector)

    def found(**params: Any) -> set[str]:
        response = client.get(reverse("audit:search"), params)
        assert response.status_code == 200
        return {e.action for e in response.context["events"]}

    assert found(date_from="2026-06-01", date_to="2026-06-01") == {"signature.reviewed", "facility.amend"}
    assert found(date_from="2026-06-02", date_to="2026-06-02") == {"signature.approved"}
    assert found(facility=signed.pk, actor="Officer Printed") == {"signature.approved"}
    assert found(actor="clerk") == {"facility.amend"}  # by username too
    assert found(action="signature.reviewed") == {"signature.reviewed"}
    assert "permissions.roleassignment" in dict(
        client.get(reverse("audit:search")).context["form"].fields["procedure"].choices
    )
    assert found(procedure="permissions.roleassignment") == {"role.grant"}


def test_search_refuses_a_reversed_date_range_clearly(world: World, login: Any) -> None:
    response = login(world.inspector).get(reverse("audit:search"), {"date_from": "2026-06-02", "date_to": "2026-06-01"})
    assert response.status_code == 200
    assert "The start date is after the end date." in response.content.decode()
    assert list(response.context["events"]) == []


def test_search_paginates(world: World, login: Any) -> None:
    for n in range(60):
        audit_record(actor=world.clerk, action="test.many", obj=world.hospital_a, changes={"n": n})
    client = login(world.inspector)
    first = client.get(reverse("audit:search"), {"procedure": "permissions.facility"})
    older = first.context["page"].older  # by the last row's sequence: no COUNT over the trail
    assert len(first.context["events"]) == 50 and older and f"?{older}".replace("&", "&amp;") in first.content.decode()
    second = client.get(f"{reverse('audit:search')}?{older}")
    assert len(second.context["events"]) == 10 and not second.context["page"].older
    assert {e.action for e in second.context["events"]} == {"test.many"}
    assert second.context["page"].newer


# --- Exports ---------------------------------------------------------------------------------


def test_the_trail_csv_carries_the_signature_manifestations_and_defuses_formulas(
    world: World, signed: Any, login: Any
) -> None:
    response = login(world.inspector).get(trail_url(signed, "audit:trail_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert "Signed by Director Printed on 2026-06-01 09:02:03 +08:00 — Reviewed and forwarded" in text
    assert "Signed by Officer Printed on 2026-06-02 09:02:03 +08:00 — Approved" in text
    assert "INVALID" in text and "VALID" in text
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert "Chain check: all" in text


def test_the_trail_pdf_is_a_paginated_copy_with_manifestations_and_the_chain_check(
    world: World, signed: Any, login: Any
) -> None:
    for n in range(80):  # enough to need several pages
        audit_record(actor=world.clerk, action="test.filler", obj=signed, changes={"n": [n, n + 1]})
    response = login(world.inspector).get(trail_url(signed, "audit:trail_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages, text = pdf_text(response.content)
    assert pages >= 2
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Director Printed" in text and "2026-06-01 09:02:03 +08:00" in text and "Reviewed and forwarded" in text
    assert "INVALID" in text and "Chain check: all" in text


def test_the_pdf_renders_chinese(world: World, signed: Any, login: Any, settings: Any) -> None:
    world.officer.profile.printed_name = "王芳"
    world.officer.profile.save()
    signature_sign(signer=world.officer, meaning="verified", obj=signed, content=signed.signature_content())
    client = login(world.inspector)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(trail_url(signed, "audit:trail_pdf"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    _pages, text = pdf_text(response.content)
    assert "王芳" in text


def test_search_exports_cover_the_whole_result_and_are_audited(world: World, signed: Any, login: Any) -> None:
    client = login(world.inspector)
    csv_response = client.get(reverse("audit:search_csv"), {"facility": signed.pk})
    csv_text = b"".join(csv_response.streaming_content).decode()
    assert "signature.approved" in csv_text and "county B business" not in csv_text
    pdf_response = client.get(reverse("audit:search_pdf"), {"facility": signed.pk})
    _pages, text = pdf_text(pdf_response.content)
    assert "Signed: Approved" in text and "Facility: Hospital A" in text
    assert "signature.approved" not in text  # the label, not the code
    exports = AuditEvent.objects.filter(action__startswith="audit.export_").order_by("sequence")
    assert [e.action for e in exports] == ["audit.export_csv", "audit.export_pdf"]
    assert exports[0].changes["filters"] == {"facility": "Hospital A (renamed)"}


def test_case_pages_can_export_a_records_trail_and_the_read_is_logged(world: World, signed: Any, rf: Any) -> None:
    request = rf.get("/case/export")
    request.user = world.officer
    csv_response = object_trail_csv(signed, request=request)
    assert "Signed by Officer Printed" in csv_response.content.decode()
    pdf_response = object_trail_pdf(signed, request=request)
    assert pdf_text(pdf_response.content)[1].count("Officer Printed") >= 1
    assert AuditEvent.objects.filter(action="record.read", actor=world.officer).count() == 2
    assert Signature.objects.filter(object_id=str(signed.pk)).count() == 2


def test_an_enormous_value_is_cut_in_the_pdf_but_kept_whole_in_the_csv(world: World, signed: Any, login: Any) -> None:
    essay = "理由" * 20_000 + "END"
    audit_record(actor=world.clerk, action="test.essay", obj=signed, reason=essay, changes={"k": ["a\n" * 500, "b"]})
    client = login(world.inspector)
    response = client.get(trail_url(signed, "audit:trail_pdf"))
    assert response.status_code == 200
    assert "the CSV export has it in full" in " ".join(pdf_text(response.content)[1].split())
    assert "END" in client.get(trail_url(signed, "audit:trail_csv")).content.decode()


@pytest.mark.parametrize(("persona", "shown"), [("inspector", True), ("officer_b", True), ("clerk", False)])
def test_the_menu_entry_is_shown_to_bureau_and_inspector_roles_only(world: World, persona: str, shown: bool) -> None:
    from audit.viewsets import AuditApp

    assert AuditApp().has_view_permission(getattr(world, persona)) is shown


def test_old_and_new_values_are_shown_as_such_and_snapshots_are_not_mistaken_for_them() -> None:
    from django.template.loader import render_to_string

    change = render_to_string("audit/includes/changes.html", {"changes": {"stage": ["draft", "submitted"]}})
    assert "draft → submitted" in change
    snapshot = render_to_string("audit/includes/changes.html", {"changes": {"gestation": [15, 1], "pathway": "x"}})
    assert "15, 1" in snapshot and "→" not in snapshot


@pytest.mark.parametrize("name", ["audit:trail", "audit:trail_csv", "audit:trail_pdf"])
@pytest.mark.parametrize(
    ("object_type", "object_id"),
    [
        ("permissions.facility", "1\x00"),
        ("permissions\x00.facility", "1"),
        ("permissions.facility", "\u00b2"),
        ("Permissions.Facility", "1"),
        ("permissions.facility", "9" * 65),
    ],
)
def test_a_malformed_record_reference_is_not_found(
    world: World, signed: Any, login: Any, name: str, object_type: str, object_id: str
) -> None:
    """A NUL reached PostgreSQL (a 500 there); now a reference is checked before any query."""
    url = reverse(name, args=[object_type, object_id])
    assert login(world.inspector).get(url).status_code == 404
