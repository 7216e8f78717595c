# ruff: noqa: B023, S311 - per-case helpers read the loop's current case on purpose; random picks shape data, not secrets
"""Generate the province-scale data set into a fresh PostgreSQL database (``make bench`` runs it).

    BENCH_SCALE=0.02 .venv/bin/python benchmarks/generate.py      # ~7,000 cases, well under a minute
    .venv/bin/python benchmarks/generate.py                        # 1.0: 100 counties, 2,100 facilities,
                                                                   # ~5,300 users, ~315,000 cases, ~1.5M tasks

The database named by BENCH_DATABASE_URL (default regflow_bench) is dropped, created and migrated.
Reference data (jurisdictions, facilities, people, roles and the guardian permissions roles derive) goes
in with bulk inserts; cases, tasks, signatures, notifications and the audit trail with COPY. Every case
is in a real state of its procedure's flow (open at each human step, or ended each way) with its tasks'
owner permissions as the flow's nodes declare them, encrypted fields encrypted by the model's own field,
and the audit trail is one valid hash chain over every procedure's events, sealed, computed by
audit.services' own functions (verify_audit passes).

Termination (250,000 cases at 1.0, the same rows as before the other procedures were added: they draw from
random streams of their own): a tenth of the cases are in the demo county (county 0), whose ten officers
``bench_officer1..10`` the load driver logs in as; the demo county also holds enough open decisions for the
approve measurements.

The two registries (``generate_registries``): ten ultrasound devices per facility and three retired
practitioners per facility, in every status, with their encrypted fields. Then the other procedures, each by
its own function and CaseWriter, scaled with the counties (about 65,000 cases and 240,000 tasks at 1.0):

- ultrasound (``generate_ultrasound``): each device's registration in the state its status says, changes
  (decommissionings, relocations, transfers to another county), pledge renewals, unannounced checks;
- retired practitioners (``generate_practitioners``): each entry's filing, follow-ups, events, cross-checks;
- monthly birth reports (``generate_births``): every delivering facility's last twelve months, with their
  register entries, checked by a township health centre (one per county) for five hospitals of each county;
- bulletins (``generate_bulletins``): each county's last twelve months and two half-years, their content
  compiled from the generated reports by the bulletins' own service.

Not generated: scanned documents (the case pages list none), expert opinions' text, device operators, the
timers' scheduled tasks and the gateways' and ends' task rows (only the start and human steps have tasks).
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchenv import BENCH_DATABASE, BENCH_PASSWORD, ENV, setup

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
SEED = 20261201
APPROVE_POOL = 400  # open decisions in the demo county, for the approve measurements
TASK_FIELDS = [
    "id", "flow_task", "flow_task_type", "status", "created", "assigned", "started", "finished", "token",
    "owner_id", "owner_permission", "owner_permission_content_type_id", "owner_permission_obj_pk",
    "process_id", "data",
]  # fmt: skip
SIGNATURE_FIELDS = [
    "signer_id", "printed_name", "signed_at", "meaning", "object_type", "object_id", "step", "reason", "content_hash",
]  # fmt: skip


def recreate_database() -> None:
    import psycopg

    url = BENCH_DATABASE
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def copy_rows(model: Any, fields: list[str], rows: Iterable[Sequence[Any]]) -> None:
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


def staff_create(
    people: list[tuple[str, str, Any, str]], *, password: str, groups: dict[str, Any], perms: dict[str, Any]
) -> list[Any]:
    """Create the people (username, role, scope, rank) with their profile, role assignment, role group and the
    guardian object permissions their role derives on its scope (bulk inserts). Returns the users, in order."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import UserObjectPermission

    from permissions.models import Facility, Jurisdiction, Profile, RoleAssignment
    from permissions.roles import ROLE_SPECS

    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=name, password=password, is_active=True) for name, _r, _s, _k in people]
    )
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
    return users


class Ids:
    """The last id drawn of the tables every procedure writes to (viewflow's processes and tasks, signatures,
    birth entries): rows go in with explicit ids, so that a case's tasks, signatures and extra rows can point
    at it before the COPY, and the sequences are reset once at the end."""

    def __init__(self, *, process: int, task: int, signature: int) -> None:
        self.process, self.task, self.signature, self.entry = process, task, signature, 0


class World:
    """What the procedures' cases are generated against: the reference data, who holds which role where, and
    the shared state (ids, the single audit chain's events, the notifications' rows)."""

    def __init__(
        self, *, now: datetime, counties: list[Any], by_county: dict[int, list[Any]],
        staff: dict[tuple[str, int], list[Any]], ids: Ids, events: list[dict[str, Any]], hire: Any,
    ) -> None:  # fmt: skip
        self.now, self.counties, self.by_county, self.staff = now, counties, by_county, staff
        self.ids, self.events, self.hire = ids, events, hire
        self.notifications: list[tuple[Any, ...]] = []

    def one(self, role: str, scope_pk: int, rng: random.Random) -> Any:
        """Someone holding ``role`` on the facility or county ``scope_pk``."""
        return rng.choice(self.staff[(role, scope_pk)])


