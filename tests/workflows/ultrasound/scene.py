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
from django.urls import get_resolver

from permissions.models import Facility
from permissions.roles import Role
from tests.permissions.matrix import Entry, Scene, Target, rule
from tests.permissions.oracle import FACILITY_STAFF_ROLES, StepRule
from tests.permissions.procedure_rules import GET_ONLY, LOGIN, node_entries, node_targets
from tests.scenes import fake_request, task_run
from workflows.ultrasound import services
from workflows.ultrasound.flows import UltrasoundRegistrationFlow as F
from workflows.ultrasound.models import Decision, UltrasoundCase

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


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


def case_sign(case: UltrasoundCase, director: Any) -> None:
    task_run(
        case,
        F.sign_undertaking,
        director,
        lambda activation, request: services.ultrasound_sign_undertaking(
            activation=activation, user=director, decision=Decision.FORWARD, reason="", request=request
        ),
    )


def case_review(case: UltrasoundCase, officer: Any, supervisor: Any) -> None:
    task_run(
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

    task_run(
        case,
        F.onsite_check,
        supervisor,
        lambda activation, request: services.ultrasound_onsite_check(
            activation=activation, user=supervisor, checklist=dict.fromkeys(OnsiteCheck.CHECKLIST, True),
            findings="", photos=[], request=request,
        ),
    )  # fmt: skip
    task_run(
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


# Who may take each human step, restated from the rules (tests/permissions/oracle.py).
CLAIM_RULES = {
    "sign_undertaking": StepRule("facility", frozenset({Role.FACILITY_DIRECTOR}), "sign_undertaking", repeatable=True),
    "amend": StepRule("facility", FACILITY_STAFF_ROLES, None, approval=False),
    "review": StepRule("county", frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}), None, approval=False),
    "onsite_check": StepRule("county", frozenset({Role.SUPERVISOR}), "onsite_check", repeatable=True),
    "decide": StepRule(
        "county",
        frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}),
        "bureau_decision",
        repeatable=True,
        bureau=True,
    ),
    "escalate": StepRule("county", frozenset({Role.BUREAU_DIRECTOR}), "bureau_decision", repeatable=True, bureau=True),
    "accept_transfer": StepRule(
        "receiving_county", frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}), "accept_transfer", bureau=True
    ),
    "renew_pledges": StepRule("facility", frozenset({Role.FACILITY_DIRECTOR}), "renew_pledges", approval=False),
}


# Human steps that sign nothing (tests/permissions/test_four_eyes_engine_wide.py).
NON_SIGNING_STEPS = {
    "amend": "the clerk corrects the filing; the director's undertaking signs it again",
    "review": "the officer routes the filing (supervisor or not); the bureau decision signs",
}


def open_case(world: Any) -> UltrasoundCase:
    """A filing by world.clerk at world.hospital_a (the engine-wide four-eyes test)."""
    return case_start(user=world.clerk, facility=world.hospital_a, serial="FOUR-EYES-1")


# --- The authorization matrix's expectations for this procedure's routes (tests/procedures.py reads them) -------
# Node kinds and task URLs' rules: tests/permissions/procedure_rules.py.

US = "procedures:ultrasoundregistration"


def _us_cases(scene: Scene) -> list[tuple[str, Any]]:
    return [(label, r.obj) for label, r in scene.records.items() if label.startswith("us_")]


def _us_case_targets(scene: Scene) -> list[Target]:
    return [Target(kwargs={"process_pk": case.pk}, record=label, label=label) for label, case in _us_cases(scene)]


def _us_device_targets(scene: Scene, *, registered: bool = False) -> list[Target]:
    return [
        Target(kwargs={"device_pk": case.device_id}, record=label, label=label)
        for label, case in _us_cases(scene)
        if not registered or case.device.registration_number
    ]


def _us_document_targets(scene: Scene) -> list[Target]:
    targets = [
        Target(
            kwargs={"process_pk": case.pk, "document_pk": case.documents.order_by("pk").first().pk},
            record=label,
            label=label,
        )
        for label, case in _us_cases(scene)
    ]
    case_a, case_b = scene.records["us_a_sign"].obj, scene.records["us_b_sign"].obj
    targets.append(
        Target(
            kwargs={"process_pk": case_a.pk, "document_pk": case_b.documents.first().pk},
            record="us_a_sign",
            label="another case's document",
            refused_to_all=True,
        )
    )
    return targets


_us_node_targets = node_targets(
    _us_cases, host="us_a_sign", hosts={"sign_undertaking": "us_a_review"}, stranger="us_b_sign"
)


def matrix_entries() -> dict[str, Entry]:
    everyone_in_scope_reads = rule(200, anonymous=LOGIN)
    facility_staff = {"clerk": 200, "director": 200, "clerk_other": 200, "clerk_b": 200}
    bureau = {"officer": 200, "officer2": 200, "chief": 200, "officer_b": 200}
    entries: dict[str, Entry] = {
        f"{US}:{name}": Entry(get=everyone_in_scope_reads, post=GET_ONLY)
        for name in ("index", "process_list", "task_list", "inbox", "queue", "archive", "chart")
    }
    entries.update(
        {
            # The registry lists only what the persona may see (the leak check's business); read-only.
            f"{US}:registry": Entry(get=everyone_in_scope_reads, post=rule(405, anonymous=LOGIN)),
            f"{US}:tasks_assign": Entry(
                get=rule(405, anonymous=LOGIN), post=rule({302, 403}, inspector=403, anonymous=LOGIN)
            ),
            # Filing: facility staff (and the superuser, who holds every model permission but no facility).
            f"{US}:file:execute": Entry(
                get=rule(403, superuser=200, anonymous=LOGIN, **facility_staff),
                post=rule(403, superuser=200, anonymous=LOGIN, **facility_staff),
            ),
            # A change names its device (?device=): without one, there is no device to change (404).
            f"{US}:file_amendment:execute": Entry(
                get=rule(403, superuser=404, anonymous=LOGIN, **dict.fromkeys(facility_staff, 404)),
                post=rule(403, superuser=404, anonymous=LOGIN, **dict.fromkeys(facility_staff, 404)),
            ),
            # Unannounced checks: the bureaus alone schedule them.
            f"{US}:schedule_check:execute": Entry(
                get=rule(403, anonymous=LOGIN, **bureau), post=rule(403, anonymous=LOGIN, **bureau)
            ),
            f"{US}:process_detail": Entry(get=rule(200), post=rule(405), targets=_us_case_targets),
            f"{US}:process_chart": Entry(get=rule(200), post=rule(405), targets=_us_case_targets),
            f"{US}:device": Entry(get=rule(200), post=rule(405), targets=_us_device_targets, get_only=True),
            # The certificate of a registered device: its facility, its county's bureau and inspectors.
            f"{US}:certificate": Entry(
                get=rule(200),
                post=rule(405, inspector={404, 405}),
                get_only=True,
                targets=lambda scene: _us_device_targets(scene, registered=True),
            ),
            f"{US}:document": Entry(
                get=rule(200), post=rule(405, inspector={404, 405}), targets=_us_document_targets, get_only=True
            ),
            f"{US}:withdraw": Entry(
                get=rule(405),
                post=rule(403, clerk=400, director=400, clerk_b=400, inspector=404),
                targets=_us_case_targets,
            ),
        }
    )
    entries.update(node_entries(US, F, _us_node_targets, skip=set(entries)))
    return entries
