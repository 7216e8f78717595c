"""Who sees which device and case, and the registry's reads and exports.

Scope (the rule the registry registers with permissions.access):
- facility staff see their facility's devices and cases, and a transfer into
  their facility; never an unannounced check before it is done;
- a bureau sees its county's devices and cases, and both bureaus of a transfer
  across counties see the transfer case (the handover);
- inspectors and health supervision officers read their counties'; inspectors
  never act, supervisors act only on the checks given to them (the task decides).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from permissions.access import (
    bureau_county_ids,
    deny,
    inspected_county_ids,
    is_active_user,
    oversight_county_ids,
    staff_facility_ids,
    supervised_county_ids,
)
from permissions.roles import Role
from workflows.cases.persons import PersonRecord

from .models import SERIAL_HOLDING_STATUSES, CaseKind, DeviceOperator, DeviceStatus, UltrasoundCase, UltrasoundDevice

OBJECT_TYPE = "ultrasound.ultrasoundcase"

ACTION_LABELS = {
    "ultrasound.file": gettext_lazy("Device filed"),
    "ultrasound.amendment_file": gettext_lazy("Change to a device filed"),
    "ultrasound.sign_undertaking": gettext_lazy("Unit undertaking signed or returned"),
    "ultrasound.review": gettext_lazy("Filing reviewed by the bureau"),
    "ultrasound.onsite_check": gettext_lazy("On-site check recorded"),
    "ultrasound.decide": gettext_lazy("Bureau decision taken"),
    "ultrasound.accept_transfer": gettext_lazy("Receiving county decided on the transfer"),
    "ultrasound.handover": gettext_lazy("Device handed over between counties"),
    "ultrasound.amend": gettext_lazy("Filing amended"),
    "ultrasound.apply": gettext_lazy("Registry updated"),
    "ultrasound.withdraw": gettext_lazy("Filing withdrawn"),
    "ultrasound.escalate": gettext_lazy("Decision deadline passed: escalated"),
    "ultrasound.renewal_open": gettext_lazy("Pledge renewal due"),
    "ultrasound.renew_pledges": gettext_lazy("Pledges renewed"),
    "ultrasound.renewal_escalate": gettext_lazy("Pledge renewal overdue: escalated"),
    "ultrasound.check_schedule": gettext_lazy("Unannounced check scheduled"),
}


def change_labels() -> dict[str, Any]:
    """Labels for the keys and values of the trail's changes on a case that are not the case's own fields: the
    device's and the on-site check's fields (read from their models), and what a step records besides."""
    from .models import Decision, DeviceType, OnsiteCheck

    fields: dict[str, Any] = {
        f.name: f.verbose_name for model in (UltrasoundDevice, OnsiteCheck) for f in model._meta.concrete_fields
    }
    fields.update(
        {
            "type": UltrasoundDevice._meta.get_field("device_type").verbose_name,
            "device": gettext_lazy("device"),
            "operators": gettext_lazy("operators"),
            "passed": gettext_lazy("check passed"),
            "photos": gettext_lazy("photos"),
            "documents": gettext_lazy("documents"),
            "documents_added": gettext_lazy("documents added"),
            "due_on": gettext_lazy("due on"),
            "next_due_on": gettext_lazy("next renewal due on"),
            "renewed_on": gettext_lazy("renewed on"),
            "days_overdue": gettext_lazy("days overdue"),
            "from_county": gettext_lazy("from county"),
            "to_county": gettext_lazy("to county"),
            "target_county": gettext_lazy("receiving county"),
            "target_facility": gettext_lazy("receiving facility"),
            "decision": gettext_lazy("decision"),
        }
    )
    values = {
        "type": dict(DeviceType.choices),
        "status": dict(DeviceStatus.choices),
        "kind": dict(CaseKind.choices),
        "decision": dict(Decision.choices),
    }
    return {"fields": fields, "values": values}


STEP_LABELS = {
    "sign_undertaking": gettext_lazy("Sign the unit undertaking"),
    "onsite_check": gettext_lazy("Check on site"),
    "bureau_decision": gettext_lazy("Bureau decision"),
    "accept_transfer": gettext_lazy("Accept the transferred device"),
    "renew_pledges": gettext_lazy("Renew the operators' pledges"),
}


def ultrasound_cases_for_user(user: Any, *, write: bool = False) -> QuerySet[UltrasoundCase]:
    """The cases the user may see (or, with write=True, act on)."""
    if not is_active_user(user):
        return UltrasoundCase.objects.none()
    facilities = staff_facility_ids(user)
    counties = bureau_county_ids(user) | supervised_county_ids(user)
    if not write:
        counties |= inspected_county_ids(user)
    facility_scope = (Q(facility_id__in=facilities) | Q(target_facility_id__in=facilities)) & ~Q(
        kind=CaseKind.UNANNOUNCED_CHECK, ended_at__isnull=True
    )
    return UltrasoundCase.objects.filter(facility_scope | Q(county_id__in=counties) | Q(target_county_id__in=counties))


def ultrasound_devices_for_user(user: Any) -> QuerySet[UltrasoundDevice]:
    """Devices the user may see: where they stand now, plus those whose history passed through the user's county."""
    if not is_active_user(user):
        return UltrasoundDevice.objects.none()
    counties = oversight_county_ids(user)
    handled = UltrasoundCase.objects.filter(
        Q(county_id__in=counties) | Q(target_county_id__in=counties), device_id=OuterRef("pk")
    )
    return UltrasoundDevice.objects.filter(
        Q(facility_id__in=staff_facility_ids(user)) | Q(county_id__in=counties) | Exists(handled)
    )