class CaseWriter:
    """The rows of one procedure: its processes and case rows, its tasks (owner permissions as its flow's nodes
    declare them, ``perm_of``: node -> (permission, content type, the case field naming the object)), signatures,
    the notifications of its new tasks and its audit events (into the world's single list).

    ``case`` starts a case (the current one); ``task``, ``event`` and ``sign`` add to it, each a little later
    than the last (never after now); ``close`` ends it. ``copy`` writes everything with COPY.
    """

    def __init__(self, world: World, flow: Any, perm_of: dict[Any, tuple[str, Any, str]], rng: random.Random) -> None:
        from permissions.roles import ROLE_SPECS

        self.world, self.flow, self.perm_of, self.rng = world, flow, perm_of, rng
        model = flow.process_class
        self.model = model
        self.object_type = f"{model._meta.app_label}.{model._meta.model_name}"
        self.fields = [f.attname for f in model._meta.local_concrete_fields]
        self.defaults = {f.attname: f.get_default() for f in model._meta.local_concrete_fields}
        self.url = flow.instance.reverse("process_detail", args=[0])[: -len("0/")] + "{}/"
        # Who may take a task asking for a permission on an object: the roles deriving it, on that scope.
        self.roles_of = {
            perm: [role for role, spec in ROLE_SPECS.items() if perm in spec.object_permissions]
            for perm, _ct, _field in perm_of.values()
        }
        self.processes: list[list[Any]] = []
        self.cases: list[dict[str, Any]] = []
        self.tasks: list[tuple[Any, ...]] = []
        self.signatures: list[tuple[Any, ...]] = []
        self.row: dict[str, Any] = {}
        self.t = world.now

    # --- The current case ------------------------------------------------------------------------------

    def case(self, *, created: datetime, county: int, facility: int | None, **fields: Any) -> dict[str, Any]:
        self.world.ids.process += 1
        pk = self.world.ids.process
        created = min(created, self.world.now - timedelta(hours=1))
        self.processes.append([pk, self.flow, "NEW", created, None, {}])
        self.row = {**self.defaults, "process_ptr_id": pk, "county_id": county, "facility_id": facility, **fields}
        self.cases.append(self.row)
        self.t = created
        return self.row

    def close(self, stage: str, *, when: datetime | None = None, canceled: bool = False) -> None:
        """End the current case at ``stage``: done, or cancelled (a withdrawal, a closed filing)."""
        ended = min(when or self.t, self.world.now)
        self.row.update(stage=stage, ended_at=ended)
        process = self.processes[-1]
        process[2], process[4] = "CANCELED" if canceled else "DONE", ended

    def later(self, hours: tuple[int, int] = (1, 20)) -> datetime:
        self.t = min(self.t + timedelta(hours=self.rng.randint(*hours)), self.world.now - timedelta(minutes=1))
        return self.t

    def task(self, node: Any, status: str, owner: Any = None) -> None:
        """A task of the current case at ``node``: DONE or CANCELED (finished), ASSIGNED (to ``owner``) or NEW."""
        from viewflow.workflow.token import Token

        self.world.ids.task += 1
        t = self.later()
        perm, ct, field = self.perm_of.get(node, (None, None, ""))
        obj = self.row[field] if field else None
        done = status in ("DONE", "CANCELED")
        self.tasks.append(
            (
                self.world.ids.task, node, node.task_type, status, t, t if owner else None,
                t if owner and status != "ASSIGNED" else None, t if done else None, Token("start"),
                owner.pk if owner else None, perm, ct.pk if ct else None, str(obj) if obj else None,
                self.row["process_ptr_id"], {},
            )
        )  # fmt: skip
        if status == "NEW" and perm:  # the users who could take it hear of it (workflows.nodes.task_announce)
            url = self.url.format(self.row["process_ptr_id"])
            for role in self.roles_of[perm]:
                for user in self.world.staff.get((role, obj or 0), []):
                    read = t if self.rng.random() < 0.5 else None
                    self.world.notifications.append(
                        (user.pk, "task.available", url, self.object_type, str(self.row["process_ptr_id"]), t, read)
                    )

    def event(
        self, action: str, actor: Any, changes: dict[str, Any] | None = None, *, scope: tuple[int, Any] | None = None
    ) -> None:
        """An audit event about the current case, in its scope (or ``scope``: county and facility)."""
        county, facility = scope or (self.row["county_id"], self.row["facility_id"])
        self.world.events.append(
            {"at": self.t, "actor": actor, "action": action, "type": self.object_type, "pk": self.row["process_ptr_id"],
             "county": county, "facility": facility, "changes": changes or {}}
        )  # fmt: skip

    def sign(self, signer: Any, step: str, meaning: str, reason: str = "") -> int:
        """A signature of the current case at ``step``, audited as the signing service audits it; returns its id."""
        self.world.ids.signature += 1
        pk = self.world.ids.signature
        self.signatures.append(
            (pk, signer.pk, signer.username, self.t, meaning, self.object_type, str(self.row["process_ptr_id"]),
             step, reason, "0" * 64)
        )  # fmt: skip
        self.event(f"signature.{meaning}", signer, {"step": step})
        return pk

    # --- Writing -----------------------------------------------------------------------------------------

    def copy(self) -> None:
        from viewflow.workflow.models import Process, Task

        from audit.models import Signature

        copy_rows(Process, ["id", "flow_class", "status", "created", "finished", "data"], self.processes)
        copy_rows(self.model, self.fields, [tuple(row[name] for name in self.fields) for row in self.cases])
        copy_rows(Task, TASK_FIELDS, self.tasks)
        copy_rows(Signature, ["id", *SIGNATURE_FIELDS], self.signatures)


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


def at_nine(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)


