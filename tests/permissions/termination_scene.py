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

    from .matrix import Record

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

NON_SIGNING_STEPS = {"amend": "the clerk re-enters the request; the director's review signs it"}


def open_case(world: Any) -> TerminationCase:
    """A case submitted by world.clerk at world.hospital_a (the engine-wide four-eyes test)."""
    return case_start(
        user=world.clerk, facility=world.hospital_a, pathway="fetal_defect", name="Patient-Four-Eyes", serial=301
    )


def build_scene(scene: Any) -> None:
    """The authorization matrix's termination records."""
    build_termination_scene(scene)
