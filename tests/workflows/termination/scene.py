"""Termination cases for the permission tests, driven through the procedure's own services.

Cases are started and moved on exactly as the flow views do it (an activation,
then the service), so the tasks, owner permissions and signatures are the real
ones. Every value that identifies a case is distinctive, so that the matrix can
look for it in response bodies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver

from core.validators import resident_id_compose
from permissions.models import Facility
from permissions.roles import Role
from tests.factories import PASSWORD
from tests.permissions.matrix import Entry, Scene, Target, rule
from tests.permissions.oracle import FACILITY_STAFF_ROLES, StepRule
from tests.permissions.procedure_rules import (
    GET_ONLY,
    LOGIN,
    node_entries,
    node_targets,
)
from tests.scenes import fake_request, task_run
from workflows.termination import services
from workflows.termination.flows import TerminationFlow
from workflows.termination.models import MEDICAL_PATHWAYS, Decision, MaritalStatus, TerminationCase, required_documents

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def resident_id(serial: int) -> str:
    """A valid GB 11643 number (Beijing Dongcheng, born 1995-06-15), distinct per serial."""
    return resident_id_compose(region="110101", born="19950615", serial=serial)


def case_start(*, user: Any, facility: Facility, pathway: str, name: str, serial: int) -> TerminationCase:
    """Submit a request as the flow's start view does."""
    # Node URLs reverse only once the URLconf has been built in this process,
    # and the notifications sent on task creation carry links.
    get_resolver().url_patterns  # noqa: B018
    node = TerminationFlow.submit
    activation = node.activation_class.create(node, None, None)
    activation.start(fake_request(user))
    documents = [
        {
            "doc_type": doc_type,
            "number": f"DOC-{serial:03d}-{index}",
            "issuer": "Issuing Hospital",
            "issued_on": dt.date(2026, 10, 1),
            "file": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
        }
        for index, doc_type in enumerate(required_documents(pathway=pathway, emergency=False))
    ]
    data = {
        "patient_name": name,
        "resident_id": resident_id(serial),
        "marital_status": MaritalStatus.values[0],
        "gestational_weeks": 18,
        "gestational_days": 2,
        "lmp_date": dt.date(2026, 7, 20),
        "pathway": pathway,
        "emergency": False,
        "emergency_justification": "",
    }
    return services.termination_submit(
        activation=activation, user=user, facility=facility, data=data, documents=documents
    )


def case_review(case: TerminationCase, director: Any, decision: str = Decision.FORWARD) -> None:
    task_run(
        case,
        TerminationFlow.review,
        director,
        lambda activation, request: services.termination_review(
            activation=activation, user=director, decision=decision, reason="checked", request=request
        ),
    )


def case_opinion(case: TerminationCase, expert: Any) -> None:
    task_run(
        case,
        TerminationFlow.give_opinion,
        expert,
        lambda activation, request: services.termination_opinion(
            activation=activation, user=expert, agrees=True, reason="grounds met", request=request
        ),
    )


def case_decide(case: TerminationCase, officer: Any, decision: str = Decision.APPROVE) -> None:
    task_run(
        case,
        TerminationFlow.decide,
        officer,
        lambda activation, request: services.termination_decide(
            activation=activation, user=officer, decision=decision, reason="in order", request=request
        ),
    )


def case_amend(case: TerminationCase, user: Any) -> None:
    """Answer a return as the amendment view does, changing nothing the panel judged."""
    case = TerminationCase.objects.get(pk=case.pk)
    data = {
        "patient_name": case.patient_name,
        "resident_id": case.resident_id,
        "marital_status": case.marital_status,
        "gestational_weeks": case.gestational_weeks,
        "gestational_days": case.gestational_days,
        "lmp_date": case.lmp_date,
        "pathway": case.pathway,
        "emergency_justification": "",
    }
    task_run(
        case,
        TerminationFlow.amend,
        user,
        lambda activation, request: services.termination_amend(
            activation=activation, user=user, data=data, documents=[], reason="answered", request=request
        ),
    )


