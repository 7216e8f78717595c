"""Ultrasound cases for the permission tests, driven through the procedure's own services.

Cases are started and moved on exactly as the flow views do it (an activation,
then the service), so the tasks, owner permissions and signatures are the real
ones. Serial numbers and invoice numbers are distinctive, so that the matrix can
look for them in response bodies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import get_resolver
from viewflow.workflow.status import STATUS

from permissions.models import Facility
from workflows.ultrasound import services
from workflows.ultrasound.flows import UltrasoundRegistrationFlow as F
from workflows.ultrasound.models import Decision, UltrasoundCase

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fake_request(user: Any) -> Any:
    request = RequestFactory().post("/")
    request.user = user
    request.session = {}
    request.request_id = ""
    return request


def case_start(*, user: Any, facility: Facility, serial: str) -> UltrasoundCase:
    """File a device as the flow's start view does."""
    get_resolver().url_patterns  # noqa: B018 - task notifications carry links
    activation = F.file.activation_class.create(F.file, None, None)
    activation.start(fake_request(user))
    data = {
        "device_type": "colour_doppler",
        "manufacturer": "Scene Maker",
        "model": "SM-1",
        "serial_number": serial,
        "purchase_date": dt.date.today() - dt.timedelta(days=2),
        "invoice_number": f"INV-{serial}",
        "seller": "Scene Seller",
        "seller_licence": "JY-000000-0001",
        "room": "Room S",
        "responsible_person": "Dr Scene",
        "late_explanation": "",
    }
    operators = [
        {
            "name": f"Operator-{serial}",
            "licence_number": f"LIC-{serial}",
            "mch_certificate_number": "MCH-000001",
            "pledge_date": dt.date.today() - dt.timedelta(days=1),
        }
    ]
    undertaking = SimpleUploadedFile("undertaking.pdf", PDF, content_type="application/pdf")
    return services.ultrasound_file(
        activation=activation,
        user=user,
        facility=facility,
        data=data,
        operators=operators,
        documents=[("undertaking", undertaking)],
    )


def task_complete(case: UltrasoundCase, node: Any, user: Any, perform: Any) -> None:
    """Claim the node's open task as ``user`` and complete it with ``perform(activation, request)``."""
    task = case.task_set.filter(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED]).order_by("pk").first()
    assert task is not None, f"case {case.pk} has no open {node.name} task"
    request = fake_request(user)
    with task.activation() as activation:
        if task.owner_id is None:
            activation.assign(user)
        activation.start(request)
        perform(activation, request)


def case_sign(case: UltrasoundCase, director: Any) -> None:
    task_complete(
        case,
        F.sign_undertaking,
        director,
        lambda activation, request: services.ultrasound_sign_undertaking(
            activation=activation, user=director, decision=Decision.FORWARD, reason="", request=request
        ),
    )


def case_review(case: UltrasoundCase, officer: Any, supervisor: Any) -> None:
    task_complete(
        case,
        F.review,
        officer,
        lambda activation, request: services.ultrasound_review(
            activation=activation, user=officer, decision=Decision.CHECK, supervisor=supervisor, reason="",
            request=request,
        ),
    )  # fmt: skip


def case_check_and_approve(case: UltrasoundCase, supervisor: Any, officer: Any) -> None:
    from workflows.ultrasound.models import OnsiteCheck

    task_complete(
        case,
        F.onsite_check,
        supervisor,
        lambda activation, request: services.ultrasound_onsite_check(
            activation=activation, user=supervisor, checklist=dict.fromkeys(OnsiteCheck.CHECKLIST, True),
            findings="", photos=[], request=request,
        ),
    )  # fmt: skip
    task_complete(
        case,
        F.decide,
        officer,
        lambda activation, request: services.ultrasound_decide(
            activation=activation, user=officer, decision=Decision.APPROVE, reason="", request=request
        ),
    )


def case_secrets(case: UltrasoundCase) -> list[str]:
    """The values that would betray the case to someone outside its scope."""
    device = case.device
    device.refresh_from_db()
    values = [device.serial_number, device.invoice_number, *(o.name for o in device.active_operators())]
    if device.registration_number:
        values.append(device.registration_number)
    values.append(str(F.instance.reverse("process_detail", args=[case.pk])))
    return values


def build_scene(scene: Any) -> None:
    """Devices in county A at the first steps, and one in county B that nobody in county A may see.

    us_a_sign      hospital A, filed: waiting for the director's signature
    us_a_review    hospital A, signed: waiting for the bureau's review
    us_a_registered  hospital A, checked on site and approved: a registration number and its certificate
    us_b_sign      hospital B, filed
    """
    from permissions.roles import Role
    from tests.conftest import make_person
    from tests.permissions.matrix import Record

    world = scene.world
    supervisor = make_person("supervisor_scene", Role.SUPERVISOR, jurisdiction=world.county_a)
    plan = [
        ("us_a_sign", world.clerk, world.hospital_a, []),
        ("us_a_review", world.clerk, world.hospital_a, [lambda c: case_sign(c, world.director)]),
        (
            "us_a_registered",
            world.clerk,
            world.hospital_a,
            [
                lambda c: case_sign(c, world.director),
                lambda c: case_review(c, world.officer, supervisor),
                lambda c: case_check_and_approve(c, supervisor, world.officer),
            ],
        ),
        ("us_b_sign", world.clerk_b, world.hospital_b, []),
    ]
    for label, clerk, facility, steps in plan:
        case = case_start(user=clerk, facility=facility, serial=f"SCENE-{label.upper().replace('_', '-')}")
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
            )
        )
