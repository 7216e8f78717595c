"""Retired-practitioner cases for the permission tests, driven through the procedure's own services.

Cases are started and moved on as the flow views do it (an activation, then the
service), so the tasks, owner permissions and signatures are the real ones.
Names and licence numbers are distinctive, so that the matrix can look for
them in response bodies.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver
from django.utils import timezone

from core.validators import resident_id_compose
from permissions.models import Facility, Jurisdiction
from permissions.roles import Role
from tests.permissions.matrix import Entry, Scene, Target, rule
from tests.permissions.oracle import FACILITY_STAFF_ROLES, StepRule
from tests.permissions.procedure_rules import GET_ONLY, LOGIN, node_entries, node_targets
from workflows.cases.services import case_step_run
from workflows.retired_practitioners import services
from workflows.retired_practitioners.flows import RetiredPractitionerFlow as F
from workflows.retired_practitioners.models import Decision, PractitionerCase

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def case_start(*, user: Any, facility: Facility, serial: int, township: Jurisdiction | None = None) -> PractitionerCase:
    """File a retired practitioner as the flow's start view does."""
    get_resolver().url_patterns  # noqa: B018 - task notifications carry links
    activation = F.file.activation_class.create(F.file, None, None)
    activation.start(SimpleNamespace(user=user))
    today = timezone.localdate()
    return services.practitioner_file(
        activation=activation,
        user=user,
        facility=facility,
        data={
            "name": f"Scene-Practitioner-{serial}",
            "resident_id": resident_id_compose(
                region=facility.county.code, born=f"1955{(serial % 12) + 1:02d}20", serial=serial
            ),
            "former_department": "Obstetrics",
            "title": "chief",
            "physician_licence_number": f"SCENE-LIC-{serial:05d}",
            "mch_certificate_number": "",
            "retirement_date": today - dt.timedelta(days=3),
            "home_township": township or facility.township,
            "address": f"Scene-Address-{serial}",
            "contact": "0990-5550000",
            "activity": "none",
            "employer": None,
            "activity_note": "",
            "pledge_signed_on": today - dt.timedelta(days=1),
            "late_explanation": "",
        },
        pledge=SimpleUploadedFile("pledge.pdf", PDF, content_type="application/pdf"),
    )


def case_sign(case: PractitionerCase, director: Any) -> None:
    case_step_run(case=case, node=F.sign_filing, user=director, service=services.practitioner_sign_filing,
                  decision=Decision.FORWARD, reason="")  # fmt: skip


def case_secrets(case: PractitionerCase) -> list[str]:
    """The values that would betray the case to someone outside its scope."""
    entry = case.practitioner
    return [
        entry.name,
        entry.address,
        entry.physician_licence_number,
        str(F.instance.reverse("process_detail", args=[case.pk])),
    ]


def build_scene(scene: Any) -> None:
    """Filings in county A at the first steps, and one in county B that nobody in county A may see.

    rp_a_sign      hospital A, filed: waiting for the director's signature
    rp_a_verify    hospital A, signed: waiting for county A's verification
    rp_b_sign      hospital B, filed
    """
    from tests.permissions.matrix import Record

    world = scene.world
    plan = [
        ("rp_a_sign", world.clerk, world.hospital_a, 901, []),
        ("rp_a_verify", world.clerk, world.hospital_a, 902, [lambda c: case_sign(c, world.director)]),
        ("rp_b_sign", world.clerk_b, world.hospital_b, 903, []),
    ]
    for label, clerk, facility, serial, steps in plan:
        case = case_start(user=clerk, facility=facility, serial=serial)
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
    "sign_filing": StepRule("facility", frozenset({Role.FACILITY_DIRECTOR}), "sign_filing", repeatable=True),
    "amend": StepRule("facility", FACILITY_STAFF_ROLES, None, approval=False),
    # The bureau of the practitioner's home county (the case's county), never staff of the filing facility.
    "verify": StepRule(
        "county", frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}), "verify", repeatable=True, bureau=True
    ),
    "follow_up": StepRule("county", frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}), "follow_up", bureau=True),
    "escalate_follow_up": StepRule("county", frozenset({Role.BUREAU_DIRECTOR}), "follow_up", bureau=True),
    "take_over": StepRule(
        "receiving_county", frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}), "take_over", bureau=True
    ),
    "review_cross_check": StepRule(
        "county", frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}), "review_cross_check", bureau=True
    ),
}


