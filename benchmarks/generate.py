# ruff: noqa: B023, S311 - per-case helpers read the loop's current case on purpose; random picks shape data, not secrets
"""Generate the province-scale data set into a fresh PostgreSQL database (``make bench`` runs it).

    BENCH_SCALE=0.02 .venv/bin/python benchmarks/generate.py      # ~5,000 cases, a few minutes
    .venv/bin/python benchmarks/generate.py                        # 1.0: 100 counties, 2,000 facilities,
                                                                   # ~5,000 users, 250,000 cases, ~1M tasks

The database named by BENCH_DATABASE_URL (default regflow_bench) is dropped, created and migrated.
Reference data (jurisdictions, facilities, people, roles and the guardian permissions roles derive) goes
in with bulk inserts; cases, tasks, signatures, notifications and the audit trail with COPY. Every case
is in a real state of the termination flow (open at each step, or ended each way) with its tasks'
owner permissions, patient fields encrypted by the model's own field, and the audit trail is one valid
hash chain, sealed, computed by audit.services' own functions (verify_audit passes). A tenth of the
cases are in the demo county (county 0), whose ten officers ``bench_officer1..10`` the load driver
logs in as; the demo county also holds enough open decisions for the approve measurements.

The two registries are filled too (``generate_registries``): ten ultrasound devices per facility and three
retired practitioners per facility's county, in every status, with their encrypted fields; their pages read
these tables, not the procedures' filing processes, which are not generated.

Not generated: scanned documents (the case page lists none), expert opinions' text, and the filing processes
and tasks of the procedures other than termination.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchenv import BENCH_DATABASE, BENCH_PASSWORD, ENV, setup

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
SEED = 20261201
APPROVE_POOL = 400  # open decisions in the demo county, for the approve measurements


def recreate_database() -> None:
    import psycopg

    url = BENCH_DATABASE
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def copy_rows(model: Any, fields: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY rows into the model's table; each value is prepared by its field (encryption, JSON, references)."""
    from django.db import connection

    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    sql = f'COPY "{meta.db_table}" ({", ".join(f.column for f in columns)}) FROM STDIN'
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [field.get_db_prep_save(value, connection) for field, value in zip(columns, row, strict=True)]
            )


def reset_sequences(*models: Any) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