def access_ultrasound_device_for_user(*, user: Any, pk: Any) -> UltrasoundDevice:
    try:
        return ultrasound_devices_for_user(user).select_related("facility", "county").get(pk=pk)
    except (UltrasoundDevice.DoesNotExist, ValueError, TypeError):
        raise deny(user=user, route="ultrasound.device", obj=f"ultrasound.device:{pk}") from None


def ultrasound_case_roles(*, user: Any, case: UltrasoundCase) -> set[str]:
    """The roles through which the user sees this case (the visibility table reads these)."""
    if not is_active_user(user):
        return set()
    roles: set[str] = set()
    counties = {case.county_id, case.target_county_id} - {None}
    facilities = {case.facility_id, case.target_facility_id} - {None}
    for role, facility_id, jurisdiction_id in user.role_assignments.filter(revoked_at__isnull=True).values_list(
        "role", "facility_id", "jurisdiction_id"
    ):
        if (facility_id in facilities and role in {Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR}) or (
            jurisdiction_id in counties and role in {Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR, Role.SUPERVISOR}
        ):
            roles.add(role)
    if counties & inspected_county_ids(user):
        roles.add(Role.INSPECTOR)
    return roles


def device_roles(*, user: Any, device: UltrasoundDevice) -> set[str]:
    """The roles through which the user holds the device now: its facility's staff, its county's bureau."""
    if not is_active_user(user):
        return set()
    roles = set()
    for role, facility_id, jurisdiction_id in user.role_assignments.filter(revoked_at__isnull=True).values_list(
        "role", "facility_id", "jurisdiction_id"
    ):
        if (facility_id == device.facility_id and role in {Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR}) or (
            jurisdiction_id == device.county_id and role in {Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}
        ):
            roles.add(role)
    return roles


def device_url(device: UltrasoundDevice) -> str:
    from .flows import UltrasoundRegistrationFlow

    return str(UltrasoundRegistrationFlow.instance.reverse("device", args=[device.pk]))


def device_by_registration_number(number: str) -> UltrasoundDevice | None:
    """The device that holds registration ``number`` (the public verification page), or None."""
    return UltrasoundDevice.objects.select_related("facility").filter(registration_number=number).first()


# --- The registry ------------------------------------------------------------------


def registry_devices(*, user: Any, county_id: int | None, filters: dict[str, Any]) -> QuerySet[UltrasoundDevice]:
    """The registry's rows for one county (or all the user may see), filtered; operators prefetched."""
    devices = ultrasound_devices_for_user(user)
    if county_id is not None:
        devices = devices.filter(county_id=county_id)
    if filters.get("q"):
        q = filters["q"]
        devices = devices.filter(
            Q(registration_number__icontains=q)
            | Q(serial_number__icontains=q)
            | Q(manufacturer__icontains=q)
            | Q(model__icontains=q)
        )
    if filters.get("status"):
        devices = devices.filter(status=filters["status"])
    if filters.get("device_type"):
        devices = devices.filter(device_type=filters["device_type"])
    if filters.get("facility"):
        devices = devices.filter(facility=filters["facility"])
    if filters.get("late"):
        devices = devices.filter(days_late__gt=0)
    if filters.get("renewal_overdue"):
        devices = devices.filter(status=DeviceStatus.REGISTERED, pledges_due_on__lt=timezone.localdate())
    return (
        devices.select_related("facility", "county")
        .prefetch_related(
            Prefetch("operators", queryset=DeviceOperator.objects.filter(removed_at__isnull=True), to_attr="current")
        )
        .order_by("county__code", "registration_number", "pk")
    )