def generate_ultrasound(world: World, rng: random.Random) -> CaseWriter:
    """The ultrasound registry's cases: every generated device's registration (in the state the device's status
    says: approved, refused, withdrawn, or open at each step for a filed device), decommissionings and scrappings
    of the devices out of service, changes under way or made to registered devices (a transfer to another county
    waiting for the receiving bureau), yearly pledge renewals (renewed, due, overdue) and unannounced checks."""
    from django.contrib.contenttypes.models import ContentType

    from permissions.models import Facility, Jurisdiction
    from permissions.roles import ACT_FOR_BUREAU, DIRECT_BUREAU, DIRECT_FACILITY, SUPERVISE, WORK_AT_FACILITY, Role
    from workflows.ultrasound.flows import UltrasoundRegistrationFlow as U
    from workflows.ultrasound.models import (
        ONSITE_CHECK_REQUIRED,
        CaseKind,
        DeviceStatus,
        OnsiteCheck,
        Stage,
        UltrasoundDevice,
    )

    facility_ct, county_ct = (
        ContentType.objects.get_for_model(Facility),
        ContentType.objects.get_for_model(Jurisdiction),
    )
    w = CaseWriter(
        world,
        U,
        {
            U.amend: (WORK_AT_FACILITY, facility_ct, "facility_id"),
            U.sign_undertaking: (DIRECT_FACILITY, facility_ct, "facility_id"),
            U.review: (ACT_FOR_BUREAU, county_ct, "county_id"),
            U.onsite_check: (SUPERVISE, county_ct, "county_id"),
            U.decide: (ACT_FOR_BUREAU, county_ct, "county_id"),
            U.escalate: (DIRECT_BUREAU, county_ct, "county_id"),
            U.accept_transfer: (ACT_FOR_BUREAU, county_ct, "target_county_id"),
            U.renew_pledges: (DIRECT_FACILITY, facility_ct, "facility_id"),
        },
        rng,
    )
    now, today = world.now, world.now.date()
    checks: list[tuple[Any, ...]] = []  # OnsiteCheck rows: the signed findings of each check done

    def onsite_check(device: Any, supervisor: Any) -> None:
        w.task(U.onsite_check, "DONE", supervisor)
        passed = rng.random() < 0.9
        signature = w.sign(supervisor, "onsite_check", "inspected", "" if passed else "Register not kept")
        checks.append(
            (w.row["process_ptr_id"], device.pk, supervisor.pk, w.row["kind"] == CaseKind.UNANNOUNCED_CHECK, True,
             passed, True, True, "" if passed else "Register not kept", signature, w.t)
        )  # fmt: skip
        w.event("ultrasound.onsite_check", supervisor, {"passed": passed, "signature_id": signature})

    def filing(device: Any, kind: str, outcome: str, created: datetime, ended: datetime | None = None) -> None:
        """A filing (or a change) of ``device`` from its filing to ``outcome``: a stage it waits in, or its end."""
        county, facility = device.county_id, device.facility_id
        clerk, director = (
            world.one(Role.FACILITY_CLERK, facility, rng),
            world.one(Role.FACILITY_DIRECTOR, facility, rng),
        )
        officer = world.one(Role.BUREAU_OFFICER, county, rng)
        supervisor = world.one(Role.SUPERVISOR, county, rng)
        target = None
        if kind == CaseKind.TRANSFER:  # the transfers generated cross counties: the receiving bureau accepts
            target = rng.choice([f for c in world.counties if c.pk != county for f in world.by_county[c.pk][:1]])
        proposed: dict[str, Any] = {}
        if kind in (CaseKind.RELOCATION, CaseKind.TRANSFER):
            proposed = {"room": "Room 9", "responsible_person": "Operator 9"}
        if kind in (CaseKind.OPERATOR_CHANGE, CaseKind.TRANSFER):
            proposed["operators"] = [
                {"name": "Operator 9", "licence_number": "PL-9", "mch_certificate_number": "MCH-9",
                 "pledge_date": str(created.date())}
            ]  # fmt: skip
        w.case(
            created=created, county=county, facility=facility, submitted_by_id=clerk.pk, kind=kind,
            device_id=device.pk, proposed=proposed, explanation="" if kind == CaseKind.REGISTRATION else "Change",
            target_facility_id=target.pk if target else None, target_county_id=target.county_id if target else None,
            stage=Stage.UNDERTAKING,
        )  # fmt: skip
        if kind == CaseKind.REGISTRATION:
            w.task(U.file, "DONE", clerk)
            w.event("ultrasound.file", clerk, {"device": device.pk, "facility": facility})
        else:
            w.task(U.file_amendment, "DONE", clerk)
            w.event("ultrasound.amendment_file", clerk, {"kind": kind, "device": device.pk})
        withdrawn_at = rng.choice((U.sign_undertaking, U.review))
        for node, stage in ((U.sign_undertaking, Stage.UNDERTAKING), (U.review, Stage.BUREAU_REVIEW)):
            if outcome == stage:
                w.task(node, "NEW")
                w.row["stage"] = stage
                return
            if outcome == Stage.WITHDRAWN and node is withdrawn_at:
                w.task(node, "CANCELED")
                w.event("ultrasound.withdraw", clerk, {"stage": [stage, Stage.WITHDRAWN]})
                w.close(Stage.WITHDRAWN, canceled=True)
                return
            if node is U.sign_undertaking:
                w.task(node, "DONE", director)
                signature = w.sign(director, "sign_undertaking", "undertaking")
                w.event("ultrasound.sign_undertaking", director, {"decision": "forward", "signature_id": signature})
        check = kind in ONSITE_CHECK_REQUIRED
        decision = "return" if outcome == Stage.RETURNED else "check" if check else "no_check"
        w.task(U.review, "DONE", officer)
        w.event("ultrasound.review", officer, {"decision": decision, "supervisor": supervisor.pk if check else None})
        w.row["last_decision"] = decision
        if outcome == Stage.RETURNED:
            w.row.update(stage=Stage.RETURNED, last_reason="Invoice unreadable")
            w.task(U.amend, "NEW")
            return
        if check:
            w.row["supervisor_id"] = supervisor.pk
            if outcome == Stage.ONSITE_CHECK:
                w.row["stage"] = Stage.ONSITE_CHECK
                w.task(U.onsite_check, "ASSIGNED", supervisor)  # the flow assigns it to the chosen supervisor
                return
            onsite_check(device, supervisor)
        # The decision clock (CaseFlowMixin.on_decision_created): three days from the decision task.
        w.row["decision_due_at"] = w.t + timedelta(days=3)
        if outcome == Stage.BUREAU_DECISION:
            w.row.update(stage=Stage.BUREAU_DECISION, decision_due_at=now + timedelta(hours=rng.randint(-24, 72)))
            w.task(U.decide, "NEW")
            return
        if outcome == "escalated":  # the deadline passed: the decision went to the bureau director
            w.row.update(stage=Stage.BUREAU_DECISION, decision_due_at=now - timedelta(days=rng.randint(1, 5)))
            w.task(U.decide, "CANCELED")
            w.row["escalated_at"] = w.row["decision_due_at"]
            w.event("ultrasound.escalate", None, {"decision_due_at": w.row["decision_due_at"]})
            w.task(U.escalate, "NEW")
            return
        approve = outcome != Stage.REFUSED
        w.task(U.decide, "DONE", officer)
        signature = w.sign(officer, "bureau_decision", "approved" if approve else "rejected")
        w.event(
            "ultrasound.decide", officer, {"decision": "approve" if approve else "reject", "signature_id": signature}
        )
        w.row.update(last_decision="approve" if approve else "reject", last_reason="" if approve else "Not compliant")
        if not approve:
            w.close(Stage.REFUSED)
            return
        if outcome == Stage.RECEIVING_BUREAU:
            w.row["stage"] = Stage.RECEIVING_BUREAU
            w.task(U.accept_transfer, "NEW")
            return
        w.t = max(w.t, ended or w.t)
        w.event("ultrasound.apply", None, {"kind": kind, "registration_number": device.registration_number})
        w.close(Stage.APPROVED)

    def start_handle(device: Any, kind: str, created: datetime, stage: str, **fields: Any) -> None:
        clerk = world.one(Role.FACILITY_CLERK, device.facility_id, rng)
        w.case(
            created=created, county=device.county_id, facility=device.facility_id, submitted_by_id=clerk.pk,
            kind=kind, device_id=device.pk, stage=stage, **fields,
        )  # fmt: skip

    open_filing = [
        (Stage.UNDERTAKING, 25), (Stage.BUREAU_REVIEW, 20), (Stage.ONSITE_CHECK, 20), (Stage.BUREAU_DECISION, 20),
        ("escalated", 5), (Stage.RETURNED, 10),
    ]  # fmt: skip
    open_values, open_weights = zip(*open_filing, strict=True)
    devices = UltrasoundDevice.objects.order_by("pk")
    for device in devices.iterator(chunk_size=5000):
        status = device.status
        # --- The registration: its outcome is what the device's status says.
        if status in (DeviceStatus.REGISTERED, DeviceStatus.DECOMMISSIONED, DeviceStatus.SCRAPPED):
            registered = device.registered_at or now  # set on every device registered once
            filing(
                device,
                CaseKind.REGISTRATION,
                Stage.APPROVED,
                registered - timedelta(days=rng.randint(7, 40)),
                registered,
            )
        elif status == DeviceStatus.FILED:
            outcome = rng.choices(open_values, open_weights)[0]
            filing(device, CaseKind.REGISTRATION, outcome, now - timedelta(days=rng.randint(2, 40)))
        else:
            outcome = Stage.REFUSED if status == DeviceStatus.REFUSED else Stage.WITHDRAWN
            filing(device, CaseKind.REGISTRATION, outcome, at_nine(device.filed_on))
        if status in (DeviceStatus.DECOMMISSIONED, DeviceStatus.SCRAPPED):
            kind = CaseKind.DECOMMISSION if status == DeviceStatus.DECOMMISSIONED else CaseKind.SCRAP
            retired = device.retired_at or now  # set on every device out of service
            filing(device, kind, Stage.APPROVED, retired - timedelta(days=rng.randint(5, 20)), retired)
        if status != DeviceStatus.REGISTERED:
            continue
        # --- A registered device: at most one change under way (the database allows one), made changes,
        # its yearly pledge renewal, and now and then an unannounced check.
        roll = rng.random()
        if roll < 0.06:
            kind = rng.choice((CaseKind.RELOCATION, CaseKind.OPERATOR_CHANGE))
            filing(device, kind, Stage.APPROVED, now - timedelta(days=rng.randint(60, 600)))
        elif roll < 0.10:
            kind = rng.choice((CaseKind.RELOCATION, CaseKind.OPERATOR_CHANGE, CaseKind.DECOMMISSION))
            outcome = rng.choice((Stage.UNDERTAKING, Stage.BUREAU_REVIEW, Stage.BUREAU_DECISION, Stage.RETURNED))
            filing(device, kind, outcome, now - timedelta(days=rng.randint(2, 30)))
        elif roll < 0.11:
            filing(device, CaseKind.TRANSFER, Stage.RECEIVING_BUREAU, now - timedelta(days=rng.randint(5, 30)))
        roll = rng.random()
        director = world.one(Role.FACILITY_DIRECTOR, device.facility_id, rng)
        if roll < 0.25:  # last year's renewal, done
            due = today - timedelta(days=rng.randint(30, 300))
            start_handle(device, CaseKind.PLEDGE_RENEWAL, at_nine(due - timedelta(days=30)), Stage.PLEDGE_RENEWAL,
                         renewal_due_on=due)  # fmt: skip
            w.task(U.open_renewal, "DONE")
            w.event("ultrasound.renewal_open", None, {"device": device.pk, "due_on": due})
            w.task(U.renew_pledges, "DONE", director)
            signature = w.sign(director, "renew_pledges", "undertaking")
            w.event("ultrasound.renew_pledges", director, {"renewed_on": w.t.date(), "signature_id": signature})
            w.close(Stage.RENEWED)
        elif roll < 0.33:  # due within the month, or overdue (then escalated once)
            due = today + timedelta(days=rng.randint(-20, 30))
            start_handle(device, CaseKind.PLEDGE_RENEWAL, at_nine(due - timedelta(days=30)), Stage.PLEDGE_RENEWAL,
                         renewal_due_on=due)  # fmt: skip
            w.task(U.open_renewal, "DONE")
            w.event("ultrasound.renewal_open", None, {"device": device.pk, "due_on": due})
            if due < today:
                w.row["escalated_at"] = at_nine(due + timedelta(days=1))
                w.event("ultrasound.renewal_escalate", None, {"due_on": due, "days_overdue": (today - due).days})
            w.task(U.renew_pledges, "NEW")
        if rng.random() < 0.05:
            officer = world.one(Role.BUREAU_OFFICER, device.county_id, rng)
            supervisor = world.one(Role.SUPERVISOR, device.county_id, rng)
            done = rng.random() < 0.7
            w.case(
                created=now - timedelta(days=rng.randint(2, 300) if done else rng.randint(1, 10)),
                county=device.county_id,
                facility=device.facility_id, submitted_by_id=officer.pk, kind=CaseKind.UNANNOUNCED_CHECK,
                device_id=device.pk, supervisor_id=supervisor.pk, stage=Stage.ONSITE_CHECK,
            )  # fmt: skip
            w.task(U.schedule_check, "DONE", officer)
            w.event("ultrasound.check_schedule", officer, {"device": device.pk, "supervisor": supervisor.pk})
            if done:
                onsite_check(device, supervisor)
                w.close(Stage.CHECKED)
            else:
                w.task(U.onsite_check, "ASSIGNED", supervisor)
    w.copy()
    copy_rows(
        OnsiteCheck,
        ["case_id", "device_id", "supervisor_id", "unannounced", *OnsiteCheck.CHECKLIST, "findings", "signature_id",
         "checked_at"],
        checks,
    )  # fmt: skip
    return w