def generate_registries(*, rng: random.Random, now: datetime) -> tuple[int, int]:
    """Fill the ultrasound registry and the retired practitioners' register of every county (bulk inserts, the
    encrypted fields through the model's own field). Returns (devices, practitioners)."""
    from core.fields import identifier_digest
    from permissions.models import Facility, Jurisdiction
    from workflows.retired_practitioners.models import Activity, PractitionerStatus, RetiredPractitioner
    from workflows.ultrasound.models import DeviceStatus, DeviceType, UltrasoundDevice

    counties = list(Jurisdiction.objects.filter(level="county").order_by("pk"))
    Jurisdiction.objects.bulk_create(
        [Jurisdiction(code=f"{c.code}001", name=f"Town {c.code}", level="township", parent=c) for c in counties],
        ignore_conflicts=True,
    )
    townships = {t.parent_id: t for t in Jurisdiction.objects.filter(level="township")}
    facilities = list(Facility.objects.select_related("county").order_by("pk"))
    today = now.date()
    device_statuses = [
        (DeviceStatus.REGISTERED, 70), (DeviceStatus.FILED, 10), (DeviceStatus.DECOMMISSIONED, 8),
        (DeviceStatus.SCRAPPED, 5), (DeviceStatus.REFUSED, 4), (DeviceStatus.WITHDRAWN, 3),
    ]  # fmt: skip
    values, weights = zip(*device_statuses, strict=True)
    out_of_service = (DeviceStatus.DECOMMISSIONED, DeviceStatus.SCRAPPED)
    devices = []
    for facility in facilities:
        for n in range(10):
            status = rng.choices(values, weights)[0]
            filed = today - timedelta(days=rng.randint(1, 3 * 365))
            registered = status in (DeviceStatus.REGISTERED, DeviceStatus.DECOMMISSIONED, DeviceStatus.SCRAPPED)
            late = rng.random() < 0.1
            devices.append(
                UltrasoundDevice(
                    facility=facility, county_id=facility.county_id, device_type=rng.choice(DeviceType.values),
                    manufacturer=f"Maker {n % 4}", model=f"US-{n % 7}", serial_number=f"SN-{facility.pk}-{n}",
                    purchase_date=filed - timedelta(days=10), invoice_number=f"INV-{facility.pk}-{n}",
                    seller="Bench Medical Supplies", seller_licence="SL-0001", room=f"Room {n + 1}",
                    responsible_person=f"Operator {n}", status=status, filed_on=filed,
                    filing_due_on=filed - timedelta(days=rng.randint(0, 30) if late else -20),
                    days_late=rng.randint(1, 30) if late else 0, late_explanation="Late" if late else "",
                    registration_number=f"{facility.county.code}-US-{facility.pk:05d}{n:02d}" if registered else None,
                    certificate_token=secrets.token_urlsafe(24) if registered else None,
                    registered_at=now - timedelta(days=rng.randint(1, 900)) if registered else None,
                    pledges_due_on=filed + timedelta(days=365) if status == DeviceStatus.REGISTERED else None,
                    retired_at=now - timedelta(days=rng.randint(1, 90)) if status in out_of_service else None,
                )
            )  # fmt: skip
    UltrasoundDevice.objects.bulk_create(devices, batch_size=2000)
    practitioner_statuses = [
        (PractitionerStatus.ON_FILE, 80), (PractitionerStatus.FILED, 10), (PractitionerStatus.WITHDRAWN, 5),
        (PractitionerStatus.DECEASED, 5),
    ]  # fmt: skip
    values, weights = zip(*practitioner_statuses, strict=True)
    practitioners = []
    for index, facility in enumerate(f for f in facilities for _ in range(3)):
        status = rng.choices(values, weights)[0]
        resident = f"3401021950{index % 10000:04d}{index // 10000:03d}X"
        filed = today - timedelta(days=rng.randint(1, 3 * 365))
        activity = rng.choice(Activity.values)
        practitioners.append(
            RetiredPractitioner(
                name=f"医师 {index}", resident_id=resident, resident_id_digest=identifier_digest(resident),
                resident_id_masked=resident[:6] + "********" + resident[-4:], former_facility=facility,
                former_department="Obstetrics", title="chief", physician_licence_number=f"PL-{index:07d}",
                retirement_date=filed - timedelta(days=30), home_township=townships[facility.county_id],
                county_id=facility.county_id, address=f"{index} Bench Road", contact=f"138{index:08d}",
                activity=activity, employer=facility if activity == Activity.REEMPLOYED else None, status=status,
                filed_on=filed, filing_due_on=filed, pledge_signed_on=filed,
                verified_at=now - timedelta(days=rng.randint(1, 900)) if status == PractitionerStatus.ON_FILE else None,
                follow_up_due_on=today + timedelta(days=rng.randint(-30, 365)),
                closed_at=now if status in (PractitionerStatus.WITHDRAWN, PractitionerStatus.DECEASED) else None,
            )
        )  # fmt: skip
    RetiredPractitioner.objects.bulk_create(practitioners, batch_size=2000)
    return len(devices), len(practitioners)