def device_history(*, device: UltrasoundDevice, user: Any) -> list[UltrasoundCase]:
    """Every case of the device the user may see, oldest first."""
    return list(
        ultrasound_cases_for_user(user)
        .filter(device=device)
        .select_related("facility", "target_facility", "submitted_by__profile")
        .order_by("created")
    )


EXPORT_COLUMNS: list[tuple[str, Any]] = [
    ("registration_number", gettext_lazy("Registration number")),
    ("status", gettext_lazy("Status")),
    ("county", gettext_lazy("County")),
    ("facility", gettext_lazy("Facility")),
    ("device_type", gettext_lazy("Device type")),
    ("manufacturer", gettext_lazy("Manufacturer")),
    ("model", gettext_lazy("Model")),
    ("serial_number", gettext_lazy("Serial number")),
    ("purchase_date", gettext_lazy("Purchase date")),
    ("room", gettext_lazy("Place of use (room)")),
    ("responsible_person", gettext_lazy("Responsible person")),
    ("operators", gettext_lazy("Operators")),
    ("days_late", gettext_lazy("Days filed late")),
    ("pledges_due_on", gettext_lazy("Pledges due")),
]


def registry_rows(devices: Iterable[UltrasoundDevice]) -> list[list[Any]]:
    rows = []
    for device in devices:
        operators = getattr(device, "current", None)
        if operators is None:
            operators = list(device.active_operators())
        rows.append(
            [
                device.registration_number or "",
                device.get_status_display(),
                device.county.name,
                device.facility.name,
                device.get_device_type_display(),
                device.manufacturer,
                device.model,
                device.serial_number,
                device.purchase_date,
                device.room,
                device.responsible_person,
                "; ".join(f"{o.name} ({o.licence_number})" for o in operators),
                device.days_late,
                device.pledges_due_on or "",
            ]
        )
    return rows


def registry_county_ids(user: Any) -> set[int]:
    """Counties whose registry page the user may open."""
    return oversight_county_ids(user)


def registry_counties(*, user: Any) -> QuerySet[Any]:
    from permissions.models import Jurisdiction

    return Jurisdiction.objects.filter(pk__in=registry_county_ids(user)).order_by("code")


def registry_facilities(*, user: Any) -> QuerySet[Any]:
    from permissions.models import Facility

    return Facility.objects.filter(
        Q(pk__in=staff_facility_ids(user)) | Q(county_id__in=registry_county_ids(user))
    ).order_by("name")


def cases_by_registration_number(number: str) -> list[int]:
    """The cases of the device that holds registration ``number`` (the inspectors' search by number)."""
    return list(UltrasoundCase.objects.filter(device__registration_number=number).values_list("pk", flat=True))


# --- Workspace ----------------------------------------------------------------------
# Device and case numbers, facilities and stages only: no operator names. A fixed number of queries.