def generate_practitioners(world: World, rng: random.Random) -> CaseWriter:
    """The retired practitioners' cases: every generated entry's filing (in the state the entry's status says: on
    file, withdrawn, or open at each step for a filed entry), yearly follow-ups (done, due, overdue and escalated),
    events (re-employments, deaths that closed the entry, moves waiting for the receiving county) and cross-checks."""
    from django.contrib.contenttypes.models import ContentType

    from permissions.models import Facility, Jurisdiction
    from permissions.roles import ACT_FOR_BUREAU, DIRECT_BUREAU, DIRECT_FACILITY, WORK_AT_FACILITY, Role
    from workflows.retired_practitioners.flows import RetiredPractitionerFlow as R
    from workflows.retired_practitioners.models import CaseKind, PractitionerStatus, RetiredPractitioner, Stage

    facility_ct, county_ct = (
        ContentType.objects.get_for_model(Facility),
        ContentType.objects.get_for_model(Jurisdiction),
    )
    w = CaseWriter(
        world,
        R,
        {
            R.amend: (WORK_AT_FACILITY, facility_ct, "facility_id"),
            R.sign_filing: (DIRECT_FACILITY, facility_ct, "facility_id"),
            R.verify: (ACT_FOR_BUREAU, county_ct, "county_id"),
            R.follow_up: (ACT_FOR_BUREAU, county_ct, "county_id"),
            R.escalate_follow_up: (DIRECT_BUREAU, county_ct, "county_id"),
            R.take_over: (ACT_FOR_BUREAU, county_ct, "target_county_id"),
            R.review_cross_check: (ACT_FOR_BUREAU, county_ct, "county_id"),
        },
        rng,
    )
    now, today = world.now, world.now.date()
    townships = {t.parent_id: t.pk for t in Jurisdiction.objects.filter(level="township")}
    open_filing = [(Stage.SIGNING, 40), (Stage.VERIFICATION, 45), (Stage.RETURNED, 15)]
    open_values, open_weights = zip(*open_filing, strict=True)
    for entry in RetiredPractitioner.objects.order_by("pk").iterator(chunk_size=5000):
        county, facility = entry.county_id, entry.former_facility_id
        clerk, director = (
            world.one(Role.FACILITY_CLERK, facility, rng),
            world.one(Role.FACILITY_DIRECTOR, facility, rng),
        )
        officer = world.one(Role.BUREAU_OFFICER, county, rng)
        status = entry.status
        # --- The filing: its outcome is what the entry's status says.
        on_file = status in (PractitionerStatus.ON_FILE, PractitionerStatus.DECEASED)
        if on_file:
            outcome, created = Stage.ON_FILE, entry.verified_at or now - timedelta(days=rng.randint(200, 900))
            created -= timedelta(days=rng.randint(5, 30))
        elif status == PractitionerStatus.FILED:
            outcome, created = rng.choices(open_values, open_weights)[0], now - timedelta(days=rng.randint(2, 40))
        else:
            outcome, created = Stage.WITHDRAWN, at_nine(entry.filed_on)
        w.case(
            created=created, county=county, facility=facility, submitted_by_id=clerk.pk, kind=CaseKind.FILING,
            practitioner_id=entry.pk, stage=Stage.SIGNING,
        )  # fmt: skip
        w.task(R.file, "DONE", clerk)
        w.event("retired_practitioners.file", clerk, {"practitioner": entry.pk, "county": county})
        withdrawn_at = rng.choice((R.sign_filing, R.verify))
        if outcome == Stage.SIGNING:
            w.task(R.sign_filing, "NEW")
        elif outcome == Stage.WITHDRAWN and withdrawn_at is R.sign_filing:
            w.task(R.sign_filing, "CANCELED")
            w.event("retired_practitioners.withdraw", clerk, {"stage": [Stage.SIGNING, Stage.WITHDRAWN]})
            w.close(Stage.WITHDRAWN, when=entry.closed_at, canceled=True)
        else:
            w.task(R.sign_filing, "DONE", director)
            signature = w.sign(director, "sign_filing", "submitted")
            w.event("retired_practitioners.sign_filing", director, {"decision": "forward", "signature_id": signature})
            w.row["stage"] = Stage.VERIFICATION
            if outcome == Stage.VERIFICATION:
                w.task(R.verify, "NEW")
            elif outcome == Stage.WITHDRAWN:
                w.task(R.verify, "CANCELED")
                w.event("retired_practitioners.withdraw", clerk, {"stage": [Stage.VERIFICATION, Stage.WITHDRAWN]})
                w.close(Stage.WITHDRAWN, when=entry.closed_at, canceled=True)
            else:
                approve = outcome == Stage.ON_FILE
                w.task(R.verify, "DONE", officer)
                signature = w.sign(officer, "verify", "verified" if approve else "returned")
                w.event("retired_practitioners.verify", officer, {"decision": "approve" if approve else "return",
                                                                  "signature_id": signature})  # fmt: skip
                w.row["last_decision"] = "approve" if approve else "return"
                if approve:
                    w.close(Stage.ON_FILE)
                else:
                    w.row.update(stage=Stage.RETURNED, last_reason="Pledge scan missing")
                    w.task(R.amend, "NEW")
        if not on_file:
            continue

        # --- On file: past follow-ups, the one due, events and cross-checks.
        def start(kind: str, created: datetime, stage: str, **fields: Any) -> None:
            w.case(
                created=created, county=county, facility=facility, submitted_by_id=clerk.pk, kind=kind,
                practitioner_id=entry.pk, stage=stage, **fields,
            )  # fmt: skip

        township = {"activity": entry.activity, "employer": entry.employer_id, "township": townships[county]}
        if rng.random() < 0.6:
            due = today - timedelta(days=rng.randint(30, 330))
            start(CaseKind.FOLLOW_UP, at_nine(due - timedelta(days=30)), Stage.FOLLOW_UP, due_on=due)
            w.task(R.open_follow_up, "DONE")
            w.event("retired_practitioners.follow_up_open", None, {"due_on": due})
            w.task(R.follow_up, "DONE", officer)
            w.row["details"] = township
            signature = w.sign(officer, "follow_up", "followed_up")
            w.event("retired_practitioners.follow_up", officer, {"next_due_on": due + timedelta(days=365),
                                                                "signature_id": signature})  # fmt: skip
            w.close(Stage.FOLLOWED_UP)
        next_due = entry.follow_up_due_on
        if status == PractitionerStatus.ON_FILE and next_due is not None and next_due <= today + timedelta(days=30):
            due = next_due
            # Opened by the sweep 30 days ahead; past its day it went to the bureau director.
            start(CaseKind.FOLLOW_UP, at_nine(due - timedelta(days=30)), Stage.FOLLOW_UP, due_on=due)
            w.task(R.open_follow_up, "DONE")
            w.event("retired_practitioners.follow_up_open", None, {"due_on": due})
            if due < today:
                w.task(R.follow_up, "CANCELED")
                w.row["escalated_at"] = at_nine(due + timedelta(days=1))
                w.event("retired_practitioners.follow_up_escalate", None, {"escalated_at": w.row["escalated_at"]})
                w.task(R.escalate_follow_up, "NEW")
            else:
                w.task(R.follow_up, "NEW")
        if status == PractitionerStatus.DECEASED:
            died = entry.closed_at or now  # the death closed the entry
            start(CaseKind.DEATH, died - timedelta(hours=1), Stage.RECORDED, details={"event_date": str(died.date())})
            w.task(R.record_event, "DONE", officer)
            signature = w.sign(officer, "record_event", "event_recorded")
            w.event("retired_practitioners.death", officer, {"signature_id": signature})
            w.close(Stage.RECORDED)
            continue
        roll = rng.random()
        if roll < 0.05:  # re-employed, recorded by the officer
            employer = rng.choice(world.by_county[county])
            start(CaseKind.REEMPLOYMENT, now - timedelta(days=rng.randint(5, 300)), Stage.RECORDED,
                  details={"event_date": str(today), "employer": employer.pk})  # fmt: skip
            w.task(R.record_event, "DONE", officer)
            signature = w.sign(officer, "record_event", "event_recorded")
            w.event("retired_practitioners.reemployment", officer, {"signature_id": signature})
            w.close(Stage.RECORDED)
        elif roll < 0.08 and len(world.counties) > 1:  # a move, waiting for the receiving county to take over
            target = rng.choice([c for c in world.counties if c.pk != county])
            start(CaseKind.MOVE, now - timedelta(days=rng.randint(1, 20)), Stage.HANDOVER, target_county_id=target.pk,
                  details={"event_date": str(today), "township": townships[target.pk]})  # fmt: skip
            w.task(R.record_event, "DONE", officer)
            signature = w.sign(officer, "record_event", "event_recorded")
            w.event("retired_practitioners.move", officer, {"target_county": target.pk, "signature_id": signature})
            changes = {"from_county": county, "to_county": target.pk}
            w.event("retired_practitioners.handover_start", officer, changes)
            w.event("retired_practitioners.handover_start", officer, changes, scope=(target.pk, None))
            w.task(R.take_over, "NEW")
        elif roll < 0.11:  # a cross-check finding: re-employed where the work is not designated
            details = {"finding": "undesignated_employer", "facility": facility}
            done = rng.random() < 0.6
            start(CaseKind.CROSS_CHECK, now - timedelta(days=rng.randint(1, 200)), Stage.CROSS_CHECK, details=details)
            w.task(R.open_cross_check, "DONE")
            w.event("retired_practitioners.cross_check_open", None, details)
            if done:
                w.task(R.review_cross_check, "DONE", officer)
                signature = w.sign(officer, "review_cross_check", "cross_check_reviewed", "Checked with the employer")
                w.event("retired_practitioners.cross_check_review", officer, {"finding": details["finding"],
                                                                             "signature_id": signature})  # fmt: skip
                w.row["explanation"] = "Checked with the employer"
                w.close(Stage.CHECKED)
            else:
                w.task(R.review_cross_check, "NEW")
    w.copy()
    return w


