"""Business rules of the ultrasound device registry. Every change is audited in its own transaction.

Flow views validate input, then call one of these with the task's activation;
the service changes the case and the device, audits, notifies and completes the
task inside the transaction and flow lock that viewflow's task view holds.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Signature
from audit.services import audit_record, printed_name_of
from permissions.models import CountyConfig, Facility
from workflows.cases.notifications import notify_submitter
from workflows.cases.persons import person_filed
from workflows.cases.services import (
    amendment_reason_check,
    case_decide,
    case_decision_reminders_send,
    case_decision_service,
    case_documents_add,
    case_origin_set,
    case_sign,
    case_withdraw,
    certificate_token_new,
    decision_reason_check,
    number_draw,
)

from . import selectors
from .models import (
    AMENDMENT_KINDS,
    ONSITE_CHECK_REQUIRED,
    CaseKind,
    Decision,
    DeviceOperator,
    DeviceStatus,
    DocumentType,
    OnsiteCheck,
    Stage,
    UltrasoundCase,
    UltrasoundDevice,
)
from .notifications import notify_renewal_overdue

PLEDGE_VALIDITY = timedelta(days=365)
# How long before the pledges fall due the facility gets its renewal task.
RENEWAL_LEAD = timedelta(days=30)
DEVICE_FIELDS = (
    "device_type",
    "manufacturer",
    "model",
    "serial_number",
    "purchase_date",
    "invoice_number",
    "seller",
    "seller_licence",
    "room",
    "responsible_person",
)


# --- County configuration: read through these functions only, so that it can move ----------------


def device_filing_deadline_days(*, county_id: int) -> int:
    """Days after purchase within which a county wants a device filed."""
    return int(CountyConfig.objects.get(county_id=county_id).device_filing_deadline_days)


def bureau_decision_deadline_days(*, county_id: int) -> int:
    return int(CountyConfig.objects.get(county_id=county_id).device_decision_deadline_days)


# --- Rules -------------------------------------------------------------------------


def device_identity_normalise(data: dict[str, Any]) -> dict[str, Any]:
    """One spelling per device: collapsed spaces, and the serial in capitals without spaces."""
    data = dict(data)
    for field in ("manufacturer", "model"):
        data[field] = " ".join(str(data[field]).split())
    data["serial_number"] = "".join(str(data["serial_number"]).split()).upper()
    return data


def filing_lateness(*, county_id: int, purchase_date: date, filed_on: date) -> tuple[date, int]:
    """The date the filing was due by, and how many days after it the filing comes (0 when on time)."""
    due = purchase_date + timedelta(days=device_filing_deadline_days(county_id=county_id))
    return due, max((filed_on - due).days, 0)


def filing_rules_check(*, county_id: int, data: dict[str, Any], operators: list[dict[str, Any]]) -> tuple[date, int]:
    """Refuse a filing the rules do not allow, before anything is written. Returns (due date, days late)."""
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if data["purchase_date"] > today:
        errors["purchase_date"] = [_("The purchase date lies in the future.")]
    due, late = filing_lateness(county_id=county_id, purchase_date=data["purchase_date"], filed_on=today)
    if late and not (data.get("late_explanation") or "").strip():
        errors["late_explanation"] = [
            _(
                "This filing is %(days)d days late: the county's deadline was %(due)s. "
                "Explain why it comes late; the filing will be marked late for inspectors."
            )
            % {"days": late, "due": due.isoformat()}
        ]
    operators_check(operators, errors)
    if errors:
        raise ValidationError(errors)
    return due, late


def operators_check(operators: list[dict[str, Any]], errors: dict[str, list[str]]) -> None:
    if not operators:
        errors.setdefault("__all__", []).append(_("Name at least one operator with a signed pledge."))
    licences = [o["licence_number"] for o in operators]
    if len(set(licences)) != len(licences):
        errors.setdefault("__all__", []).append(_("An operator is listed twice (the same licence number)."))


def _scans_add(*, case: UltrasoundCase, scans: list[tuple[str, Any]], user: Any, issuer: str) -> list[Any]:
    """File scans the facility or a supervisor made themselves: no number, issued today by ``issuer``."""
    today = timezone.localdate()
    return case_documents_add(
        case=case,
        documents=[
            {"file": upload, "doc_type": doc_type, "number": "", "issuer": issuer[:200], "issued_on": today}
            for doc_type, upload in scans
        ],
        user=user,
    )


def _operators_add(*, device: UltrasoundDevice, operators: list[dict[str, Any]]) -> None:
    added = DeviceOperator.objects.bulk_create(
        [
            DeviceOperator(
                device=device,
                name=o["name"],
                licence_number=o["licence_number"],
                mch_certificate_number=o["mch_certificate_number"],
                pledge_date=o["pledge_date"],
                resident_id_digest=o.get("resident_id_digest", ""),
                resident_id_masked=o.get("resident_id_masked", ""),
            )
            for o in operators
        ]
    )
    # Other procedures that keep people on file (retired practitioners) hear of each operator, by digest only.
    for operator in added:
        if operator.resident_id_digest:
            person_filed(selectors.operator_person_record(operator))


def _serial_taken() -> ValidationError:
    return ValidationError(
        {
            "serial_number": [
                _(
                    "A device with this manufacturer, model and serial number is already filed or registered. "
                    "A device can hold only one live registration: it must be decommissioned or transferred first."
                )
            ]
        }
    )


def _audit_device(device: UltrasoundDevice) -> dict[str, Any]:
    """What the trail records about a device (no operator names: they are personal data)."""
    return {
        "device": device.pk,
        "facility": device.facility_id,
        "type": device.device_type,
        "manufacturer": device.manufacturer,
        "model": device.model,
        "serial_number": device.serial_number,
        "room": device.room,
        "status": device.status,
    }


# --- Filing ------------------------------------------------------------------------------


@transaction.atomic
def ultrasound_file(
    *,
    activation: Any,
    user: Any,
    facility: Facility,
    data: dict[str, Any],
    operators: list[dict[str, Any]],
    documents: list[tuple[str, Any]],
    request: HttpRequest | None = None,
) -> UltrasoundCase:
    """A clerk files a newly bought device: the device enters the registry as filed, holding its serial."""
    data = device_identity_normalise(data)
    due, late = filing_rules_check(county_id=facility.county_id, data=data, operators=operators)
    if DocumentType.UNDERTAKING not in {doc_type for doc_type, _upload in documents}:
        raise ValidationError({"undertaking": [_("Attach the unit undertaking signed by the facility.")]})
    device = UltrasoundDevice(
        facility=facility,
        county_id=facility.county_id,
        filed_on=timezone.localdate(),
        filing_due_on=due,
        days_late=late,
        late_explanation=(data.get("late_explanation") or "").strip() if late else "",
        flagged_for_inspection=bool(late),
        **{field: data[field] for field in DEVICE_FIELDS},
    )
    try:
        with transaction.atomic():  # a savepoint: the refusal must leave the outer transaction usable
            device.save()
    except IntegrityError:
        raise _serial_taken() from None
    _operators_add(device=device, operators=operators)
    case = UltrasoundCase.of(activation)
    case.kind = CaseKind.REGISTRATION
    case.device = device
    case_origin_set(case, facility=facility, user=user)
    case.stage = Stage.UNDERTAKING
    case.explanation = device.late_explanation
    case.save()
    saved = _scans_add(case=case, scans=documents, user=user, issuer=case.facility.name)
    audit_record(
        actor=user,
        action="ultrasound.file",
        obj=case,
        changes={
            **_audit_device(device),
            "operators": len(operators),
            "filing_due_on": due,
            "days_late": late,
            "documents": [d.pk for d in saved],
        },
        reason=device.late_explanation,
        request=request,
    )
    activation.execute()
    return case


def amendment_rules_check(
    *, device: UltrasoundDevice, kind: str, data: dict[str, Any], operators: list[dict[str, Any]]
) -> dict[str, Any]:
    """What an amendment of ``kind`` asks for, checked against the device. Raises before anything is written."""
    errors: dict[str, list[str]] = {}
    if device.status != DeviceStatus.REGISTERED:
        raise ValidationError(_("Only a registered device can be amended."))
    if kind not in AMENDMENT_KINDS:
        raise ValidationError({"kind": [_("Choose one of the changes offered.")]})
    if not (data.get("explanation") or "").strip():
        errors["explanation"] = [_("Say what changes and why.")]
    proposed: dict[str, Any] = {}
    if kind in {CaseKind.RELOCATION, CaseKind.TRANSFER}:
        for field in ("room", "responsible_person"):
            if not (data.get(field) or "").strip():
                errors[field] = [_("Required for a relocation or a transfer.")]
            proposed[field] = (data.get(field) or "").strip()
        if kind == CaseKind.RELOCATION and proposed.get("room") == device.room:
            errors["room"] = [_("This is the room the device is in already.")]
    if kind == CaseKind.TRANSFER:
        target = data.get("target_facility")
        if target is None:
            errors["target_facility"] = [_("Choose the facility that receives the device.")]
        elif target.pk == device.facility_id:
            errors["target_facility"] = [_("The device is at this facility already.")]
    if kind in {CaseKind.OPERATOR_CHANGE, CaseKind.TRANSFER}:
        operators_check(operators, errors)
        proposed["operators"] = [{**o, "pledge_date": str(o["pledge_date"])} for o in operators]
    if errors:
        raise ValidationError(errors)
    return proposed


@transaction.atomic
def ultrasound_amendment_file(
    *,
    activation: Any,
    user: Any,
    device: UltrasoundDevice,
    kind: str,
    data: dict[str, Any],
    operators: list[dict[str, Any]],
    documents: list[tuple[str, Any]],
    request: HttpRequest | None = None,
) -> UltrasoundCase:
    """The facility asks to relocate, re-staff, transfer, decommission or scrap a registered device."""
    device = UltrasoundDevice.objects.select_for_update().get(pk=device.pk)
    proposed = amendment_rules_check(device=device, kind=kind, data=data, operators=operators)
    target = data.get("target_facility") if kind == CaseKind.TRANSFER else None
    case = UltrasoundCase.of(activation)
    case.kind = kind
    case.device = device
    case.facility_id = device.facility_id
    case.county_id = device.county_id
    case.submitted_by = user
    case.stage = Stage.UNDERTAKING
    case.proposed = proposed
    case.explanation = data["explanation"].strip()
    case.target_facility = target
    case.target_county_id = target.county_id if target is not None else None
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise ValidationError(
            _("Another change to this device is under way: wait for its decision, or withdraw it.")
        ) from None
    saved = _scans_add(case=case, scans=documents, user=user, issuer=case.facility.name)
    audit_record(
        actor=user,
        action="ultrasound.amendment_file",
        obj=case,
        changes={
            "kind": kind,
            "device": device.pk,
            "registration_number": device.registration_number,
            "target_facility": case.target_facility_id,
            "target_county": case.target_county_id,
            "room": proposed.get("room"),
            "operators": len(proposed.get("operators", [])),
            "documents": [d.pk for d in saved],
        },
        reason=case.explanation,
        request=request,
    )
    activation.execute()
    return case


# --- Signing steps ---------------------------------------------------------------------------


def _device_refused(*, case: UltrasoundCase) -> None:
    """A refused first filing frees the serial; a refused amendment leaves the device as it was."""
    if case.kind == CaseKind.REGISTRATION and case.last_decision == Decision.REJECT:
        UltrasoundDevice.objects.filter(pk=case.device_id).update(status=DeviceStatus.REFUSED)


ultrasound_sign_undertaking = case_decision_service(
    allowed={Decision.FORWARD, Decision.RETURN},
    action="ultrasound.sign_undertaking",
    next_stage=Stage.BUREAU_REVIEW,
    meanings={Decision.FORWARD: Signature.Meaning.UNDERTAKING},
    doc="The facility director signs the unit undertaking (or the change) and sends it to the bureau, or returns it.",
)


@transaction.atomic
def ultrasound_review(
    *,
    activation: Any,
    user: Any,
    decision: str,
    supervisor: Any,
    reason: str,
    request: HttpRequest | None = None,
) -> UltrasoundCase:
    """The officer routes the filing: a supervisor checks on site, straight to the decision, or back to the facility.

    Registrations, relocations and transfers are always checked on site (ONSITE_CHECK_REQUIRED).
    """
    case = UltrasoundCase.of(activation)
    if decision == Decision.NO_CHECK and case.kind in ONSITE_CHECK_REQUIRED:
        raise ValidationError({"decision": [_("This kind of filing needs an on-site check.")]})
    if decision == Decision.CHECK and supervisor is None:
        raise ValidationError({"supervisor": [_("Choose the supervisor who checks on site.")]})
    if decision not in {Decision.CHECK, Decision.NO_CHECK, Decision.RETURN}:
        raise ValidationError({"decision": [_("Choose one of the decisions offered.")]})
    decision_reason_check(decision, reason)
    before = case.stage
    case.supervisor = supervisor if decision == Decision.CHECK else None
    case.last_decision, case.last_reason = decision, reason
    next_stages: dict[str, str] = {Decision.CHECK: Stage.ONSITE_CHECK, Decision.RETURN: Stage.RETURNED}
    case.stage = next_stages.get(decision, Stage.BUREAU_DECISION)
    case.save(update_fields=["supervisor", "last_decision", "last_reason", "stage"])
    audit_record(
        actor=user,
        action="ultrasound.review",
        obj=case,
        changes={"decision": decision, "stage": [before, case.stage], "supervisor": case.supervisor_id},
        reason=reason,
        request=request,
    )
    if decision == Decision.RETURN:
        notify_submitter(case=case, kind="process.returned")
    activation.execute()
    return case


@transaction.atomic
def ultrasound_onsite_check(
    *,
    activation: Any,
    user: Any,
    checklist: dict[str, bool],
    findings: str,
    photos: list[Any],
    request: HttpRequest | None = None,
) -> OnsiteCheck:
    """The supervisor records the checklist and signs the findings; they go back to the bureau."""
    case = UltrasoundCase.of(activation)
    failed = [item for item in OnsiteCheck.CHECKLIST if not checklist.get(item)]
    if failed and not findings.strip():
        raise ValidationError({"findings": [_("Describe what you found for every item that is not in order.")]})
    _scans_add(
        case=case, scans=[(DocumentType.PHOTO, photo) for photo in photos], user=user, issuer=printed_name_of(user)
    )
    signature = case_sign(
        activation=activation,
        case=case,
        user=user,
        meaning=Signature.Meaning.INSPECTED,
        reason=findings,
        request=request,
    )
    check = OnsiteCheck.objects.create(
        case=case,
        device=case.device,
        supervisor=user,
        unannounced=case.kind == CaseKind.UNANNOUNCED_CHECK,
        findings=findings,
        signature=signature,
        **{item: bool(checklist.get(item)) for item in OnsiteCheck.CHECKLIST},
    )
    if case.kind == CaseKind.UNANNOUNCED_CHECK:
        case.stage, case.ended_at = Stage.CHECKED, timezone.now()
        if failed:
            UltrasoundDevice.objects.filter(pk=case.device_id).update(flagged_for_inspection=True)
    else:
        case.stage = Stage.BUREAU_DECISION
    case.save(update_fields=["stage", "ended_at"])
    audit_record(
        actor=user,
        action="ultrasound.onsite_check",
        obj=case,
        changes={
            **{item: bool(checklist.get(item)) for item in OnsiteCheck.CHECKLIST},
            "passed": check.passed,
            "photos": len(photos),
            "signature_id": signature.pk,
        },
        reason=findings,
        request=request,
    )
    activation.execute()
    return check


@transaction.atomic
def ultrasound_decide(
    *, activation: Any, user: Any, decision: str, reason: str, request: HttpRequest | None = None
) -> UltrasoundCase:
    """The bureau approves, refuses or returns, and signs. A transfer across counties then waits for the receiver."""
    case = UltrasoundCase.of(activation)
    next_stage = Stage.RECEIVING_BUREAU if case.kind == CaseKind.TRANSFER and case.crosses_counties else Stage.APPROVED
    case = case_decide(
        activation=activation,
        user=user,
        decision=decision,
        reason=reason,
        request=request,
        allowed={Decision.APPROVE, Decision.RETURN, Decision.REJECT},
        action="ultrasound.decide",
        next_stage=next_stage,
    )
    _device_refused(case=case)
    return case


@transaction.atomic
def ultrasound_accept_transfer(
    *, activation: Any, user: Any, decision: str, reason: str, request: HttpRequest | None = None
) -> UltrasoundCase:
    """The receiving county's bureau accepts the device (or refuses it: the device stays where it was)."""
    case = case_decide(
        activation=activation,
        user=user,
        decision=decision,
        reason=reason,
        request=request,
        allowed={Decision.APPROVE, Decision.REJECT},
        action="ultrasound.accept_transfer",
        next_stage=Stage.APPROVED,
    )
    # The handover belongs to both counties' trails.
    audit_record(
        actor=user,
        action="ultrasound.handover",
        obj=case,
        changes={"decision": decision, "from_county": case.county_id, "to_county": case.target_county_id},
        reason=reason,
        request=request,
        scope=(case.target_county_id, case.target_facility_id),
    )
    return case