def case_secrets(case: TerminationCase) -> list[str]:
    """The values that would betray the case to someone outside its scope."""
    case.refresh_from_db()
    values = [case.patient_name, case.resident_id, case.resident_id_masked]
    values += list(case.documents.values_list("number", flat=True))
    if case.certificate_number:
        values.append(case.certificate_number)
    values.append(str(TerminationFlow.instance.reverse("process_detail", args=[case.pk])))
    return [v for v in values if v]


def is_panel_case(case: TerminationCase) -> bool:
    return case.pathway in MEDICAL_PATHWAYS


def build_termination_scene(scene: Any) -> None:
    """Cases in county A at every open step, and cases in county B that nobody in county A may see.

    case_a_review    hospital A, personal pathway, waiting for the director's review
    case_a_panel     hospital A, medical pathway, three open expert seats
    case_a_decide    hospital A, personal pathway, forwarded: waiting for the bureau
    case_a_record    hospital A, approved: certificate issued, waiting for the procedure record
    case_b_panel     hospital B, medical pathway (county B's panel)
    case_b_decide    hospital B, personal pathway, forwarded by hospital B's director
    """
    from permissions.models import Profile
    from permissions.roles import Role
    from tests.conftest import make_person
    from tests.permissions.matrix import Record

    world = scene.world
    director_b = make_person("director_b", Role.FACILITY_DIRECTOR, facility=world.hospital_b, rank=Profile.Rank.CHIEF)
    scene.extra["director_b"] = director_b
    plan = [
        ("case_a_review", world.clerk, world.hospital_a, "divorced", []),
        ("case_a_panel", world.clerk, world.hospital_a, "fetal_defect", []),
        ("case_a_decide", world.clerk, world.hospital_a, "widowed", [lambda c: case_review(c, world.director)]),
        (
            "case_a_record",
            world.clerk,
            world.hospital_a,
            "divorced",
            [lambda c: case_review(c, world.director), lambda c: case_decide(c, world.officer)],
        ),
        ("case_b_panel", world.clerk_b, world.hospital_b, "maternal", []),
        ("case_b_decide", world.clerk_b, world.hospital_b, "widowed", [lambda c: case_review(c, director_b)]),
    ]
    for serial, (label, clerk, facility, pathway, steps) in enumerate(plan, start=101):
        case = case_start(user=clerk, facility=facility, pathway=pathway, name=f"Patient-{label}", serial=serial)
        for step in steps:
            step(case)
        facility_key = "hospital_a" if facility.pk == world.hospital_a.pk else "hospital_b"
        scene.add(
            Record(
                label=label,
                obj=case,
                facility=facility_key,
                county="county_a" if facility_key == "hospital_a" else "county_b",
                secrets=case_secrets(case),
                panel=is_panel_case(case),
            )
        )


# --- What the generic tests ask of every procedure's test scene (Procedure.test_scene) ----------

# Its models in the Django admin (the matrix's admin routes): the county rules and the facilities' designation.
ADMIN_MODELS = {"termination.terminationcountyrules", "termination.terminationdesignation"}

# Who may take each human step, restated from the rules (tests/permissions/oracle.py).
CLAIM_RULES = {
    "review": StepRule("facility", frozenset({Role.FACILITY_DIRECTOR}), "review", repeatable=True),
    "give_opinion": StepRule("county", frozenset({Role.EXPERT}), "give_opinion"),
    "decide": StepRule(
        "county",
        frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}),
        "bureau_decision",
        repeatable=True,
        bureau=True,
    ),
    "escalate": StepRule("county", frozenset({Role.BUREAU_DIRECTOR}), "bureau_decision", repeatable=True, bureau=True),
    "amend": StepRule("facility", FACILITY_STAFF_ROLES, None, approval=False),
    "record_procedure": StepRule("facility", FACILITY_STAFF_ROLES, "record_procedure", approval=False),
}


NON_SIGNING_STEPS = {"amend": "the clerk re-enters the request; the director's review signs it"}