def generate_births(world: World, rng: random.Random) -> tuple[CaseWriter, int]:
    """The monthly birth reports of every delivering facility for the last twelve months, with their register
    entries: older months accepted (a few corrected, a few missing), the last two open at each step or returned.

    Each county gets a township health centre (with a clerk and a director) in its township, which checks the
    reports of the county's first five hospitals, placed in that township. Returns the writer and the entries."""
    from django.contrib.contenttypes.models import ContentType

    from core.fields import identifier_digest
    from permissions.models import Facility, Jurisdiction
    from permissions.roles import ACT_FOR_BUREAU, DIRECT_FACILITY, WORK_AT_FACILITY, Role
    from workflows.births.flows import MonthlyBirthReportFlow as B
    from workflows.births.models import BirthEntry, EntryKind, Outcome, Sex, Stage, month_of, next_month, previous_month

    townships = {t.parent_id: t for t in Jurisdiction.objects.filter(level="township")}
    centres = Facility.objects.bulk_create(
        [
            Facility(
                name=f"Township centre {c.code}", kind=Facility.Kind.TOWNSHIP_CENTRE,
                practice_licence_number=f"PL-{c.code}-TC", mch_licence_number=f"MCH-{c.code}-TC", county=c,
                township=townships[c.pk],
            )
            for c in world.counties
        ]
    )  # fmt: skip
    people = [(f"clerk_{f.pk}", Role.FACILITY_CLERK, f, "none") for f in centres]
    people += [(f"fdirector_{f.pk}", Role.FACILITY_DIRECTOR, f, "chief") for f in centres]
    for user, (_name, role, scope, _rank) in zip(world.hire(people), people, strict=True):
        world.staff.setdefault((role, scope.pk), []).append(user)
    centre_of = {f.county_id: f for f in centres}
    checked: set[int] = set()
    for county in world.counties:
        placed = [f.pk for f in world.by_county[county.pk][:5]]
        Facility.objects.filter(pk__in=placed).update(township=townships[county.pk])
        checked.update(placed)

    facility_ct = ContentType.objects.get_for_model(Facility)
    county_ct = ContentType.objects.get_for_model(Jurisdiction)
    w = CaseWriter(
        world,
        B,
        {
            B.amend: (WORK_AT_FACILITY, facility_ct, "facility_id"),
            B.sign_register: (DIRECT_FACILITY, facility_ct, "facility_id"),
            B.township_check: (DIRECT_FACILITY, facility_ct, "checking_facility_id"),
            B.accept: (ACT_FOR_BUREAU, county_ct, "county_id"),
        },
        rng,
    )
    now = world.now
    months = [previous_month(month_of(now.date()))]
    while len(months) < 12:
        months.append(previous_month(months[-1]))
    recent = [
        (Stage.SIGNING, 30), (Stage.TOWNSHIP_CHECK, 15), (Stage.BUREAU_ACCEPT, 25), (Stage.RETURNED, 10),
        (Stage.ACCEPTED, 20),
    ]  # fmt: skip
    recent_values, recent_weights = zip(*recent, strict=True)
    entry_fields = [
        "id", "facility_id", "county_id", "month", "kind", "occurred_at", "event_date", "sex", "birth_weight_grams",
        "outcome", "gestation_weeks", "cause", "mother_township_id", "mother_digest", "entered_by_id", "entered_at",
        "plurality", "birth_order", "is_late", "late_reason", "amendment_reason",
    ]  # fmt: skip
    entries: list[tuple[Any, ...]] = []

    def counts_of(rows: list[tuple[Any, ...]]) -> dict[str, int]:
        """The counts selectors.entry_counts makes of the rows (what the director's signature binds), in memory."""
        counts: dict[str, int] = {}
        for row in rows:
            key = f"{row[9]}:{row[7]}" if row[4] == EntryKind.BIRTH else row[4]
            counts[key] = counts.get(key, 0) + 1
            if row[4] == EntryKind.BIRTH:
                counts["births"] = counts.get("births", 0) + 1
        return dict(sorted(counts.items()))

    for county in world.counties:
        officer = world.one(Role.BUREAU_OFFICER, county.pk, rng)
        for facility in [*world.by_county[county.pk], centre_of[county.pk]]:
            clerk = world.one(Role.FACILITY_CLERK, facility.pk, rng)
            director = world.one(Role.FACILITY_DIRECTOR, facility.pk, rng)
            centre = centre_of[county.pk] if facility.pk in checked else None
            checker = world.one(Role.FACILITY_DIRECTOR, centre.pk, rng) if centre else None
            for age, month in enumerate(months):
                # --- The month's register: its entries, each entered within a day of the event.
                first = len(entries)
                for _ in range(rng.randint(3, 15)):
                    world.ids.entry += 1
                    n = world.ids.entry
                    occurred = at_nine(month + timedelta(days=rng.randrange(28))) + timedelta(hours=rng.randrange(14))
                    kind = rng.choices(
                        (EntryKind.BIRTH, EntryKind.INFANT_DEATH, EntryKind.LATE_MISCARRIAGE), (96, 2, 2)
                    )[0]
                    birth = kind == EntryKind.BIRTH
                    entries.append(
                        (n, facility.pk, county.pk, month, kind, occurred, occurred.date(),
                         rng.choices((Sex.MALE, Sex.FEMALE), (53, 47))[0], rng.randint(2400, 4200) if birth else None,
                         Outcome.LIVE_BIRTH if birth else "", rng.randint(37, 41) if birth else 30,
                         "" if birth else "Recorded cause", townships[county.pk].pk,
                         identifier_digest(f"bench-mother-{n}"), clerk.pk, occurred + timedelta(hours=2), 1, 1, False,
                         "", "")
                    )  # fmt: skip
                register = entries[first:]
                # --- The month's report: the last two months still moving, the older ones accepted (or missing).
                if age >= 2 and rng.random() < 0.03:
                    continue  # never opened: the bulletins list it as missing
                if age == 0:
                    outcome = rng.choices(recent_values, recent_weights)[0]
                elif age == 1:
                    outcome = rng.choices((Stage.ACCEPTED, Stage.BUREAU_ACCEPT, Stage.RETURNED), (85, 10, 5))[0]
                else:
                    outcome = Stage.ACCEPTED if rng.random() < 0.99 else Stage.RETURNED
                if outcome == Stage.TOWNSHIP_CHECK and centre is None:
                    outcome = Stage.BUREAU_ACCEPT
                opened = at_nine(next_month(month)) + timedelta(hours=rng.randint(0, 48))
                preparer = clerk if rng.random() < 0.8 else director
                w.case(
                    created=opened, county=county.pk, facility=facility.pk, submitted_by_id=preparer.pk, month=month,
                    stage=Stage.SIGNING, checking_facility_id=centre.pk if centre else None,
                )  # fmt: skip
                w.task(B.prepare, "DONE", preparer)
                w.event("births.prepare", preparer, {"facility": facility.pk, "month": str(month)})
                if outcome == Stage.SIGNING:
                    w.task(B.sign_register, "NEW")
                    continue
                # The director signs by the 5th, now and then later (a late report).
                w.later((24, 24 * (4 if rng.random() < 0.9 else 9)))
                w.task(B.sign_register, "DONE", director)
                signature = w.sign(director, "sign_register", "reviewed")
                w.row.update(
                    counts=counts_of(register), signed_entries=[row[0] for row in register], signed_at=w.t,
                    first_signed_at=w.t, last_decision="forward",
                    stage=Stage.TOWNSHIP_CHECK if centre else Stage.BUREAU_ACCEPT,
                )  # fmt: skip
                w.event("births.sign", director, {"decision": "forward", "signature_id": signature})
                if centre:
                    if outcome == Stage.TOWNSHIP_CHECK:
                        w.task(B.township_check, "NEW")
                        continue
                    w.task(B.township_check, "DONE", checker)
                    signature = w.sign(checker, "township_check", "reviewed")
                    w.event("births.township_check", checker, {"decision": "forward", "signature_id": signature})
                    w.row["stage"] = Stage.BUREAU_ACCEPT
                if outcome == Stage.BUREAU_ACCEPT:
                    w.task(B.accept, "NEW")
                    continue
                accept = outcome == Stage.ACCEPTED
                w.task(B.accept, "DONE", officer)
                signature = w.sign(officer, "accept", "approved" if accept else "returned")
                w.event("births.accept", officer, {"decision": "approve" if accept else "return",
                                                   "signature_id": signature})  # fmt: skip
                if not accept:
                    w.row.update(stage=Stage.RETURNED, last_decision="return", last_reason="Counts do not add up")
                    w.task(B.amend, "NEW")
                    continue
                w.row.update(last_decision="approve", accepted_at=w.t)
                w.close(Stage.ACCEPTED)
                if age >= 2 and rng.random() < 0.01:
                    # A correction of the accepted report, opened by the facility and waiting for its director.
                    original = w.row["process_ptr_id"]
                    w.case(
                        created=now - timedelta(days=rng.randint(1, 20)), county=county.pk, facility=facility.pk,
                        submitted_by_id=clerk.pk, month=month, stage=Stage.SIGNING, corrects_id=original,
                        checking_facility_id=centre.pk if centre else None,
                    )  # fmt: skip
                    w.task(B.correct, "DONE", clerk)
                    w.event("births.correct", clerk, {"corrects": original, "month": str(month)})
                    w.task(B.sign_register, "NEW")
    w.copy()
    copy_rows(BirthEntry, entry_fields, entries)
    return w, len(entries)