@transaction.atomic
def ultrasound_amend(
    *,
    activation: Any,
    user: Any,
    data: dict[str, Any],
    operators: list[dict[str, Any]],
    documents: list[tuple[str, Any]],
    request: HttpRequest | None = None,
) -> UltrasoundCase:
    """The clerk answers a return: corrected device data or change, added scans, with an explanation."""
    case = UltrasoundCase.of(activation)
    explanation = amendment_reason_check(data.get("explanation") or "", field="explanation")
    device = UltrasoundDevice.objects.select_for_update().get(pk=case.device_id)
    before = _audit_device(device)
    if case.kind == CaseKind.REGISTRATION:
        data = device_identity_normalise(data)
        errors: dict[str, list[str]] = {}
        operators_check(operators, errors)
        if errors:
            raise ValidationError(errors)
        for field in DEVICE_FIELDS:
            setattr(device, field, data[field])
        try:
            with transaction.atomic():
                device.save()
        except IntegrityError:
            raise _serial_taken() from None
        device.operators.filter(removed_at__isnull=True).update(removed_at=timezone.now())
        _operators_add(device=device, operators=operators)
    else:
        case.proposed = amendment_rules_check(
            device=device,
            kind=case.kind,
            data={**data, "target_facility": case.target_facility},
            operators=operators,
        )
    case.revision += 1
    case.explanation = explanation
    case.stage, case.last_decision, case.last_reason = Stage.UNDERTAKING, "", ""
    case.save()
    saved = _scans_add(case=case, scans=documents, user=user, issuer=case.facility.name)
    audit_record(
        actor=user,
        action="ultrasound.amend",
        obj=case,
        changes={
            "revision": case.revision,
            **{k: [before[k], v] for k, v in _audit_device(device).items() if before[k] != v},
            "documents_added": [d.pk for d in saved],
        },
        reason=explanation,
        request=request,
    )
    activation.execute()
    return case