def open_case(world: Any) -> TerminationCase:
    """A case submitted by world.clerk at world.hospital_a (the engine-wide four-eyes test)."""
    return case_start(
        user=world.clerk, facility=world.hospital_a, pathway="fetal_defect", name="Patient-Four-Eyes", serial=301
    )


def build_scene(scene: Any) -> None:
    """The authorization matrix's termination records."""
    build_termination_scene(scene)


# --- The authorization matrix's expectations for termination's routes (tests/procedures.py reads them) -----------
# Case pages are open to everyone whose scope holds the case (outsiders get 404
# from the matrix's scope rule). Task pages follow the oracle in tests/permissions/oracle.py:
# only those who may take the task may claim it, nobody may execute a task
# they do not hold. viewflow's cancel/undo/revive are not served (workflows/cases/flows.py, ADMIN_TASK_VIEWS).


def _cases(scene: Scene) -> list[tuple[str, Any]]:
    return [(label, r.obj) for label, r in scene.records.items() if label.startswith("case_")]


def _case_targets(scene: Scene) -> list[Target]:
    return [Target(kwargs={"process_pk": case.pk}, record=label, label=label) for label, case in _cases(scene)]


def _document_targets(scene: Scene) -> list[Target]:
    targets = [
        Target(
            kwargs={"process_pk": case.pk, "document_pk": case.documents.order_by("pk").first().pk},
            record=label,
            label=label,
        )
        for label, case in _cases(scene)
    ]
    # A document of case B fetched under case A's id.
    case_a, case_b = scene.records["case_a_review"].obj, scene.records["case_b_decide"].obj
    targets.append(
        Target(
            kwargs={"process_pk": case_a.pk, "document_pk": case_b.documents.first().pk},
            record="case_a_review",
            label="another case's document",
            refused_to_all=True,
        )
    )
    return targets


_node_targets = node_targets(_cases, host="case_a_decide", hosts={"decide": "case_a_review"}, stranger="case_b_decide")


def _case_state(scene: Scene, target: Target | None) -> Any:
    """What a refused write must leave as it was: the case's stage and revision, and its tasks."""
    assert target is not None
    case = TerminationCase.objects.get(pk=target.kwargs["process_pk"])
    tasks = sorted(case.task_set.values_list("pk", "status", "owner_id"))
    return (case.stage, case.revision, case.status, tasks)


def _request_fields(serial: int) -> dict[str, Any]:
    from tests.workflows.termination.scene import resident_id

    return {
        "patient_name": f"Patient-valid-{serial}",
        "resident_id": resident_id(serial),
        "marital_status": "divorced",
        "gestational_weeks": 18,
        "gestational_days": 2,
        "lmp_date": "2026-07-20",
        "pathway": "divorced",
    }


def _documents(doc_types: list[str]) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.workflows.termination.scene import PDF

    data: dict[str, Any] = {
        "documents-TOTAL_FORMS": len(doc_types),
        "documents-INITIAL_FORMS": 0,
        "documents-MIN_NUM_FORMS": 0,
        "documents-MAX_NUM_FORMS": 1000,
    }
    for index, doc_type in enumerate(doc_types):
        data.update(
            {
                f"documents-{index}-doc_type": doc_type,
                f"documents-{index}-number": f"VALID-{index}",
                f"documents-{index}-issuer": "Issuing Hospital",
                f"documents-{index}-issued_on": "2026-10-01",
                f"documents-{index}-file": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
            }
        )
    return data


def _valid_task_form(node_name: str) -> Any:
    """A form the node's view would accept from the task's holder (issue 17: sent by everyone else)."""

    def form(scene: Scene, target: Target | None) -> dict[str, Any]:
        if node_name == "give_opinion":
            return {"agrees": "yes", "reason": "The grounds are met", "password": PASSWORD}
        if node_name in {"review", "decide", "escalate"}:
            return {"decision": "reject", "reason": "Not in order", "password": PASSWORD}
        if node_name == "record_procedure":
            assert target is not None
            case = scene.records[target.record].obj if target.record else None
            return {
                "resident_id": case.resident_id if case is not None else "",
                "procedure_date": "2026-11-01",
                "procedure_method": "medical_induction",
                "physician_name": "Dr Valid",
                "drugs": "",
                "fetal_sex": "female",
                "complications": "",
                "password": PASSWORD,
            }
        if node_name == "amend":
            return {**_request_fields(900), "emergency_justification": "", "reason": "Corrected", **_documents([])}
        raise AssertionError(f"no valid form for the {node_name} step: write one here")

    return form