def workspace_sections(*, user: Any, roles: set[str]) -> list[Any]:
    """The registry's sections: the facility's open filings, the supervisor's checks, the inspectors' flags."""
    from workflows.cases.selectors import case_cell, case_stage_cell
    from workflows.nodes import task_url
    from workflows.workspace import SECTION_LIMIT, Cell, Section

    from .flows import UltrasoundRegistrationFlow

    flow = UltrasoundRegistrationFlow.instance
    sections: list[Section] = []

    def case_rows(cases: Any) -> list[list[Cell]]:
        return [
            [
                case_cell(case),
                Cell(case.get_kind_display()),
                Cell(case.facility.name),
                case_stage_cell(case),
            ]
            for case in cases
        ]

    headers = [_("Case"), _("Kind"), _("Facility"), _("Stage")]
    if roles & {Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR}:
        open_cases = (
            ultrasound_cases_for_user(user)
            .filter(facility_id__in=staff_facility_ids(user), ended_at__isnull=True)
            .select_related("facility")
            .order_by("-created")
        )
        sections.append(
            Section(
                key="ultrasound-open",
                title=_("Your facility's open device filings"),
                headers=headers,
                rows=case_rows(open_cases[:SECTION_LIMIT]),
                total=open_cases.count(),
                see_all_url=flow.reverse("index"),
                empty=_("Your facility has no open device filing."),
                actions=[(_("File a new device"), UltrasoundRegistrationFlow.file.reverse("execute"))],
            )
        )
    if Role.SUPERVISOR in roles:
        from viewflow.workflow.models import Task

        checks = (
            Task.objects.filter(flow_task=UltrasoundRegistrationFlow.onsite_check, owner=user, status="ASSIGNED")
            .select_related("process__ultrasoundcase__facility")
            .order_by("created")
        )
        sections.append(
            Section(
                key="ultrasound-checks",
                title=_("On-site checks given to you"),
                headers=[_("Step"), _("Case"), _("Facility")],
                rows=[
                    [
                        Cell(task.flow_task.task_title, url=task_url(task)),
                        Cell(_("Case #%(pk)s") % {"pk": task.process_id}),
                        Cell(task.process.ultrasoundcase.facility.name),
                    ]
                    for task in checks[:SECTION_LIMIT]
                ],
                total=checks.count(),
                see_all_url=flow.reverse("inbox"),
                empty=_("No check is waiting for you."),
            )
        )
    if Role.INSPECTOR in roles:
        flagged = (
            UltrasoundDevice.objects.filter(county_id__in=inspected_county_ids(user), flagged_for_inspection=True)
            .select_related("facility")
            .order_by("-pk")
        )
        sections.append(
            Section(
                key="ultrasound-flagged",
                title=_("Ultrasound devices flagged for inspection"),
                headers=[_("Device"), _("Facility"), _("Status"), _("Days filed late")],
                rows=[
                    [
                        Cell(
                            device.registration_number or device.serial_number,
                            url=flow.reverse("device", args=[device.pk]),
                        ),
                        Cell(device.facility.name),
                        Cell(device.get_status_display()),
                        Cell(str(device.days_late)),
                    ]
                    for device in flagged[:SECTION_LIMIT]
                ],
                total=flagged.count(),
                see_all_url=flow.reverse("registry"),
                empty=_("No device is flagged for inspection."),
            )
        )
    return sections


# --- People, for the kit's person index (workflows.cases.persons) -------------------------------


def operator_person_record(operator: DeviceOperator) -> PersonRecord:
    device = operator.device
    return PersonRecord(
        procedure="ultrasound",
        kind="operator",
        digest=operator.resident_id_digest,
        county_id=device.county_id,
        facility_id=device.facility_id,
        object_type="ultrasound.ultrasounddevice",
        object_id=device.pk,
    )


def operator_person_records(digests: Iterable[str]) -> list[PersonRecord]:
    """Current operators of filed or registered devices with these resident-ID digests."""
    operators = DeviceOperator.objects.filter(
        resident_id_digest__in=list(digests),
        removed_at__isnull=True,
        device__status__in=SERIAL_HOLDING_STATUSES,
    ).select_related("device")
    return [operator_person_record(operator) for operator in operators]


# --- The county's monthly figures for the bulletins (workflows.cases.statistics) ----------------


def monthly_figures(*, county: Any, start: Any, end: Any) -> list[Any]:
    """Devices filed, registered, transferred and taken out of service in ``[start, end)``."""
    from workflows.cases.statistics import figures_counted

    from .models import Stage

    cases = UltrasoundCase.objects.filter(county=county)
    devices = UltrasoundDevice.objects.filter(county=county)
    transferred = cases.filter(kind=CaseKind.TRANSFER, stage=Stage.APPROVED)
    return figures_counted(
        start,
        end,
        [
            ("filed", gettext_lazy("Devices filed"), cases.filter(kind=CaseKind.REGISTRATION), "created"),
            ("registered", gettext_lazy("Devices registered"), devices, "registered_at"),
            ("transferred", gettext_lazy("Devices transferred"), transferred, "ended_at"),
            ("retired", gettext_lazy("Devices decommissioned or scrapped"), devices, "retired_at"),
        ],
    )