# --- Applying an approved case to the device ---------------------------------------------


REGISTRATION_KIND = "ultrasound"


def _registration_number(*, device: UltrasoundDevice) -> str:
    """From the county's "ultrasound" sequence: never reused, and kept by the device for good (a transfer too)."""
    return number_draw(kind=REGISTRATION_KIND, county=device.county)


@transaction.atomic
def ultrasound_apply(*, case: UltrasoundCase) -> UltrasoundDevice:
    """Put an approved case into effect. The registration number, once given, stays with the device for good."""
    device = UltrasoundDevice.objects.select_for_update().get(pk=case.device_id)
    now = timezone.now()
    before = _audit_device(device)
    if case.kind == CaseKind.REGISTRATION:
        device.status = DeviceStatus.REGISTERED
        device.registration_number = _registration_number(device=device)
        device.certificate_token = certificate_token_new()
        device.registered_at = now
        device.pledges_due_on = min(o.pledge_date for o in device.active_operators()) + PLEDGE_VALIDITY
    elif case.kind in {CaseKind.RELOCATION, CaseKind.TRANSFER}:
        device.room = case.proposed["room"]
        device.responsible_person = case.proposed["responsible_person"]
    if case.kind == CaseKind.TRANSFER:
        device.facility_id, device.county_id = case.target_facility_id, case.target_county_id
    if case.kind in {CaseKind.OPERATOR_CHANGE, CaseKind.TRANSFER}:
        device.operators.filter(removed_at__isnull=True).update(removed_at=now)
        _operators_add(
            device=device,
            operators=[{**o, "pledge_date": date.fromisoformat(o["pledge_date"])} for o in case.proposed["operators"]],
        )
    if case.kind in {CaseKind.DECOMMISSION, CaseKind.SCRAP}:
        device.status = DeviceStatus.DECOMMISSIONED if case.kind == CaseKind.DECOMMISSION else DeviceStatus.SCRAPPED
        device.retired_at = now
    device.save()
    case.stage, case.ended_at = Stage.APPROVED, now
    case.save(update_fields=["stage", "ended_at"])
    after = _audit_device(device)
    audit_record(
        actor=None,
        action="ultrasound.apply",
        obj=case,
        changes={
            "kind": case.kind,
            "registration_number": device.registration_number,
            **{k: [before[k], v] for k, v in after.items() if before[k] != v},
        },
    )
    notify_submitter(case=case, kind="process.approved")
    return device


