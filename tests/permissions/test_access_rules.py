"""permissions.access function by function: each rule's answer for users inside and outside its scope, the
line each refusal logs, the per-request scope cache and the registry of procedures' rules.

The pages and the authorization matrix exercise these rules through the views; these tests call them
directly, with the world's personas, so that each one is pinned to its contract (and so that the
mutation target ``access`` can run them against every mutant in seconds, docs/mutation.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from audit.models import AuditEvent
from audit.services import audit_record
from permissions import access
from permissions.access import (
    CaseAccessRule,
    RequestAccessState,
    access_audit_search_for_user,
    access_audit_trail_for_user,
    access_case_document_for_user,
    access_case_for_user,
    access_county_for_user,
    access_facility_for_user,
    access_notification_for_user,
    audit_county_ids_for_user,
    audit_events_for_user,
    bureau_county_ids,
    case_access_register,
    case_roles_by_scope,
    case_roles_for_user,
    cases_for_user,
    current_request_access,
    deny,
    inspected_county_ids,
    is_record_ref,
    log_denied,
    oversight_county_ids,
    scope_changed,
    staff_facility_ids,
    supervised_county_ids,
    user_assignments,
    user_roles,
)
from permissions.roles import Role
from permissions.services import role_grant
from tests.conftest import make_person
from tests.workflows.termination.scene import case_start
from workflows.models import Notification
from workflows.termination.models import TerminationCase, TerminationDocument

CASE_TYPE = "termination.terminationcase"


@pytest.fixture
def denials(caplog: Any) -> Any:
    """The refusal lines logged since the last call, each as (message without its time, the record's extras)."""
    caplog.set_level(logging.WARNING, logger="regflow.access.denied")

    def read() -> list[tuple[str, dict[str, Any]]]:
        records = [r for r in caplog.records if r.name == "regflow.access.denied"]
        caplog.clear()
        return [
            (
                r.getMessage().rsplit(" at=", 1)[0],
                {"user_id": r.user_id, "route": r.route, "object": r.object},  # type: ignore[attr-defined]
            )
            for r in records
        ]

    return read


def line(user: Any, route: str, obj: str) -> tuple[str, dict[str, Any]]:
    user_id = user.pk if user is not None else None
    shown = user_id if user_id is not None else "-"
    return (
        f"access_denied user_id={shown} route={route or '-'} object={obj or '-'}",
        {"user_id": user_id, "route": route, "object": obj},
    )


def fresh(user: Any) -> Any:
    """The user as the next request loads it."""
    return get_user_model().objects.get(pk=user.pk)


def deactivated(user: Any) -> Any:
    user.is_active = False
    user.save(update_fields=["is_active"])
    return fresh(user)


@contextmanager
def serving_request(route: str = "", obj: str = "") -> Iterator[RequestAccessState]:
    """What DeniedRequestLogMiddleware sets while a request is served."""
    state = RequestAccessState(route=route, obj=obj)
    token = current_request_access.set(state)
    try:
        yield state
    finally:
        current_request_access.reset(token)


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> dict[type[Any], CaseAccessRule]:
    """The registry of case rules, restored after the test (the procedures' own rules stay registered)."""
    registry = dict(access._CASE_RULES)
    monkeypatch.setattr(access, "_CASE_RULES", registry)
    return registry


@pytest.fixture
def case(world: Any) -> TerminationCase:
    """A divorced-pathway request of Hospital A (county A), with its documents."""
    return case_start(user=world.clerk, facility=world.hospital_a, pathway="divorced", name="Patient Q", serial=811)


# --- The refusal's log line ---------------------------------------------------------------


def test_a_refusal_line_without_route_or_object_shows_dashes_and_carries_its_fields_as_extras(
    world: Any, denials: Any
) -> None:
    log_denied(user=world.officer)
    assert denials() == [line(world.officer, "", "")]
    log_denied(user=AnonymousUser(), route="somewhere", obj="thing:1")
    assert denials() == [line(None, "somewhere", "thing:1")]
    error = deny(user=world.clerk)
    assert isinstance(error, Http404)
    assert denials() == [line(world.clerk, "", "")]
    deny(user=world.clerk, route="facility", obj="facility:3")
    assert denials() == [line(world.clerk, "facility", "facility:3")]


def test_during_a_request_the_resolved_route_wins_the_urls_ids_fill_in_and_only_the_first_refusal_logs(
    world: Any, denials: Any
) -> None:
    with serving_request(route="facility_detail", obj="facility:9") as state:
        log_denied(user=world.clerk, route="facility")
        assert state.logged
        log_denied(user=world.clerk, route="county", obj="jurisdiction:1")
    assert denials() == [line(world.clerk, "facility_detail", "facility:9")]
    with serving_request() as state:
        log_denied(user=world.clerk, route="county", obj="jurisdiction:1")
    assert denials() == [line(world.clerk, "county", "jurisdiction:1")]


# --- The per-request scope cache ------------------------------------------------------------


def test_within_a_request_a_supervisor_s_counties_come_from_the_assignments_already_read(
    world: Any, django_assert_num_queries: Any
) -> None:
    """The registries, the bulletins and the ultrasound cases ask for a supervisor's counties several times a page."""
    supervisor = fresh(make_person("supervisor_q", Role.SUPERVISOR, jurisdiction=world.county_a))
    with serving_request():
        with django_assert_num_queries(1):  # the assignments
            assert supervised_county_ids(supervisor) == {world.county_a.pk}
        with django_assert_num_queries(0):
            assert supervised_county_ids(supervisor) == {world.county_a.pk}
            assert oversight_county_ids(supervisor) == {world.county_a.pk}
            assert bureau_county_ids(supervisor) == set()
    officer = fresh(world.officer)
    assert supervised_county_ids(officer) == set()  # a bureau officer makes no on-site checks by that role


def test_outside_a_request_the_scope_is_read_afresh_each_time(world: Any, django_assert_num_queries: Any) -> None:
    officer = fresh(world.officer)
    with django_assert_num_queries(1):
        assert [a.role for a in user_assignments(officer)] == [Role.BUREAU_OFFICER]
    with django_assert_num_queries(1):
        user_assignments(officer)
    # The page header names where each role is held: the facility and the jurisdiction come with the rows.
    with django_assert_num_queries(1):
        assert [(a.facility, a.jurisdiction) for a in user_assignments(officer)] == [(None, world.county_a)]
    with django_assert_num_queries(1):
        assert [(a.facility, a.jurisdiction) for a in user_assignments(world.clerk)] == [(world.hospital_a, None)]


def test_within_a_request_the_assignments_and_inspected_counties_are_read_once(
    world: Any, django_assert_num_queries: Any
) -> None:
    inspector = fresh(world.inspector)
    with serving_request():
        with django_assert_num_queries(3):  # the assignments; the counties under the grant (counties_within: 2)
            assert inspected_county_ids(inspector) == {world.county_a.pk}
        with django_assert_num_queries(0):
            assert inspected_county_ids(inspector) == {world.county_a.pk}
            assert user_roles(inspector) == {Role.INSPECTOR}
            assignment = user_assignments(inspector)[0]
            # The page header shows where each role is held: joined, not one query per assignment.
            assert (assignment.facility, assignment.jurisdiction) == (None, world.county_a)


def test_each_caller_gets_a_set_of_its_own_and_users_do_not_share_a_cache(world: Any) -> None:
    calls: list[str] = []

    def compute(value: int) -> Any:
        def run() -> list[int]:
            calls.append("x")
            return [value]

        return run

    with serving_request() as state:
        first = access._per_request(world.officer, ("k",), compute(1))
        first.add(99)
        assert access._per_request(world.officer, ("k",), compute(2)) == {1}
        assert access._per_request(world.officer, ("other",), compute(3)) == {3}
        assert access._per_request(world.clerk, ("k",), compute(4)) == {4}
        assert len(calls) == 3
        # Without a user's primary key nothing is cached: it could not be told apart from another's.
        assert access._per_request(None, ("k",), compute(5)) == {5}
        assert access._per_request(AnonymousUser(), ("k",), compute(6)) == {6}
        assert len(calls) == 5
        assert set(state.scope_cache) == {(world.officer.pk, "k"), (world.officer.pk, "other"), (world.clerk.pk, "k")}


def test_a_role_granted_during_a_request_counts_for_the_rest_of_it(world: Any) -> None:
    officer = fresh(world.officer)
    with serving_request():
        assert access_audit_search_for_user(user=officer) == {world.county_a.pk}
        role_grant(actor=world.chief, user=officer, role=Role.BUREAU_OFFICER, jurisdiction=world.county_b)
        assert access_audit_search_for_user(user=officer) == {world.county_a.pk, world.county_b.pk}


def test_scope_changed_forgets_the_cached_scope_and_is_harmless_outside_a_request(world: Any) -> None:
    scope_changed()  # no request: nothing to forget, no error
    with serving_request() as state:
        user_assignments(world.officer)
        assert state.scope_cache
        scope_changed()
        assert state.scope_cache == {}


# --- Scope helpers ---------------------------------------------------------------------------


def test_assignments_of_nobody_and_the_roles_of_a_missing_or_inactive_user(world: Any) -> None:
    assert user_assignments(None) == []
    assert user_assignments(AnonymousUser()) == []
    assert user_roles(fresh(world.director)) == {Role.FACILITY_DIRECTOR}
    assert user_roles(deactivated(world.director)) == set()


def test_staff_facilities_are_the_facilities_of_facility_roles_optionally_of_some_roles_only(world: Any) -> None:
    both = make_person("both", Role.FACILITY_CLERK, facility=world.hospital_a)
    role_grant(actor=None, user=both, role=Role.FACILITY_DIRECTOR, facility=world.centre_a)
    role_grant(actor=None, user=both, role=Role.BUREAU_OFFICER, jurisdiction=world.county_a)
    assert staff_facility_ids(both) == {world.hospital_a.pk, world.centre_a.pk}
    assert staff_facility_ids(both, roles={Role.FACILITY_DIRECTOR}) == {world.centre_a.pk}
    assert staff_facility_ids(both, roles={Role.FACILITY_CLERK}) == {world.hospital_a.pk}
    assert staff_facility_ids(world.officer) == set()


def test_an_inspector_granted_a_city_inspects_every_county_in_it(world: Any) -> None:
    city_inspector = make_person("city_inspector", Role.INSPECTOR, jurisdiction=world.county_a.parent)
    assert inspected_county_ids(city_inspector) == {world.county_a.pk, world.county_b.pk}
    assert inspected_county_ids(world.inspector) == {world.county_a.pk}
    assert inspected_county_ids(world.officer) == set()


def test_oversight_counties_include_the_bureaus_supervisors_and_its_inspectors(world: Any) -> None:
    supervisor = make_person("supervisor", Role.SUPERVISOR, jurisdiction=world.county_b)
    assert oversight_county_ids(supervisor) == {world.county_b.pk}
    assert oversight_county_ids(world.officer) == {world.county_a.pk}
    assert oversight_county_ids(world.chief) == {world.county_a.pk}
    assert oversight_county_ids(world.inspector) == {world.county_a.pk}
    assert oversight_county_ids(world.clerk) == set()
    assert oversight_county_ids(world.expert1) == set()
    assert oversight_county_ids(deactivated(supervisor)) == set()  # the bulletins and registries ask it too


# --- Facilities, counties, notifications --------------------------------------------------------


def test_a_facility_is_read_by_its_staff_its_countys_bureau_and_inspectors_and_written_by_its_staff_only(
    world: Any, denials: Any, django_assert_num_queries: Any
) -> None:
    hospital = world.hospital_a
    for reader in (world.clerk, world.director, world.officer, world.chief, world.inspector):
        assert access_facility_for_user(user=reader, pk=hospital.pk) == hospital
    for writer in (world.clerk, world.director):
        assert access_facility_for_user(user=writer, pk=hospital.pk, write=True) == hospital
    assert denials() == []
    for outsider, write in (
        (world.officer, True),
        (world.inspector, True),
        (world.clerk_other, False),
        (world.officer_b, False),
        (world.expert1, False),
    ):
        with pytest.raises(Http404):
            access_facility_for_user(user=outsider, pk=hospital.pk, write=write)
        assert denials() == [line(outsider, "facility", f"facility:{hospital.pk}")]
    for pk in (999999, "x"):
        with pytest.raises(Http404):
            access_facility_for_user(user=world.clerk, pk=pk)
        assert denials() == [line(world.clerk, "facility", f"facility:{pk}")]
    with django_assert_num_queries(2):  # the facility with its county; the user's assignments
        facility = access_facility_for_user(user=world.clerk, pk=hospital.pk)
        assert facility.county.name == "County A"


def test_a_county_is_read_by_its_bureau_and_inspectors_and_written_by_its_bureau_only(world: Any, denials: Any) -> None:
    county = world.county_a
    for reader in (world.officer, world.chief, world.inspector):
        assert access_county_for_user(user=reader, pk=county.pk) == county
    assert access_county_for_user(user=world.officer, pk=county.pk, write=True) == county
    assert denials() == []
    for outsider, write in ((world.inspector, True), (world.officer_b, False), (world.clerk, False)):
        with pytest.raises(Http404):
            access_county_for_user(user=outsider, pk=county.pk, write=write)
        assert denials() == [line(outsider, "county", f"jurisdiction:{county.pk}")]


def test_a_notification_is_its_recipients_alone(world: Any, denials: Any) -> None:
    mine = Notification.objects.create(recipient=world.clerk, kind="task.created")
    Notification.objects.create(recipient=world.officer, kind="task.created")
    assert access_notification_for_user(user=world.clerk, pk=mine.pk) == mine
    assert access_notification_for_user(user=world.clerk, pk=mine.pk, write=True) == mine
    for user, pk in ((world.officer, mine.pk), (world.clerk, 999999), (world.clerk, "x")):
        with pytest.raises(Http404):
            access_notification_for_user(user=user, pk=pk)
        assert denials() == [line(user, "notification", f"notification:{pk}")]


# --- The registry of procedures' case rules -------------------------------------------------------


class Case:
    """A case model of no procedure, to register rules for."""


class Document:
    """Its documents."""


def test_a_registered_rule_is_kept_whole_and_found_by_its_case_model_or_document_model(
    rules: dict[type[Any], CaseAccessRule],
) -> None:
    def visible(user: Any, *, write: bool = False) -> Any:
        return ("visible", user, write)

    def roles(*, user: Any, case: Any) -> set[str]:
        return {"seen"}

    case_access_register(model=Case, visible=visible, roles=roles, document_model=Document)
    rule = CaseAccessRule(visible=visible, roles=roles, document_model=Document)
    assert access._rule(Case) == rule
    assert access._document_rule(Document) == (Case, rule)
    assert access._document_rule(TerminationDocument)[0] is TerminationCase
    case_access_register(model=Case, visible=visible)
    assert access._rule(Case) == CaseAccessRule(visible=visible)
    with pytest.raises(LookupError) as documents_unknown:
        access._document_rule(Document)
    assert str(documents_unknown.value) == "no access rule registered for documents Document"
    with pytest.raises(LookupError) as cases_unknown:
        access._rule(Document)
    assert str(cases_unknown.value) == "no access rule registered for Document"


def test_case_rules_ask_the_procedure_for_active_users_only(world: Any, rules: dict[type[Any], CaseAccessRule]) -> None:
    asked: list[tuple[Any, bool]] = []

    def visible(user: Any, *, write: bool = False) -> Any:
        asked.append((user, write))
        return "cases"

    case_access_register(model=Case, visible=visible, roles=lambda *, user, case: {Role.BUREAU_OFFICER})
    officer = fresh(world.officer)
    assert cases_for_user(officer, model=Case) == "cases"
    assert cases_for_user(officer, model=Case, write=True) == "cases"
    assert asked == [(officer, False), (officer, True)]
    assert case_roles_for_user(user=officer, case=Case()) == {Role.BUREAU_OFFICER}
    inactive = deactivated(world.officer)
    assert case_roles_for_user(user=inactive, case=Case()) == set()
    assert case_roles_for_user(user=None, case=Case()) == set()
    assert case_roles_for_user(user=AnonymousUser(), case=Case()) == set()
    assert asked == [(officer, False), (officer, True)]
    # A procedure that states no roles: the user sees the case through none.
    case_access_register(model=Case, visible=visible)
    assert case_roles_for_user(user=officer, case=Case()) == set()


def test_no_case_is_visible_to_an_inactive_anonymous_or_missing_user(world: Any, case: TerminationCase) -> None:
    assert list(cases_for_user(fresh(world.officer), model=TerminationCase)) == [case]
    for user in (deactivated(world.officer), AnonymousUser(), None):
        assert list(cases_for_user(user, model=TerminationCase)) == []


# --- Cases and their documents -------------------------------------------------------------------


def test_a_case_is_read_by_whoever_sees_it_and_refused_to_anyone_else_with_its_own_line(
    world: Any, case: TerminationCase, denials: Any, django_assert_num_queries: Any
) -> None:
    assert access_case_for_user(user=world.inspector, model=TerminationCase, pk=case.pk) == case
    assert access_case_for_user(user=world.officer, model=TerminationCase, pk=case.pk, write=True) == case
    assert denials() == []
    for outsider, pk, write in (
        (world.inspector, case.pk, True),
        (world.clerk_b, case.pk, False),
        (world.clerk, 999999, False),
    ):
        with pytest.raises(Http404):
            access_case_for_user(user=outsider, model=TerminationCase, pk=pk, write=write)
        assert denials() == [line(outsider, "termination.case", f"termination.case:{pk}")]
    found = access_case_for_user(user=world.clerk, model=TerminationCase, pk=case.pk)
    with django_assert_num_queries(0):  # the case's pages show its facility and county
        assert (found.facility.name, found.county.name) == ("Hospital A", "County A")


def test_a_document_follows_its_case(
    world: Any, case: TerminationCase, denials: Any, django_assert_num_queries: Any
) -> None:
    document = TerminationDocument.objects.filter(case=case).order_by("pk").first()
    assert document is not None
    for reader in (world.clerk, world.inspector, world.officer):
        assert access_case_document_for_user(user=reader, model=TerminationDocument, pk=document.pk) == document
    found = access_case_document_for_user(user=world.officer, model=TerminationDocument, pk=document.pk, write=True)
    assert found == document
    assert denials() == []
    with django_assert_num_queries(0):
        assert found.case == case
    # Someone who may not see (or act on) the case: refused as for the case itself.
    for outsider, write in ((world.inspector, True), (world.clerk_b, False)):
        with pytest.raises(Http404):
            access_case_document_for_user(user=outsider, model=TerminationDocument, pk=document.pk, write=write)
        assert denials() == [line(outsider, "termination.case", f"termination.case:{case.pk}")]
    for pk in (999999, "x"):
        with pytest.raises(Http404):
            access_case_document_for_user(user=world.clerk, model=TerminationDocument, pk=pk)
        assert denials() == [line(world.clerk, "termination.document", f"termination.document:{pk}")]


def test_roles_by_scope_name_each_role_through_which_a_user_sees_the_case(world: Any) -> None:
    expert_b = make_person("expert_b", Role.EXPERT, jurisdiction=world.county_b)
    in_a = SimpleNamespace(facility_id=world.hospital_a.pk, county_id=world.county_a.pk)

    def roles(user: Any, *, experts: bool = True) -> set[str]:
        return case_roles_by_scope(user=user, case=in_a, experts=experts)

    assert roles(world.clerk) == {Role.FACILITY_CLERK}
    assert roles(world.director) == {Role.FACILITY_DIRECTOR}
    assert roles(world.officer) == {Role.BUREAU_OFFICER}
    assert roles(world.chief) == {Role.BUREAU_DIRECTOR}
    assert roles(world.inspector) == {Role.INSPECTOR}
    assert roles(world.expert1) == {Role.EXPERT}
    assert roles(world.expert1, experts=False) == set()
    for outsider in (world.clerk_other, world.clerk_b, world.officer_b, expert_b):
        assert roles(outsider) == set()
        assert roles(outsider, experts=False) == set()
    dual = make_person("dual", Role.FACILITY_CLERK, facility=world.hospital_a)
    role_grant(actor=None, user=dual, role=Role.EXPERT, jurisdiction=world.county_a)
    role_grant(actor=None, user=dual, role=Role.INSPECTOR, jurisdiction=world.county_a.parent)
    assert roles(dual) == {Role.FACILITY_CLERK, Role.EXPERT, Role.INSPECTOR}
    assert roles(fresh(world.officer)) == {Role.BUREAU_OFFICER}
    for nobody in (deactivated(world.officer), AnonymousUser(), None):
        assert roles(nobody) == set()


# --- The audit trail --------------------------------------------------------------------------------


@pytest.fixture
def trail(world: Any) -> dict[str, AuditEvent]:
    """Events of two records: case 900001 in county A, case 900002 in county B."""
    return {
        ref: audit_record(actor=None, action="test.event", object_type=CASE_TYPE, object_id=ref, scope=(county, None))
        for ref, county in (("900001", world.county_a.pk), ("900002", world.county_b.pk))
    }


def test_the_trail_is_read_by_the_bureau_and_inspectors_of_the_events_county(
    world: Any, trail: dict[str, AuditEvent]
) -> None:
    for reader in (world.officer, world.chief, world.inspector):
        assert audit_county_ids_for_user(reader) == {world.county_a.pk}
        assert set(audit_events_for_user(reader)) >= {trail["900001"]}
        assert trail["900002"] not in set(audit_events_for_user(reader))
    assert audit_county_ids_for_user(world.officer_b) == {world.county_b.pk}
    inspector_and_officer = make_person("both", Role.INSPECTOR, jurisdiction=world.county_a)
    role_grant(actor=None, user=inspector_and_officer, role=Role.BUREAU_OFFICER, jurisdiction=world.county_b)
    assert audit_county_ids_for_user(inspector_and_officer) == {world.county_a.pk, world.county_b.pk}
    for nobody in (world.clerk, world.expert1, deactivated(world.chief), AnonymousUser(), None):
        assert audit_county_ids_for_user(nobody) == set()
        assert not audit_events_for_user(nobody).exists()


def test_a_trail_search_covers_the_users_counties_and_is_refused_to_anyone_without_one_and_to_every_write(
    world: Any, denials: Any
) -> None:
    assert access_audit_search_for_user(user=world.officer) == {world.county_a.pk}
    assert access_audit_search_for_user(user=world.inspector) == {world.county_a.pk}
    assert denials() == []
    for user, write in ((world.officer, True), (world.clerk, False)):
        with pytest.raises(Http404):
            access_audit_search_for_user(user=user, write=write)
        assert denials() == [line(user, "audit.search", "audit")]


@pytest.mark.parametrize(
    ("object_type", "object_id", "valid"),
    [
        (CASE_TYPE, "1", True),
        (CASE_TYPE, "x" * 64, True),
        ("a.b", "uuid-0f3c", True),
        (CASE_TYPE, "", False),
        (CASE_TYPE, "x" * 65, False),
        (CASE_TYPE, "12\x00", False),
        (CASE_TYPE, "1\n", False),
        ("terminationcase", "1", False),
        ("Termination.case", "1", False),
        ("termination.case.x", "1", False),
        ("", "1", False),
    ],
)
def test_a_record_ref_is_an_app_labelled_model_and_a_short_printable_id(
    object_type: str, object_id: str, valid: bool
) -> None:
    assert is_record_ref(object_type, object_id) is valid


def test_a_records_trail_is_read_only_where_the_user_oversees_one_of_its_events(
    world: Any, trail: dict[str, AuditEvent], denials: Any
) -> None:
    def read(user: Any, object_type: str, object_id: str, *, write: bool = False) -> set[int]:
        return access_audit_trail_for_user(user=user, object_type=object_type, object_id=object_id, write=write)

    assert access_audit_trail_for_user(user=world.officer, object_type=CASE_TYPE, object_id="900001") == {
        world.county_a.pk
    }
    assert read(world.inspector, CASE_TYPE, "900001") == {world.county_a.pk}
    assert read(world.officer_b, CASE_TYPE, "900002") == {world.county_b.pk}
    assert denials() == []
    for user, object_type, object_id, write in (
        (world.officer, CASE_TYPE, "900001", True),  # nobody writes through the trail
        (world.clerk, CASE_TYPE, "900001", False),  # oversees no county
        (world.officer, CASE_TYPE, "900002", False),  # the record's events are in county B
        (world.officer, CASE_TYPE, "900003", False),  # no such record
        (world.officer, "births.birthreport", "900001", False),  # same id, another kind of record
        (world.officer, CASE_TYPE, "9000\x001", False),  # never reaches the database
        (world.officer, "Bad Type", "900001", False),
    ):
        with pytest.raises(Http404):
            read(user, object_type, object_id, write=write)
        assert denials() == [line(user, "audit.trail", f"{object_type}:{object_id}")]
    long_id = "9" * 200
    with pytest.raises(Http404):
        read(world.officer, CASE_TYPE, long_id)
    assert denials() == [line(world.officer, "audit.trail", f"{CASE_TYPE}:{long_id}"[:120])]