def main() -> None:
    began = time.perf_counter()
    recreate_database()
    for key, value in ENV.items():
        os.environ[key] = value
    setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection, transaction
    from guardian.models import UserObjectPermission
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.token import Token

    from audit.canonical import GENESIS_HASH
    from audit.models import AuditEvent, Signature
    from audit.services import event_hash, event_payload, event_seal_now
    from core.fields import identifier_digest
    from permissions.models import CountyConfig, Facility, Jurisdiction, Profile, RoleAssignment
    from permissions.roles import ROLE_SPECS, Role
    from permissions.services import role_groups_sync
    from workflows.models import Notification
    from workflows.termination.flows import TerminationFlow as F
    from workflows.termination.models import MEDICAL_PATHWAYS, Pathway, Stage, TerminationCase
    from workflows.termination.rules import TerminationCountyRules, TerminationDesignation

    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter()
    rng = random.Random(SEED)
    counties_n = max(3, round(100 * SCALE))
    facilities_per_county = 20
    cases_n = max(1000, round(250_000 * SCALE))
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=3 * 365)

    with transaction.atomic():
        role_groups_sync()
        groups = {g.name: g for g in Group.objects.all()}
        province = Jurisdiction.objects.create(code="910000", name="Bench Province", level="province")
        cities = Jurisdiction.objects.bulk_create(
            [
                Jurisdiction(code=f"91{c:02d}00", name=f"City {c}", level="city", parent=province)
                for c in range(1, counties_n // 10 + 2)
            ]
        )
        counties = Jurisdiction.objects.bulk_create(
            [
                Jurisdiction(code=f"99{n:04d}", name=f"County {n}", level="county", parent=cities[n // 10])
                for n in range(counties_n)
            ]
        )
        CountyConfig.objects.bulk_create([CountyConfig(county=c) for c in counties])
        TerminationCountyRules.objects.bulk_create([TerminationCountyRules(county=c) for c in counties])
        facilities = Facility.objects.bulk_create(
            [
                Facility(
                    name=f"Hospital {c.code}-{f}",
                    kind="county_hospital" if f == 0 else "mch_hospital",
                    practice_licence_number=f"PL-{c.code}-{f}",
                    mch_licence_number=f"MCH-{c.code}-{f}",
                    county=c,
                )
                for c in counties
                for f in range(facilities_per_county)
            ]
        )
        TerminationDesignation.objects.bulk_create(
            [TerminationDesignation(facility=f, designated=True, max_weeks=28) for f in facilities]
        )
        by_county: dict[int, list[Facility]] = {}
        for facility in facilities:
            by_county.setdefault(facility.county_id, []).append(facility)

        password = make_password(BENCH_PASSWORD)
        User = get_user_model()
        people: list[tuple[str, str, Any, str]] = []  # username, role, scope, rank
        for index, county in enumerate(counties):
            officers = 10 if index == 0 else 2
            for n in range(1, officers + 1):
                people.append(
                    (
                        f"bench_officer{n}" if index == 0 else f"officer_{county.code}_{n}",
                        Role.BUREAU_OFFICER,
                        county,
                        "none",
                    )
                )
            people.append((f"director_{county.code}", Role.BUREAU_DIRECTOR, county, "none"))
            people.append((f"inspector_{county.code}", Role.INSPECTOR, county, "none"))
            for n in range(1, 6):
                people.append((f"expert_{county.code}_{n}", Role.EXPERT, county, "chief"))
        for facility in facilities:
            people.append((f"clerk_{facility.pk}", Role.FACILITY_CLERK, facility, "none"))
            people.append((f"fdirector_{facility.pk}", Role.FACILITY_DIRECTOR, facility, "chief"))
        users = User.objects.bulk_create(
            [User(username=name, password=password, is_active=True) for name, _r, _s, _k in people]
        )
        User.objects.create(username="bench_root", password=password, is_superuser=True, is_staff=True)
        Profile.objects.bulk_create(
            [
                Profile(
                    user=user,
                    printed_name=name.replace("_", " ").title(),
                    facility=scope if isinstance(scope, Facility) else None,
                    jurisdiction=scope if isinstance(scope, Jurisdiction) else scope.county,
                    rank=rank,
                )
                for user, (name, _role, scope, rank) in zip(users, people, strict=True)
            ]
        )
        RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(
                    user=user,
                    role=role,
                    facility=scope if isinstance(scope, Facility) else None,
                    jurisdiction=scope if isinstance(scope, Jurisdiction) else None,
                )
                for user, (_n, role, scope, _k) in zip(users, people, strict=True)
            ]
        )
        through = User.groups.through
        through.objects.bulk_create(
            [
                through(user_id=user.pk, group_id=groups[role].pk)
                for user, (_n, role, _s, _k) in zip(users, people, strict=True)
            ]
        )
        from django.contrib.auth.models import Permission

        perms = {
            f"{p.content_type.app_label}.{p.codename}": p for p in Permission.objects.select_related("content_type")
        }
        facility_ct = ContentType.objects.get_for_model(Facility)
        county_ct = ContentType.objects.get_for_model(Jurisdiction)
        UserObjectPermission.objects.bulk_create(
            [
                UserObjectPermission(
                    user=user,
                    permission=perms[perm],
                    content_type=facility_ct if isinstance(scope, Facility) else county_ct,
                    object_pk=str(scope.pk),
                )
                for user, (_n, role, scope, _k) in zip(users, people, strict=True)
                for perm in ROLE_SPECS[role].object_permissions
            ],
            batch_size=5000,
        )
    staff: dict[tuple[str, int], list[Any]] = {}
    for user, (_n, role, scope, _k) in zip(users, people, strict=True):
        staff.setdefault((role, scope.pk), []).append(user)
    reference = time.perf_counter()

    # --- Cases, tasks, signatures, notifications, audit events --------------------------------------
    stages = [
        (Stage.COMPLETED, 55), (Stage.REJECTED, 5), (Stage.EXPIRED, 4), (Stage.WITHDRAWN, 3),
        (Stage.APPROVED, 6), (Stage.BUREAU_REVIEW, 10), (Stage.FACILITY_REVIEW, 8), (Stage.PANEL, 5),
        (Stage.RETURNED, 4),
    ]  # fmt: skip
    stage_values, stage_weights = zip(*stages, strict=True)
    pathways = list(Pathway.values)
    case_type = "termination.terminationcase"
    perm_of = {
        F.review: ("permissions.direct", facility_ct, "facility"),
        F.give_opinion: ("permissions.sit_on_panel", county_ct, "county"),
        F.decide: ("permissions.act_for_bureau", county_ct, "county"),
        F.amend: ("permissions.work_at", facility_ct, "facility"),
        F.record_procedure: ("permissions.work_at", facility_ct, "facility"),
    }
    process_rows: list[tuple[Any, ...]] = []
    case_rows: list[dict[str, Any]] = []  # by attribute name: the model's field order is not the generator's
    task_rows: list[tuple[Any, ...]] = []
    signature_rows: list[tuple[Any, ...]] = []
    notification_rows: list[tuple[Any, ...]] = []
    events: list[dict[str, Any]] = []
    task_id = 0
    demo = counties[0]
    demo_decisions = 0
    step = (now - start) / cases_n
    for index in range(cases_n):
        pk = index + 1
        county = demo if rng.random() < 0.10 else counties[rng.randrange(counties_n)]
        stage = rng.choices(stage_values, stage_weights)[0]
        if county is demo and demo_decisions < APPROVE_POOL and index >= cases_n - 4 * APPROVE_POOL:
            stage = Stage.BUREAU_REVIEW
        if county is demo and stage == Stage.BUREAU_REVIEW:
            demo_decisions += 1
        facility = rng.choice(by_county[county.pk])
        clerk = staff[(Role.FACILITY_CLERK, facility.pk)][0]
        director = staff[(Role.FACILITY_DIRECTOR, facility.pk)][0]
        officer = rng.choice(staff[(Role.BUREAU_OFFICER, county.pk)])
        experts = staff[(Role.EXPERT, county.pk)]
        pathway = rng.choice(pathways)
        medical = pathway in MEDICAL_PATHWAYS
        created = start + step * index
        open_ = stage in (Stage.BUREAU_REVIEW, Stage.FACILITY_REVIEW, Stage.PANEL, Stage.RETURNED, Stage.APPROVED)
        ended = None if open_ else created + timedelta(days=rng.randint(3, 40))
        resident = f"3401021995{index % 10000:04d}{rng.randrange(1000):03d}X"
        # The decision clock starts at the bureau and stays on the case once decided (as case_decision_open leaves it).
        decided = (Stage.APPROVED, Stage.COMPLETED, Stage.REJECTED, Stage.EXPIRED)
        due = created + timedelta(days=3) if stage == Stage.BUREAU_REVIEW or stage in decided else None
        if due is not None and county is demo:
            due = now + timedelta(hours=rng.randint(-48, 72))
        issued = created + timedelta(days=2) if stage in (Stage.APPROVED, Stage.COMPLETED, Stage.EXPIRED) else None
        process_rows.append((pk, F, "DONE" if ended else "NEW", created, ended, {}))
        case_rows.append(
            {
                "process_ptr_id": pk,
                "facility_id": facility.pk,
                "county_id": county.pk,
                "submitted_by_id": clerk.pk,
                "stage": stage,
                "revision": 1,
                "patient_name": f"患者 {index}",
                "resident_id": resident,
                "resident_id_digest": identifier_digest(resident),
                "resident_id_masked": resident[:6] + "********" + resident[-4:],
                "marital_status": "divorced",
                "gestational_weeks": rng.randint(14, 27),
                "gestational_days": rng.randint(0, 6),
                "lmp_date": (created - timedelta(days=140)).date(),
                "pathway": pathway,
                "emergency": False,
                "emergency_justification": "",
                "flagged_for_inspection": False,
                "last_decision": "approve" if issued else ("reject" if stage == Stage.REJECTED else ""),
                "last_reason": "",
                "panel_dissent": False,
                "panel_revision": 1,
                "decision_due_at": due,
                "escalated_at": None,
                "decision_reminded_at": None,
                "certificate_number": f"{county.code}-{created.year}-{pk:07d}" if issued else None,
                "certificate_token": secrets.token_urlsafe(24) if issued else None,
                "certificate_issued_at": issued,
                "certificate_valid_until": issued + timedelta(days=30) if issued else None,
                "procedure_date": ended.date() if stage == Stage.COMPLETED and ended else None,
                "procedure_method": "medical_induction" if stage == Stage.COMPLETED else "",
                "physician_name": "",
                "physician_licence": "",
                "drugs": [],
                "fetal_sex": "",
                "complications": "",
                "ended_at": ended,
            }
        )
        t = created

        def task(node: Any, status: str, owner: Any = None, when: datetime | None = None) -> None:
            nonlocal task_id, t
            task_id += 1
            t = when or (t + timedelta(hours=rng.randint(1, 20)))
            perm, ct, scope = perm_of.get(node, (None, None, None))
            obj = facility.pk if scope == "facility" else county.pk if scope == "county" else None
            done = status in ("DONE", "CANCELED")
            task_rows.append(
                (
                    task_id,
                    node,
                    node.task_type,
                    status,
                    t,
                    t if owner else None,
                    t if owner else None,
                    t if done else None,
                    Token("start"),
                    owner.pk if owner else None,
                    perm,
                    ct.pk if ct else None,
                    str(obj) if obj else None,
                    pk,
                    {},
                )
            )
            if status == "NEW":
                notification_rows.append((t, "task.available", pk))

        def event(action: str, actor: Any, changes: dict[str, Any] | None = None) -> None:
            events.append(
                {"at": t, "actor": actor, "action": action, "pk": pk, "county": county.pk, "facility": facility.pk,
                 "changes": changes or {}}
            )  # fmt: skip

        def sign(signer: Any, step_name: str, meaning: str) -> None:
            signature_rows.append((signer.pk, signer.username, t, meaning, case_type, str(pk), step_name, "", "0" * 64))
            event(f"signature.{meaning}", signer, {"step": step_name})

        task(F.submit, "DONE", clerk, created)
        event("termination.submit", clerk, {"stage": stage})
        if medical:
            if stage == Stage.PANEL:
                for _ in range(3):
                    task(F.give_opinion, "NEW")
                continue
            for expert in rng.sample(experts, 3):
                task(F.give_opinion, "DONE", expert)
                sign(expert, "give_opinion", "expert_agrees")
        if stage == Stage.FACILITY_REVIEW:
            task(F.review, "NEW")
            continue
        task(F.review, "DONE", director)
        sign(director, "review", "reviewed")
        event("termination.review", director, {"decision": "forward"})
        if stage == Stage.RETURNED:
            task(F.amend, "NEW")
            continue
        if stage == Stage.WITHDRAWN:
            task(F.decide, "CANCELED")
            event("termination.withdraw", clerk)
            continue
        if stage == Stage.BUREAU_REVIEW:
            task(F.decide, "NEW")
            continue
        task(F.decide, "DONE", officer)
        sign(officer, "bureau_decision", "approved" if issued else "rejected")
        event("termination.decide", officer, {"decision": "approve" if issued else "reject"})
        if stage == Stage.REJECTED:
            continue
        event("termination.certificate_issue", None)
        if stage == Stage.APPROVED:
            task(F.record_procedure, "NEW")
        elif stage == Stage.EXPIRED:
            task(F.record_procedure, "CANCELED")
            event("termination.expire", None)
        else:
            task(F.record_procedure, "DONE", clerk)
            sign(clerk, "record_procedure", "recorded")
            event("termination.record_procedure", clerk)
        if rng.random() < 0.3:
            event("record.read", officer)

    generated = time.perf_counter()
    with transaction.atomic():
        copy_rows(Process, ["id", "flow_class", "status", "created", "finished", "data"], process_rows)
        case_fields = [f.attname for f in TerminationCase._meta.local_concrete_fields]
        copy_rows(TerminationCase, case_fields, [tuple(row[name] for name in case_fields) for row in case_rows])
        task_fields = [
            "id", "flow_task", "flow_task_type", "status", "created", "assigned", "started", "finished", "token",
            "owner_id", "owner_permission", "owner_permission_content_type_id", "owner_permission_obj_pk",
            "process_id", "data",
        ]  # fmt: skip
        copy_rows(Task, task_fields, task_rows)
        copy_rows(
            Signature,
            [
                "signer_id",
                "printed_name",
                "signed_at",
                "meaning",
                "object_type",
                "object_id",
                "step",
                "reason",
                "content_hash",
            ],
            signature_rows,
        )
        officers_of = {c.pk: staff[(Role.BUREAU_OFFICER, c.pk)] for c in counties}
        county_of = {row["process_ptr_id"]: row["county_id"] for row in case_rows}
        notes = []
        for when, kind, pk in notification_rows:
            for recipient in officers_of[county_of[pk]]:
                notes.append(
                    (
                        recipient.pk,
                        kind,
                        f"/procedures/termination/{pk}/",
                        case_type,
                        str(pk),
                        when,
                        when if rng.random() < 0.8 else None,
                    )
                )
        copy_rows(
            Notification, ["recipient_id", "kind", "url", "object_type", "object_id", "created_at", "read_at"], notes
        )

        prev = GENESIS_HASH
        audit_rows = []
        for sequence, item in enumerate(events, start=1):
            actor = item["actor"]
            ev = AuditEvent(
                sequence=sequence, occurred_at=item["at"], actor_id=actor.pk if actor else None,
                actor_name=actor.username if actor else "", action=item["action"], object_type=case_type,
                object_id=str(item["pk"]), county_id=item["county"], facility_id=item["facility"],
                changes=item["changes"], reason="", request_id=hashlib.md5(str(sequence).encode()).hexdigest(),  # noqa: S324
                client_address="10.0.0.1", prev_hash=prev,
            )  # fmt: skip
            ev.hash = prev = event_hash(prev_hash=prev, payload=event_payload(ev))
            ev.seal_key, ev.seal = event_seal_now(hash=ev.hash)
            audit_rows.append(ev)
        audit_fields = [f.attname for f in AuditEvent._meta.local_concrete_fields if f.attname != "id"]
        copy_rows(AuditEvent, audit_fields, [tuple(getattr(e, name) for name in audit_fields) for e in audit_rows])
        reset_sequences(Process, Task, Signature, Notification, AuditEvent)
        devices_n, practitioners_n = generate_registries(rng=rng, now=now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    done = time.perf_counter()
    print(
        f"scale {SCALE}: {counties_n} counties, {len(facilities)} facilities, {len(users) + 1} users, "
        f"{cases_n:,} cases, {task_id:,} tasks, {len(signature_rows):,} signatures, {len(notes):,} notifications, "
        f"{len(events):,} audit events ({demo_decisions} open decisions in the demo county), "
        f"{devices_n:,} ultrasound devices, {practitioners_n:,} retired practitioners"
    )
    print(
        f"time: migrate {migrated - began:.1f} s, reference data {reference - migrated:.1f} s, "
        f"rows in memory {generated - reference:.1f} s, COPY + chain {done - generated:.1f} s, "
        f"total {done - began:.1f} s"
    )


if __name__ == "__main__":
    main()
