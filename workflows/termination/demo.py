"""Demo termination cases in every state, made by driving the real services.

Idempotent: the demo patients are recognised by their resident ID digests, so
a second run creates nothing. Names and ID numbers are invented (the ID
numbers use the demo division code 990101 and are valid only in shape).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from core.fields import identifier_digest
from core.validators import resident_id_compose
from workflows.cases.demo import (
    demo_cases_seed,
    demo_county_rules_seed,
    demo_scan,
    demo_start,
    demo_step,
    demo_timer_fire,
)

from . import services
from .flows import TerminationFlow
from .models import Decision, TerminationCase, required_documents
from .rules import TerminationCountyRules, TerminationDesignation

# key, county, patient, pathway, weeks, emergency, how far the case goes. The serial (the row's
# position, from 1) makes the patient's resident ID: append new rows, never reorder.
SCENARIOS = [
    ("review", "a", "演示一 Demo One", "divorced", 16, False, "submitted"),
    ("panel", "a", "演示二 Demo Two", "sex_linked", 20, False, "panel_partial"),
    ("returned", "a", "演示三 Demo Three", "widowed", 17, False, "returned"),
    ("bureau", "a", "演示四 Demo Four", "fetal_defect", 22, False, "bureau"),
    ("emergency", "a", "演示五 Demo Five", "maternal", 24, True, "submitted"),
    ("approved", "a", "演示六 Demo Six", "unmarried", 15, False, "approved"),
    ("completed", "a", "演示七 Demo Seven", "divorced", 18, False, "completed"),
    ("rejected", "a", "演示八 Demo Eight", "widowed", 19, False, "rejected"),
    ("expired", "a", "演示九 Demo Nine", "divorced", 16, False, "expired"),
    ("withdrawn", "a", "演示十 Demo Ten", "unmarried", 15, False, "withdrawn"),
    # Xiping County (B): no expert panel there, so personal pathways only.
    ("review", "b", "演示十一 Demo Eleven", "divorced", 17, False, "submitted"),
    ("bureau", "b", "演示十二 Demo Twelve", "widowed", 19, False, "bureau"),
    ("returned", "b", "演示十三 Demo Thirteen", "unmarried", 16, False, "returned"),
    ("approved", "b", "演示十四 Demo Fourteen", "divorced", 20, False, "approved"),
    ("completed", "b", "演示十五 Demo Fifteen", "widowed", 18, False, "completed"),
    ("rejected", "b", "演示十六 Demo Sixteen", "unmarried", 15, False, "rejected"),
]

# Who acts in each county's cases: demo usernames by part.
STAFF = {
    "a": {"clerk": "clerk", "director": "director", "officer": "officer", "facility": "hospital_a"},
    "b": {"clerk": "clerk_b", "director": "director_b", "officer": "officer_b", "facility": "hospital_b"},
}
ISSUERS = {"a": "东安县人民医院 Dong'an County People's Hospital", "b": "西平县妇幼保健院 Xiping County MCH Hospital"}


def demo_resident_id(serial: int) -> str:
    return resident_id_compose(region="990101", born=f"199{serial % 10}0612", serial=serial)


def _submit(
    *, world: Any, county: str, serial: int, patient: str, pathway: str, weeks: int, emergency: bool
) -> TerminationCase:
    staff = STAFF[county]
    clerk = world.users[staff["clerk"]]
    activation = demo_start(TerminationFlow.submit, clerk)
    today = timezone.localdate()
    documents = [
        {
            "doc_type": doc_type,
            "number": f"DEMO-{serial:03d}-{index}",
            "issuer": ISSUERS[county],
            "issued_on": today - dt.timedelta(days=2),
            "is_original": index == 0,
            "file": demo_scan(),
        }
        for index, doc_type in enumerate(required_documents(pathway=pathway, emergency=emergency))
    ]
    return services.termination_submit(
        activation=activation,
        user=clerk,
        facility=world.facilities[staff["facility"]],
        data={
            "patient_name": patient,
            "resident_id": demo_resident_id(serial),
            "marital_status": {"divorced": "divorced", "widowed": "widowed", "unmarried": "unmarried"}.get(
                pathway, "married"
            ),
            "gestational_weeks": weeks,
            "gestational_days": 1,
            "lmp_date": today - dt.timedelta(days=weeks * 7 + 1),
            "pathway": pathway,
            "emergency": emergency,
            "emergency_justification": "大出血，先行手术 Severe haemorrhage: operated first." if emergency else "",
        },
        documents=documents,
    )


def _advance(case: TerminationCase, *, world: Any, county: str, goal: str) -> None:
    staff = STAFF[county]
    users = {**world.users, **{role: world.users[name] for role, name in staff.items() if role != "facility"}}
    flow = TerminationFlow
    if goal == "panel_partial":
        demo_step(
            case,
            flow.give_opinion,
            users["expert1"],
            services.termination_opinion,
            agrees=True,
            reason="符合 Confirmed",
        )
        return
    if goal == "withdrawn":
        services.termination_withdraw(
            case=case, user=users["clerk"], reason="患者改变主意 The patient changed her mind"
        )
        return
    if goal == "submitted":
        return
    if case.is_medical:
        for expert in ("expert1", "expert2", "expert3"):
            demo_step(
                case,
                flow.give_opinion,
                users[expert],
                services.termination_opinion,
                agrees=True,
                reason="符合 Confirmed",
            )
    if goal == "returned":
        demo_step(
            case,
            flow.review,
            users["director"],
            services.termination_review,
            decision=Decision.RETURN,
            reason="请补充死亡证明原件 Please bring the original death certificate",
        )
        return
    demo_step(case, flow.review, users["director"], services.termination_review, decision=Decision.FORWARD, reason="")
    if goal == "bureau":
        return
    if goal == "rejected":
        demo_step(
            case,
            flow.decide,
            users["officer"],
            services.termination_decide,
            decision=Decision.REJECT,
            reason="材料不符合规定 The documents do not meet the rules",
        )
        return
    demo_step(case, flow.decide, users["officer"], services.termination_decide, decision=Decision.APPROVE, reason="")
    case = TerminationCase.objects.get(pk=case.pk)
    if goal == "completed":
        demo_step(
            case,
            flow.record_procedure,
            users["clerk"],
            services.termination_record_procedure,
            data={
                "resident_id": case.resident_id,
                "procedure_date": timezone.localdate(),
                "procedure_method": "medical_induction",
                "physician_name": "李建国 Li Jianguo",
                "physician_licence": "110990101000101",
                "drugs": [{"name": "米非司酮 Mifepristone", "batch": "H20261101"}],
                "fetal_sex": "female",
                "complications": "",
            },
        )
    elif goal == "expired":
        demo_timer_fire(case)  # the certificate's validity runs out


# Facilities designated for terminations, up to which week (the others are not).
DESIGNATIONS = {"hospital_a": 27, "hospital_b": 27}


def seed_rules(*, world: Any) -> int:
    """Each demo county's termination rules (the defaults) and the designated facilities."""
    created = demo_county_rules_seed(world=world, model=TerminationCountyRules)
    for key, max_weeks in DESIGNATIONS.items():
        _designation, made = TerminationDesignation.objects.get_or_create(
            facility=world.facilities[key], defaults={"designated": True, "max_weeks": max_weeks}
        )
        created += made
    return created


def seed(*, world: Any, log: Any) -> int:
    """Create each scenario's case unless its patient is already there (a demo seeded earlier gains new rows)."""
    rules_created = seed_rules(world=world)
    if rules_created:
        log(f"county rules and designations: {rules_created}")
    digests = {identifier_digest(demo_resident_id(n)): n for n in range(1, len(SCENARIOS) + 1)}
    seeded = TerminationCase.objects.filter(resident_id_digest__in=digests).values_list("resident_id_digest", flat=True)

    def create(serial: int) -> TerminationCase:
        _key, county, patient, pathway, weeks, emergency, goal = SCENARIOS[serial - 1]
        case = _submit(
            world=world,
            county=county,
            serial=serial,
            patient=patient,
            pathway=pathway,
            weeks=weeks,
            emergency=emergency,
        )
        _advance(case, world=world, county=county, goal=goal)
        return case

    return rules_created + demo_cases_seed(
        scenarios=[(serial, row[1], row[0]) for serial, row in enumerate(SCENARIOS, start=1)],
        present={digests[digest] for digest in seeded},
        create=create,
        name="termination case",
        nothing="termination cases: already present",
        log=log,
    )