def generate_bulletins(world: World, rng: random.Random) -> CaseWriter:
    """Every county's bulletins of the last twelve months and two half-years, compiled from the generated reports
    by the service's own ``bulletin_content`` (the birth reports are in the database by now): published, a few
    recompiled or returned by the director on the way, the latest waiting for the officer's review or the
    director's signature."""
    from django.contrib.contenttypes.models import ContentType

    from permissions.models import Jurisdiction
    from permissions.roles import ACT_FOR_BUREAU, DIRECT_BUREAU, Role
    from workflows.bulletins.flows import BulletinFlow as BF
    from workflows.bulletins.models import Bulletin, Kind, Stage
    from workflows.bulletins.services import bulletin_content, half_year_due, month_add, monthly_period_due

    county_ct = ContentType.objects.get_for_model(Jurisdiction)
    w = CaseWriter(
        world,
        BF,
        {BF.review: (ACT_FOR_BUREAU, county_ct, "county_id"), BF.sign: (DIRECT_BUREAU, county_ct, "county_id")},
        rng,
    )
    today = world.now.date()
    start, _end, _due = monthly_period_due(today)
    periods = [(Kind.MONTHLY, month_add(start, -n), month_add(start, 1 - n)) for n in range(12)]
    start, _end, _due = half_year_due(today)
    periods += [(Kind.HALF_YEARLY, month_add(start, -n), month_add(start, 6 - n)) for n in (0, 6)]
    for county in world.counties:
        officer = world.one(Role.BUREAU_OFFICER, county.pk, rng)
        director = world.one(Role.BUREAU_DIRECTOR, county.pk, rng)
        for index, (kind, start, end) in enumerate(periods):
            latest = index in (0, 12)  # the last month's and the last half-year's
            outcome = rng.choice((Stage.REVIEW, Stage.SIGNING)) if latest else Stage.PUBLISHED
            due = end.replace(day=11 if kind == Kind.MONTHLY else 10)
            content = bulletin_content(county=county, start=start, end=end)
            births = sum(int(row[3]) + int(row[4]) for row in content["counts"])
            compiled = at_nine(due)
            w.case(
                created=compiled, county=county.pk, facility=None, kind=kind, period_start=start, period_end=end,
                due_on=due, content=content, content_sha256=Bulletin.digest(content), compiled_at=compiled,
                stage=Stage.REVIEW,
            )  # fmt: skip
            w.task(BF.compile, "DONE")
            w.event("bulletins.compile", None, {"kind": kind, "period": [start, end], "births": births,
                                                "content_sha256": w.row["content_sha256"]})  # fmt: skip
            if rng.random() < 0.1:  # compiled again by the officer (a report accepted late)
                w.task(BF.review, "DONE", officer)
                w.row.update(revision=2, last_decision="recompile")
                w.event("bulletins.amend", officer, {"births": births, "revision": 2})
            if outcome == Stage.REVIEW:
                w.task(BF.review, "NEW")
                continue
            returned = outcome == Stage.PUBLISHED and rng.random() < 0.05
            for round_ in range(2 if returned else 1):
                w.task(BF.review, "DONE", officer)
                w.row.update(stage=Stage.SIGNING, submitted_by_id=officer.pk, last_decision="forward")
                w.event("bulletins.review", officer, {"decision": "forward", "stage": [Stage.REVIEW, Stage.SIGNING]})
                if outcome == Stage.SIGNING:
                    w.task(BF.sign, "NEW")
                    break
                approve = round_ == 1 or not returned
                w.task(BF.sign, "DONE", director)
                signature = w.sign(director, "sign", "approved" if approve else "returned")
                w.event("bulletins.sign", director, {"decision": "approve" if approve else "return",
                                                     "signature_id": signature})  # fmt: skip
                if not approve:
                    w.row.update(stage=Stage.REVIEW, last_decision="return", last_reason="Check the late reports")
            if outcome == Stage.PUBLISHED:
                w.row.update(last_decision="approve", published_at=w.t)
                w.event("bulletins.publish", None, {"stage": [Stage.SIGNING, Stage.PUBLISHED]})
                w.close(Stage.PUBLISHED)
    w.copy()
    return w


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
    from django.urls import get_resolver
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.token import Token

    from audit.canonical import GENESIS_HASH, normalise
    from audit.models import AuditEvent, Signature
    from audit.services import event_hash, event_payload, event_seal_now
    from core.fields import identifier_digest
    from permissions.models import CountyConfig, Facility, Jurisdiction
    from permissions.roles import Role
    from permissions.services import role_groups_sync
    from workflows.births.models import BirthEntry
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
        # Health supervision officers (the ultrasound registry's on-site checks), after everyone else: the
        # users above keep their ids whatever the procedures need.
        for county in counties:
            for n in range(1, 3):
                people.append((f"supervisor_{county.code}_{n}", Role.SUPERVISOR, county, "none"))
        from django.contrib.auth.models import Permission

        perms = {
            f"{p.content_type.app_label}.{p.codename}": p for p in Permission.objects.select_related("content_type")
        }
        users = staff_create(people, password=password, groups=groups, perms=perms)
        User.objects.create(username="bench_root", password=password, is_superuser=True, is_staff=True)
        facility_ct = ContentType.objects.get_for_model(Facility)
        county_ct = ContentType.objects.get_for_model(Jurisdiction)
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
                {"at": t, "actor": actor, "action": action, "type": case_type, "pk": pk, "county": county.pk,
                 "facility": facility.pk, "changes": changes or {}}
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
        copy_rows(Task, TASK_FIELDS, task_rows)
        copy_rows(Signature, SIGNATURE_FIELDS, signature_rows)
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

        devices_n, practitioners_n = generate_registries(rng=rng, now=now)

        # --- The other procedures' cases, tasks, signatures and audit events (each with its own random
        # stream: termination's rows above stay what they were) -----------------------------------------
        get_resolver().url_patterns  # noqa: B018 - the notifications link to the case pages: load the URLconf
        ids = Ids(process=cases_n, task=task_id, signature=len(signature_rows))
        world = World(
            now=now, counties=counties, by_county=by_county, staff=staff, ids=ids, events=events,
            hire=lambda more: staff_create(more, password=password, groups=groups, perms=perms),
        )  # fmt: skip
        ultrasound = generate_ultrasound(world, random.Random(SEED + 1))
        practitioners = generate_practitioners(world, random.Random(SEED + 2))
        births, entries_n = generate_births(world, random.Random(SEED + 3))
        with connection.cursor() as cursor:  # the bulletins' compilation reads the reports just written
            for model in (Process, Task, births.model, BirthEntry, Facility):
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
        bulletins = generate_bulletins(world, random.Random(SEED + 4))
        copy_rows(
            Notification,
            ["recipient_id", "kind", "url", "object_type", "object_id", "created_at", "read_at"],
            world.notifications,
        )
        procedures = [("ultrasound", ultrasound), ("retired practitioners", practitioners), ("births", births),
                      ("bulletins", bulletins)]  # fmt: skip
        others = time.perf_counter()

        # --- The single audit chain of every procedure's events -----------------------------------------
        prev = GENESIS_HASH
        audit_rows = []
        for sequence, item in enumerate(events, start=1):
            actor = item["actor"]
            ev = AuditEvent(
                sequence=sequence, occurred_at=item["at"], actor_id=actor.pk if actor else None,
                actor_name=actor.username if actor else "", action=item["action"], object_type=item["type"],
                object_id=str(item["pk"]), county_id=item["county"], facility_id=item["facility"],
                changes=normalise(item["changes"]), reason="",
                request_id=hashlib.md5(str(sequence).encode()).hexdigest(),  # noqa: S324
                client_address="10.0.0.1", prev_hash=prev,
            )  # fmt: skip
            ev.hash = prev = event_hash(prev_hash=prev, payload=event_payload(ev))
            ev.seal_key, ev.seal = event_seal_now(hash=ev.hash)
            audit_rows.append(ev)
        audit_fields = [f.attname for f in AuditEvent._meta.local_concrete_fields if f.attname != "id"]
        copy_rows(AuditEvent, audit_fields, [tuple(getattr(e, name) for name in audit_fields) for e in audit_rows])
        reset_sequences(Process, Task, Signature, Notification, AuditEvent, BirthEntry)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    done = time.perf_counter()
    signatures_n = len(signature_rows) + sum(len(w.signatures) for _name, w in procedures)
    print(
        f"scale {SCALE}: {counties_n} counties, {Facility.objects.count():,} facilities, "
        f"{get_user_model().objects.count():,} users, {devices_n:,} ultrasound devices, "
        f"{practitioners_n:,} retired practitioners, {entries_n:,} birth register entries"
    )
    print(f"  termination: {cases_n:,} cases, {task_id:,} tasks ({demo_decisions} open decisions in the demo county)")
    for name, writer in procedures:
        print(f"  {name}: {len(writer.cases):,} cases, {len(writer.tasks):,} tasks")
    print(
        f"  all: {ids.process:,} cases, {ids.task:,} tasks, {signatures_n:,} signatures, "
        f"{len(notes) + len(world.notifications):,} notifications, {len(events):,} audit events"
    )
    print(
        f"time: migrate {migrated - began:.1f} s, reference data {reference - migrated:.1f} s, "
        f"termination rows in memory {generated - reference:.1f} s, termination COPY + registries + other "
        f"procedures {others - generated:.1f} s, chain + ANALYZE {done - others:.1f} s, total {done - began:.1f} s"
    )


if __name__ == "__main__":
    main()