# --- Withdrawal ----------------------------------------------------------------------------


@transaction.atomic
def ultrasound_withdraw(
    *, case: UltrasoundCase, user: Any, reason: str, request: HttpRequest | None = None
) -> UltrasoundCase:
    """The facility withdraws a filing the bureau has not sent on yet. A withdrawn first filing frees the serial."""
    case = case_withdraw(case=case, user=user, reason=reason, action="ultrasound.withdraw", request=request)
    if case.kind == CaseKind.REGISTRATION:
        UltrasoundDevice.objects.filter(pk=case.device_id).update(status=DeviceStatus.WITHDRAWN)
    return case


# --- Bureau deadline ---------------------------------------------------------------------


def ultrasound_deadline_reminders_send() -> int:
    """A day before a decision falls due, whoever can take it hears so (a sweep)."""
    from .flows import UltrasoundRegistrationFlow

    return case_decision_reminders_send(model=UltrasoundCase, node=UltrasoundRegistrationFlow.decide)


# --- Yearly pledge renewal ----------------------------------------------------------------


def ultrasound_renewals_open() -> int:
    """Open a renewal case for every registered device whose pledges fall due within RENEWAL_LEAD.

    Run by the timer dispatcher on every sweep. A device gets at most one open renewal: the device row
    is locked while its renewal is opened, so two dispatchers never open two.
    """
    from django.urls import get_resolver

    from .flows import UltrasoundRegistrationFlow

    get_resolver().url_patterns  # noqa: B018 - the new task's notification links to it: load the URLconf first
    horizon = timezone.localdate() + RENEWAL_LEAD
    due = (
        UltrasoundDevice.objects.registered()
        .filter(pledges_due_on__lte=horizon)
        .exclude(cases__kind=CaseKind.PLEDGE_RENEWAL, cases__ended_at__isnull=True)
    )
    opened = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            device = UltrasoundDevice.objects.select_for_update().get(pk=pk)
            if device.cases.filter(kind=CaseKind.PLEDGE_RENEWAL, ended_at__isnull=True).exists():
                continue
            UltrasoundRegistrationFlow.open_renewal.run(device=device)
            opened += 1
    return opened