def _valid_submission(scene: Scene, target: Target | None) -> dict[str, Any]:
    return {
        **_request_fields(901),
        "facility": scene.world.hospital_a.pk,
        "emergency": "",
        "emergency_justification": "",
        **_documents(["id_card", "divorce_certificate"]),
    }


def _case_count(scene: Scene, target: Target | None) -> int:
    return TerminationCase.objects.count()


def matrix_entries() -> dict[str, Entry]:
    everyone_in_scope_reads = rule(200, anonymous=LOGIN)
    entries: dict[str, Entry] = {
        # Lists: everyone signed in gets the page; what it lists is the leak check's business.
        "procedures:termination:index": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:process_list": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:task_list": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:inbox": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:queue": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:archive": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        "procedures:termination:chart": Entry(get=everyone_in_scope_reads, post=GET_ONLY),
        # Bulk claim: claims nothing without task ids. Inspectors must be refused.
        "procedures:termination:tasks_assign": Entry(
            # Claims nothing without task ids; refused outright to whoever can take no task at all.
            get=rule(405, anonymous=LOGIN),
            post=rule({302, 403}, inspector=403, anonymous=LOGIN),
        ),
        # Submitting: facility staff only; the superuser holds every model permission
        # but no facility, so the form offers them none.
        "procedures:termination:submit:execute": Entry(
            get=rule(403, clerk=200, director=200, clerk_other=200, clerk_b=200, superuser=200, anonymous=LOGIN),
            post=rule(403, clerk=200, director=200, clerk_other=200, clerk_b=200, superuser=200, anonymous=LOGIN),
            valid_post=_valid_submission,
            state_of=_case_count,
        ),
        # One case.
        "procedures:termination:process_detail": Entry(get=rule(200), post=rule(405), targets=_case_targets),
        "procedures:termination:process_chart": Entry(get=rule(200), post=rule(405), targets=_case_targets),
        "procedures:termination:certificate": Entry(
            get=rule(200),
            post=rule(405, inspector={404, 405}),
            get_only=True,
            targets=lambda scene: [t for t in _case_targets(scene) if scene.records[t.record].obj.certificate_number],
        ),
        # Read-only: a POST is refused (405; 404 for inspectors when the write check runs first).
        "procedures:termination:document": Entry(
            get=rule(200), post=rule(405, inspector={404, 405}), targets=_document_targets, get_only=True
        ),
        # Withdrawal: the submitting facility's staff (400: the empty form is refused);
        # everyone else in scope is refused, inspectors as if the case did not exist.
        "procedures:termination:withdraw": Entry(
            get=rule(405),
            post=rule(403, clerk=400, director=400, clerk_b=400, inspector=404),
            targets=_case_targets,
            valid_post=lambda scene, target: {"reason": "The patient changed her mind"},
            state_of=_case_state,
        ),
    }
    # Every URL viewflow serves for a node of the flow (its actions depend on the node's class).
    entries.update(
        node_entries(
            "procedures:termination",
            TerminationFlow,
            _node_targets,
            skip=set(entries),
            valid_post=_valid_task_form,
            state_of=_case_state,
        )
    )
    return entries


# The public check of a certificate (the kit's /verify/ route): a real number and token, and a forged token.
def certificate_verify_targets(scene: Scene) -> list[Target]:
    case = scene.records["case_a_record"].obj
    return [
        Target(
            kwargs={"kind": "termination", "number": case.certificate_number, "token": case.certificate_token},
            record=None,
        ),
        Target(
            kwargs={"kind": "termination", "number": case.certificate_number, "token": "0" * 32},
            record=None,
            label="forged token",
            refused_to_all=True,
        ),
    ]