# What the generic tests ask of this procedure's test scene (Procedure.test_scene, tests/procedures.py).
NON_SIGNING_STEPS = {"amend": "the clerk corrects the filing; the director signs it again"}


def open_case(world: Any) -> PractitionerCase:
    """A filing by world.clerk at world.hospital_a (the engine-wide four-eyes test)."""
    return case_start(user=world.clerk, facility=world.hospital_a, serial=401)


# --- The authorization matrix's expectations for this procedure's routes (tests/procedures.py reads them) -------
# Node kinds and task URLs' rules: tests/permissions/procedure_rules.py.

RP = "procedures:retiredpractitioner"


def _rp_cases(scene: Scene) -> list[tuple[str, Any]]:
    return [(label, r.obj) for label, r in scene.records.items() if label.startswith("rp_")]


def _rp_case_targets(scene: Scene) -> list[Target]:
    return [Target(kwargs={"process_pk": case.pk}, record=label, label=label) for label, case in _rp_cases(scene)]


def _rp_entry_targets(scene: Scene) -> list[Target]:
    return [
        Target(kwargs={"practitioner_pk": case.practitioner_id}, record=label, label=label)
        for label, case in _rp_cases(scene)
    ]


def _rp_document_targets(scene: Scene) -> list[Target]:
    targets = [
        Target(kwargs={"process_pk": case.pk, "document_pk": case.documents.first().pk}, record=label, label=label)
        for label, case in _rp_cases(scene)
    ]
    case_a, case_b = scene.records["rp_a_sign"].obj, scene.records["rp_b_sign"].obj
    targets.append(
        Target(
            kwargs={"process_pk": case_a.pk, "document_pk": case_b.documents.first().pk},
            record="rp_a_sign",
            label="another case's document",
            refused_to_all=True,
        )
    )
    return targets


_rp_node_targets = node_targets(_rp_cases, host="rp_a_sign", hosts={"sign_filing": "rp_a_verify"})


def matrix_entries() -> dict[str, Entry]:
    everyone_in_scope_reads = rule(200, anonymous=LOGIN)
    facility_staff = {"clerk": 200, "director": 200, "clerk_other": 200, "clerk_b": 200}
    bureau = {"officer": 200, "officer2": 200, "chief": 200, "officer_b": 200}
    entries: dict[str, Entry] = {
        f"{RP}:{name}": Entry(get=everyone_in_scope_reads, post=GET_ONLY)
        for name in ("index", "process_list", "task_list", "inbox", "queue", "archive", "chart")
    }
    entries.update(
        {
            # A county's register: its bureau and inspectors (one county each, so no ?county= needed).
            f"{RP}:register": Entry(
                get=rule(404, anonymous=LOGIN, inspector=200, **bureau), post=rule(405, anonymous=LOGIN)
            ),
            f"{RP}:practitioner": Entry(get=rule(200), post=rule(405), targets=_rp_entry_targets, get_only=True),
            f"{RP}:tasks_assign": Entry(
                get=rule(405, anonymous=LOGIN), post=rule({302, 403}, inspector=403, anonymous=LOGIN)
            ),
            f"{RP}:file:execute": Entry(
                get=rule(403, superuser=200, anonymous=LOGIN, **facility_staff),
                post=rule(403, superuser=200, anonymous=LOGIN, **facility_staff),
            ),
            # Events: the bureaus alone record them (an empty form answers with its errors).
            f"{RP}:record_event:execute": Entry(
                get=rule(403, anonymous=LOGIN, **bureau), post=rule(403, anonymous=LOGIN, **bureau)
            ),
            f"{RP}:process_detail": Entry(get=rule(200), post=rule(405), targets=_rp_case_targets),
            f"{RP}:process_chart": Entry(get=rule(200), post=rule(405), targets=_rp_case_targets),
            f"{RP}:document": Entry(
                get=rule(200), post=rule(405, inspector={404, 405}), targets=_rp_document_targets, get_only=True
            ),
            f"{RP}:withdraw": Entry(
                get=rule(405),
                post=rule(403, clerk=400, director=400, clerk_b=400, inspector=404),
                targets=_rp_case_targets,
            ),
        }
    )
    entries.update(node_entries(RP, F, _rp_node_targets, skip=set(entries)))
    return entries