@transaction.atomic
def ultrasound_renewal_start(*, activation: Any, device: UltrasoundDevice) -> UltrasoundCase:
    case = UltrasoundCase.of(activation)
    case.kind = CaseKind.PLEDGE_RENEWAL
    case.device = device
    case.facility_id, case.county_id = device.facility_id, device.county_id
    case.submitted_by_id = _system_user_id(device)
    case.stage = Stage.PLEDGE_RENEWAL
    case.renewal_due_on = device.pledges_due_on
    case.save()
    audit_record(
        actor=None,
        action="ultrasound.renewal_open",
        obj=case,
        changes={"device": device.pk, "due_on": device.pledges_due_on},
    )
    return case


def _system_user_id(device: UltrasoundDevice) -> int:
    """The renewal is the registry's request, but a case names who filed it: the device's first filer."""
    first = device.cases.order_by("pk").values_list("submitted_by_id", flat=True).first()
    assert first is not None  # a registered device was filed by someone
    return int(first)


@transaction.atomic
def ultrasound_renew_pledges(
    *,
    activation: Any,
    user: Any,
    renewed_on: date,
    documents: list[tuple[str, Any]],
    request: HttpRequest | None = None,
) -> UltrasoundCase:
    """The facility director signs for the operators' renewed pledges (scans attached)."""
    case = UltrasoundCase.of(activation)
    if renewed_on > timezone.localdate():
        raise ValidationError({"renewed_on": [_("The date lies in the future.")]})
    if not documents:
        raise ValidationError({"pledges": [_("Attach the renewed pledges signed by the operators.")]})
    _scans_add(case=case, scans=documents, user=user, issuer=case.facility.name)
    signature = case_sign(activation=activation, case=case, user=user, meaning=Signature.Meaning.UNDERTAKING)
    device = UltrasoundDevice.objects.select_for_update().get(pk=case.device_id)
    device.operators.filter(removed_at__isnull=True).update(pledge_date=renewed_on)
    device.pledges_due_on = renewed_on + PLEDGE_VALIDITY
    device.save(update_fields=["pledges_due_on"])
    case.stage, case.ended_at = Stage.RENEWED, timezone.now()
    case.save(update_fields=["stage", "ended_at"])
    audit_record(
        actor=user,
        action="ultrasound.renew_pledges",
        obj=case,
        changes={"renewed_on": renewed_on, "next_due_on": device.pledges_due_on, "signature_id": signature.pk},
        request=request,
    )
    activation.execute()
    return case


def ultrasound_renewals_escalate() -> int:
    """Escalate every renewal past its due date to the county's bureau director, once per renewal."""
    today = timezone.localdate()
    overdue = UltrasoundCase.objects.filter(
        kind=CaseKind.PLEDGE_RENEWAL, ended_at__isnull=True, escalated_at__isnull=True, renewal_due_on__lt=today
    )
    escalated = 0
    for pk in overdue.values_list("pk", flat=True):
        with transaction.atomic():
            case = UltrasoundCase.objects.select_for_update().filter(pk=pk, escalated_at__isnull=True).first()
            if case is None:
                continue
            case.escalated_at = timezone.now()
            case.save(update_fields=["escalated_at"])
            UltrasoundDevice.objects.filter(pk=case.device_id).update(flagged_for_inspection=True)
            audit_record(
                actor=None,
                action="ultrasound.renewal_escalate",
                obj=case,
                changes={"due_on": case.renewal_due_on, "days_overdue": (today - case.renewal_due_on).days},
            )
            notify_renewal_overdue(case=case)
            escalated += 1
    return escalated


# --- Unannounced checks ---------------------------------------------------------------------


@transaction.atomic
def ultrasound_check_schedule(
    *,
    activation: Any,
    user: Any,
    device: UltrasoundDevice,
    supervisor: Any,
    request: HttpRequest | None = None,
) -> UltrasoundCase:
    """A bureau officer sends a supervisor to check a registered device without notice to the facility."""
    if device.status != DeviceStatus.REGISTERED:
        raise ValidationError({"device": [_("Only a registered device can be checked.")]})
    case = UltrasoundCase.of(activation)
    case.kind = CaseKind.UNANNOUNCED_CHECK
    case.device = device
    case.facility_id, case.county_id = device.facility_id, device.county_id
    case.submitted_by = user
    case.supervisor = supervisor
    case.stage = Stage.ONSITE_CHECK
    case.save()
    audit_record(
        actor=user,
        action="ultrasound.check_schedule",
        obj=case,
        changes={"device": device.pk, "supervisor": supervisor.pk},
        request=request,
    )
    activation.execute()
    return case
