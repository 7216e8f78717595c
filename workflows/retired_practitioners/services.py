"""Business rules of the retired-practitioner registry. Every change is audited in its own transaction.

Flow views validate input, then call one of these with the task's activation;
the service changes the case and the register entry, audits, notifies and
completes the task inside the transaction and flow lock viewflow's view holds.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.models import Signature
from audit.services import audit_record, signature_sign
from core.validators import resident_id_normalise
from permissions.models import CountyConfig, Facility, Jurisdiction
from workflows.cases.notifications import notify_escalation_to_bureau_directors
from workflows.cases.persons import PersonRecord, person_filed, person_records, resident_id_fields
from workflows.cases.services import (
    case_cancel,
    case_decide,
    case_decision_service,
    case_documents_add,
    case_escalate,
    case_sign,
    case_withdraw,
)

from .models import (
    Activity,
    CaseKind,
    Decision,
    DocumentType,
    PractitionerCase,
    PractitionerStatus,
    RetiredPractitioner,
    Stage,
)

CODE = "retired_practitioners"
PERSON_KIND = "retired_practitioner"
# How long before a follow-up falls due the home county's officer gets the task.
FOLLOW_UP_LEAD = timedelta(days=30)
# The signature meanings this procedure adds to the shared ones (registered in apps.py).
EVENT_RECORDED = "event_recorded"
HANDOVER_ACCEPTED = "handover_accepted"
FOLLOWED_UP = "followed_up"
CROSS_CHECK_REVIEWED = "cross_check_reviewed"
# Practitioner fields the facility enters, and the clerk may correct on a return.
ENTRY_FIELDS = (
    "name",
    "former_department",
    "title",
    "physician_licence_number",
    "mch_certificate_number",
    "retirement_date",
    "address",
    "contact",
    "activity",
    "activity_note",
    "pledge_signed_on",
)


# --- County configuration: read through these functions only, so that it can move ----------------


def _county_config(county_id: int) -> Any:
    return CountyConfig.objects.get(county_id=county_id)


def retirement_filing_deadline_days(*, county_id: int) -> int:
    """Days after the retirement date within which the county wants the facility's filing."""
    return int(_county_config(county_id).retirement_filing_deadline_days)


def follow_up_interval_days(*, county_id: int) -> int:
    """Days between two follow-ups of a practitioner on file."""
    return int(_county_config(county_id).follow_up_interval_days)


def case_of(activation: Any) -> PractitionerCase:
    return PractitionerCase.of(activation)


# --- Rules ----------------------------------------------------------------------------------


def filing_lateness(*, county_id: int, retirement_date: date, filed_on: date) -> tuple[date, int]:
    """The date the filing was due by, and how many days after it the filing comes (0 when on time)."""
    due = retirement_date + timedelta(days=retirement_filing_deadline_days(county_id=county_id))
    return due, max((filed_on - due).days, 0)


def is_designated_for_the_work(facility: Facility) -> bool:
    """A facility may employ OB/GYN staff for the controlled work only with an MCH service licence."""
    return bool(facility.mch_licence_number)


def entry_rules_check(*, data: dict[str, Any]) -> dict[str, list[str]]:
    """The rules on what the facility or the bureau enters about a practitioner (shape is the form's)."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if data.get("retirement_date") and data["retirement_date"] > today + timedelta(days=90):
        errors["retirement_date"] = [_("File a retirement at most 90 days ahead.")]
    township = data.get("home_township")
    if township is not None and township.level != Jurisdiction.Level.TOWNSHIP:
        errors["home_township"] = [_("Choose a township.")]
    if data.get("activity") == Activity.REEMPLOYED and "employer" not in data:
        # The facility filing names the employer in words; the bureau links it at the follow-up or event.
        if not (data.get("activity_note") or "").strip():
            errors["activity_note"] = [_("Name the facility that re-employs the practitioner.")]
    elif data.get("activity") == Activity.REEMPLOYED and data.get("employer") is None:
        errors["employer"] = [_("Name the facility that re-employs the practitioner.")]
    if data.get("activity") != Activity.REEMPLOYED and data.get("employer") is not None:
        errors["employer"] = [_("Only a re-employed practitioner has an employer.")]
    return errors


def _already_on_file() -> ValidationError:
    return ValidationError(
        {"resident_id": [_("This person is already on file (or their filing is under way): it cannot be filed twice.")]}
    )


def _audit_entry(entry: RetiredPractitioner) -> dict[str, Any]:
    """What the trail records about an entry: no name, no identifier, no address or telephone."""
    return {
        "practitioner": entry.pk,
        "former_facility": entry.former_facility_id,
        "county": entry.county_id,
        "home_township": entry.home_township_id,
        "title": entry.title,
        "activity": entry.activity,
        "employer": entry.employer_id,
        "status": entry.status,
    }


def _pledge_add(*, case: PractitionerCase, upload: Any, user: Any, signed_on: date, doc_type: str) -> list[Any]:
    return case_documents_add(
        case=case,
        documents=[
            {
                "file": upload,
                "doc_type": doc_type,
                "number": "",
                "issuer": case.practitioner.name[:200],
                "issued_on": signed_on,
                "is_original": True,
            }
        ],
        user=user,
    )


# --- Filing -----------------------------------------------------------------------------


@transaction.atomic
def practitioner_file(
    *,
    activation: Any,
    user: Any,
    facility: Facility,
    data: dict[str, Any],
    pledge: Any,
    request: HttpRequest | None = None,
) -> PractitionerCase:
    """The former facility files a retirement; the home county's bureau will verify it."""
    resident_id = resident_id_normalise(data["resident_id"])
    today = timezone.localdate()
    errors = entry_rules_check(data=data)
    due, late = filing_lateness(county_id=facility.county_id, retirement_date=data["retirement_date"], filed_on=today)
    explanation = (data.get("late_explanation") or "").strip()
    if late and not explanation:
        errors["late_explanation"] = [
            _(
                "This filing is %(days)d days late: the county's deadline was %(due)s. "
                "Explain why it comes late; the filing will be flagged."
            )
            % {"days": late, "due": due.isoformat()}
        ]
    if pledge is None:
        errors["pledge"] = [_("Attach the pledge the practitioner signed.")]
    if errors:
        raise ValidationError(errors)
    township = data["home_township"]
    entry = RetiredPractitioner(
        **resident_id_fields(resident_id),
        former_facility=facility,
        home_township=township,
        county_id=township.parent_id,
        employer=data.get("employer"),
        filed_on=today,
        filing_due_on=due,
        days_late=late,
        late_explanation=explanation if late else "",
        flagged=bool(late),
        **{field: data[field] for field in ENTRY_FIELDS},
    )
    try:
        with transaction.atomic():  # a savepoint: the refusal must leave the outer transaction usable
            entry.save()
    except IntegrityError:
        raise _already_on_file() from None
    case = case_of(activation)
    case.kind = CaseKind.FILING
    case.practitioner = entry
    case.facility = facility
    case.county_id = entry.county_id
    case.submitted_by = user
    case.stage = Stage.SIGNING
    case.explanation = entry.late_explanation
    case.save()
    saved = _pledge_add(
        case=case, upload=pledge, user=user, signed_on=entry.pledge_signed_on, doc_type=DocumentType.PLEDGE
    )
    audit_record(
        actor=user,
        action="retired_practitioners.file",
        obj=case,
        changes={**_audit_entry(entry), "filing_due_on": due, "days_late": late, "documents": [d.pk for d in saved]},
        reason=entry.late_explanation,
        request=request,
    )
    activation.execute()
    practitioner_cross_check(entry=entry)
    for record in practitioner_person_records([entry.resident_id_digest]):
        person_filed(record)  # other procedures that watch for people on our file hear of it
    return case


practitioner_sign_filing = case_decision_service(
    allowed={Decision.FORWARD, Decision.RETURN},
    action="retired_practitioners.sign_filing",
    next_stage=Stage.VERIFICATION,
    meanings={Decision.FORWARD: Signature.Meaning.SUBMITTED},
    doc="The former facility's director signs the filing and sends it to the home county, or returns it.",
)


@transaction.atomic
def practitioner_verify(
    *, activation: Any, user: Any, decision: str, reason: str, request: HttpRequest | None = None
) -> PractitionerCase:
    """The home county's bureau verifies the filing: on file from now, first follow-up one interval ahead."""
    case = case_decide(
        activation=activation,
        user=user,
        decision=decision,
        reason=reason,
        request=request,
        allowed={Decision.APPROVE, Decision.RETURN},
        action="retired_practitioners.verify",
        next_stage=Stage.ON_FILE,
        meanings={Decision.APPROVE: Signature.Meaning.VERIFIED},
    )
    if decision == Decision.APPROVE:
        entry = RetiredPractitioner.objects.select_for_update().get(pk=case.practitioner_id)
        entry.status = PractitionerStatus.ON_FILE
        entry.verified_at = timezone.now()
        entry.follow_up_due_on = timezone.localdate() + timedelta(
            days=follow_up_interval_days(county_id=entry.county_id)
        )
        entry.save(update_fields=["status", "verified_at", "follow_up_due_on"])
        case.ended_at = entry.verified_at
        case.save(update_fields=["ended_at"])
    return case


@transaction.atomic
def practitioner_amend(
    *,
    activation: Any,
    user: Any,
    data: dict[str, Any],
    pledge: Any,
    request: HttpRequest | None = None,
) -> PractitionerCase:
    """The clerk answers a return: corrected facts, perhaps a new pledge scan, with an explanation."""
    case = case_of(activation)
    explanation = (data.get("explanation") or "").strip()
    errors = entry_rules_check(data=data)
    if not explanation:
        errors["explanation"] = [_("Say what you changed and why.")]
    if errors:
        raise ValidationError(errors)
    entry = RetiredPractitioner.objects.select_for_update().get(pk=case.practitioner_id)
    before = _audit_entry(entry)
    for field in ENTRY_FIELDS:
        setattr(entry, field, data[field])
    township = data["home_township"]
    entry.home_township, entry.county_id = township, township.parent_id
    entry.employer = data.get("employer")
    entry.save()
    case.revision += 1
    case.county_id = entry.county_id  # a corrected home township sends the filing to that county
    case.explanation = explanation
    case.stage, case.last_decision, case.last_reason = Stage.SIGNING, "", ""
    case.save()
    saved = (
        _pledge_add(case=case, upload=pledge, user=user, signed_on=entry.pledge_signed_on, doc_type=DocumentType.PLEDGE)
        if pledge is not None
        else []
    )
    after = _audit_entry(entry)
    audit_record(
        actor=user,
        action="retired_practitioners.amend",
        obj=case,
        changes={
            "revision": case.revision,
            **{k: [before[k], v] for k, v in after.items() if before[k] != v},
            "documents_added": [d.pk for d in saved],
        },
        reason=explanation,
        request=request,
    )
    activation.execute()
    practitioner_cross_check(entry=entry)
    return case


@transaction.atomic
def practitioner_withdraw(
    *, case: PractitionerCase, user: Any, reason: str, request: HttpRequest | None = None
) -> PractitionerCase:
    """The facility withdraws a filing not yet verified: the person may be filed again."""
    case = case_withdraw(case=case, user=user, reason=reason, action="retired_practitioners.withdraw", request=request)
    if case.kind == CaseKind.FILING:
        RetiredPractitioner.objects.filter(pk=case.practitioner_id).update(
            status=PractitionerStatus.WITHDRAWN, closed_at=case.ended_at
        )
    return case


# --- Yearly follow-up ---------------------------------------------------------------------


def _first_filer_id(entry: RetiredPractitioner) -> int:
    """A follow-up is the registry's own request, but a case names who filed it: the entry's filer."""
    first = entry.cases.order_by("pk").values_list("submitted_by_id", flat=True).first()
    assert first is not None  # an entry on file was filed by someone
    return int(first)


def practitioner_follow_ups_open() -> int:
    """Open a follow-up for every practitioner on file whose follow-up falls due within FOLLOW_UP_LEAD.

    A sweep (workflows.sweeps), safe from two dispatchers at once: the entry row is locked while its
    follow-up is opened, and the database allows one open follow-up per practitioner.
    """
    from .flows import RetiredPractitionerFlow

    horizon = timezone.localdate() + FOLLOW_UP_LEAD
    due = (
        RetiredPractitioner.objects.on_file()
        .filter(follow_up_due_on__lte=horizon)
        .exclude(cases__kind=CaseKind.FOLLOW_UP, cases__ended_at__isnull=True)
    )
    opened = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            entry = RetiredPractitioner.objects.select_for_update().get(pk=pk)
            if (
                entry.status != PractitionerStatus.ON_FILE
                or entry.cases.filter(kind=CaseKind.FOLLOW_UP, ended_at__isnull=True).exists()
            ):
                continue
            RetiredPractitionerFlow.open_follow_up.run(entry=entry)
            opened += 1
    return opened


@transaction.atomic
def practitioner_follow_up_start(*, activation: Any, entry: RetiredPractitioner) -> PractitionerCase:
    case = case_of(activation)
    case.kind = CaseKind.FOLLOW_UP
    case.practitioner = entry
    case.facility_id, case.county_id = entry.former_facility_id, entry.county_id
    case.submitted_by_id = _first_filer_id(entry)
    case.stage = Stage.FOLLOW_UP
    case.due_on = entry.follow_up_due_on
    case.save()
    audit_record(actor=None, action="retired_practitioners.follow_up_open", obj=case, changes={"due_on": case.due_on})
    return case


def follow_up_deadline(case: PractitionerCase) -> datetime:
    """The end of the follow-up's due day, in the server's time zone."""
    assert case.due_on is not None
    return timezone.make_aware(datetime.combine(case.due_on + timedelta(days=1), time.min))


@transaction.atomic
def practitioner_follow_up(
    *,
    activation: Any,
    user: Any,
    data: dict[str, Any],
    pledge: Any,
    request: HttpRequest | None = None,
) -> PractitionerCase:
    """The home county's officer (or, once overdue, its director) confirms activity and address, with the
    renewed pledge, and signs. The next follow-up falls one interval later."""
    case = case_of(activation)
    errors = entry_rules_check(data=data)
    township = data["home_township"]
    if township.parent_id != case.county_id:
        errors["home_township"] = [
            _("This township is in another county: record the move as an event, which hands the filing over.")
        ]
    if data["pledge_signed_on"] > timezone.localdate():
        errors["pledge_signed_on"] = [_("This date lies in the future.")]
    if pledge is None:
        errors["pledge"] = [_("Attach the renewed pledge.")]
    if errors:
        raise ValidationError(errors)
    entry = RetiredPractitioner.objects.select_for_update().get(pk=case.practitioner_id)
    before = _audit_entry(entry)
    for field in ("activity", "activity_note", "address", "contact", "pledge_signed_on"):
        setattr(entry, field, data[field])
    entry.home_township, entry.employer = township, data.get("employer")
    entry.follow_up_due_on = timezone.localdate() + timedelta(days=follow_up_interval_days(county_id=entry.county_id))
    entry.save()
    case.details = {"activity": entry.activity, "employer": entry.employer_id, "township": township.pk}
    case.save(update_fields=["details"])
    _pledge_add(
        case=case, upload=pledge, user=user, signed_on=entry.pledge_signed_on, doc_type=DocumentType.RENEWED_PLEDGE
    )
    signature = case_sign(activation=activation, case=case, user=user, meaning=FOLLOWED_UP, request=request)
    case.stage, case.ended_at = Stage.FOLLOWED_UP, timezone.now()
    case.save(update_fields=["stage", "ended_at"])
    after = _audit_entry(entry)
    audit_record(
        actor=user,
        action="retired_practitioners.follow_up",
        obj=case,
        changes={
            **{k: [before[k], v] for k, v in after.items() if before[k] != v},
            "next_due_on": entry.follow_up_due_on,
            "signature_id": signature.pk,
        },
        request=request,
    )
    activation.execute()
    practitioner_cross_check(entry=entry)
    return case


def practitioner_follow_up_escalate(*, case: PractitionerCase) -> PractitionerCase:
    """The follow-up is overdue: the task went to the bureau director, who hears of it."""
    RetiredPractitioner.objects.filter(pk=case.practitioner_id).update(flagged=True)
    return case_escalate(
        case=case, action="retired_practitioners.follow_up_escalate", notify=notify_escalation_to_bureau_directors
    )


# --- Events -----------------------------------------------------------------------------------


@transaction.atomic
def practitioner_event_record(
    *,
    activation: Any,
    user: Any,
    entry: RetiredPractitioner,
    kind: str,
    data: dict[str, Any],
    document: Any = None,
    request: HttpRequest | None = None,
) -> PractitionerCase:
    """The home county's officer records a re-employment, a move or a death, and signs it.

    A re-employment takes effect at once (and is cross-checked); a death closes the entry; a move waits for the
    receiving county's bureau to take the filing over (practitioner_take_over).
    """
    entry = RetiredPractitioner.objects.select_for_update().get(pk=entry.pk)
    errors: dict[str, list[str]] = {}
    if entry.status != PractitionerStatus.ON_FILE:
        raise ValidationError(_("Events are recorded only for a practitioner on file."))
    if kind == CaseKind.REEMPLOYMENT and data.get("employer") is None:
        errors["employer"] = [_("Name the facility that re-employs the practitioner.")]
    township = data.get("home_township")
    if kind == CaseKind.MOVE:
        if township is None or township.level != Jurisdiction.Level.TOWNSHIP:
            errors["home_township"] = [_("Choose the township the practitioner moves to.")]
        elif township.parent_id == entry.county_id:
            errors["home_township"] = [_("This township is in the same county: correct the address at the follow-up.")]
        elif entry.cases.filter(kind=CaseKind.MOVE, ended_at__isnull=True).exists():
            errors["home_township"] = [_("A move of this practitioner is already waiting for the receiving county.")]
    event_date = data.get("event_date")
    if event_date is None or event_date > timezone.localdate():
        errors["event_date"] = [_("Give the date of the event (not in the future).")]
    if errors:
        raise ValidationError(errors)
    assert event_date is not None and (township is not None or kind != CaseKind.MOVE)  # checked above
    case = case_of(activation)
    case.kind = kind
    case.practitioner = entry
    case.facility_id, case.county_id = entry.former_facility_id, entry.county_id
    case.submitted_by = user
    case.explanation = (data.get("explanation") or "").strip()
    case.details = {"event_date": event_date.isoformat()}
    now = timezone.now()
    if kind == CaseKind.MOVE and township is not None:
        case.target_county_id = township.parent_id
        case.details.update({"township": township.pk})
        case.stage = Stage.HANDOVER
    else:
        case.stage, case.ended_at = Stage.RECORDED, now
    if kind == CaseKind.REEMPLOYMENT:
        case.details["employer"] = data["employer"].pk
    case.save()
    if document is not None:
        case_documents_add(
            case=case,
            documents=[
                {"file": document, "doc_type": DocumentType.OTHER, "number": "", "issuer": "", "issued_on": event_date}
            ],
            user=user,
        )
    before = _audit_entry(entry)
    if kind == CaseKind.REEMPLOYMENT:
        entry.activity, entry.employer = Activity.REEMPLOYED, data["employer"]
        entry.save(update_fields=["activity", "employer"])
    elif kind == CaseKind.DEATH:
        entry.status, entry.closed_at, entry.follow_up_due_on = PractitionerStatus.DECEASED, now, None
        entry.save(update_fields=["status", "closed_at", "follow_up_due_on"])
        _open_cases_close(entry=entry, event=case, user=user, request=request)
    signature = signature_sign(
        signer=user,
        meaning=EVENT_RECORDED,
        obj=case,
        content=case.signature_content(),
        step="record_event",
        reason=case.explanation,
        request=request,
    )
    after = _audit_entry(entry)
    audit_record(
        actor=user,
        action=f"retired_practitioners.{kind}",
        obj=case,
        changes={
            "event_date": event_date,
            "target_county": case.target_county_id,
            **{k: [before[k], v] for k, v in after.items() if before[k] != v},
            "signature_id": signature.pk,
        },
        reason=case.explanation,
        request=request,
    )
    if kind == CaseKind.MOVE:
        _handover_record(case=case, user=user, action="retired_practitioners.handover_start", request=request)
    activation.execute()
    if kind == CaseKind.REEMPLOYMENT:
        practitioner_cross_check(entry=entry)
    return case


def _open_cases_close(*, entry: RetiredPractitioner, event: PractitionerCase, user: Any, request: Any) -> None:
    """A closed filing has nothing left to do: its open follow-up, cross-checks and move end with it."""
    from .flows import RetiredPractitionerFlow

    for pk in entry.cases.filter(ended_at__isnull=True).exclude(pk=event.pk).values_list("pk", flat=True):
        with RetiredPractitionerFlow.lock(pk):
            other = PractitionerCase.objects.select_for_update().get(pk=pk)
            before = other.stage
            case_cancel(case=other, stage=Stage.CLOSED)
            audit_record(
                actor=user,
                action="retired_practitioners.close",
                obj=other,
                changes={"stage": [before, other.stage], "event_case": event.pk},
                request=request,
            )


def _handover_record(*, case: PractitionerCase, user: Any, action: str, request: HttpRequest | None) -> None:
    """A handover belongs to both counties' trails: one event in each county's scope."""
    changes = {"from_county": case.county_id, "to_county": case.target_county_id}
    audit_record(actor=user, action=action, obj=case, changes=changes, request=request)
    audit_record(
        actor=user,
        action=action,
        obj=case,
        changes=changes,
        request=request,
        scope=(case.target_county_id, None),
    )


@transaction.atomic
def practitioner_take_over(
    *, activation: Any, user: Any, address: str, request: HttpRequest | None = None
) -> PractitionerCase:
    """The receiving county's bureau takes the filing over: the entry, its follow-ups and events are theirs."""
    case = case_of(activation)
    if not (address or "").strip():
        raise ValidationError({"address": [_("Confirm the practitioner's address in your county.")]})
    entry = RetiredPractitioner.objects.select_for_update().get(pk=case.practitioner_id)
    signature = case_sign(activation=activation, case=case, user=user, meaning=HANDOVER_ACCEPTED, request=request)
    entry.home_township_id = case.details["township"]
    entry.county_id = case.target_county_id
    entry.address = address.strip()
    entry.save(update_fields=["home_township", "county", "address"])
    # An open follow-up of the former county is the new county's now: the case, and who may take its task.
    follow_ups = entry.cases.filter(kind=CaseKind.FOLLOW_UP, ended_at__isnull=True)
    Task.objects.filter(process__in=follow_ups.values("pk"), status=STATUS.NEW).update(
        owner_permission_obj_pk=str(entry.county_id)
    )
    follow_ups.update(county_id=entry.county_id)
    case.stage, case.ended_at = Stage.HANDED_OVER, timezone.now()
    case.save(update_fields=["stage", "ended_at"])
    _handover_record(case=case, user=user, action="retired_practitioners.handover", request=request)
    audit_record(
        actor=user,
        action="retired_practitioners.take_over",
        obj=case,
        changes={"to_county": case.target_county_id, "signature_id": signature.pk},
        request=request,
        scope=(case.target_county_id, None),
    )
    activation.execute()
    return case


# --- Cross-checks (workflows.cases.persons) -----------------------------------------------------


def practitioner_person_records(digests: Any) -> list[PersonRecord]:
    """The person index's lookup: live entries with these digests."""
    return [
        PersonRecord(
            procedure=CODE,
            kind=PERSON_KIND,
            digest=entry.resident_id_digest,
            county_id=entry.county_id,
            facility_id=entry.employer_id,
            object_type="retired_practitioners.retiredpractitioner",
            object_id=entry.pk,
        )
        for entry in RetiredPractitioner.objects.live().filter(resident_id_digest__in=list(digests))
    ]


def practitioner_person_filed(record: PersonRecord) -> None:
    """Another procedure filed someone: if that person is on our file, the home county's officer hears of it."""
    for entry in RetiredPractitioner.objects.live().filter(resident_id_digest=record.digest):
        _cross_check_open(
            entry=entry,
            finding="operator" if record.kind == "operator" else "named_elsewhere",
            details={"procedure": record.procedure, "object_type": record.object_type, "object_id": record.object_id,
                     "facility": record.facility_id},
        )  # fmt: skip


def practitioner_cross_check(*, entry: RetiredPractitioner) -> int:
    """Check a filed or changed entry against the other procedures, and against the rule on employers."""
    opened = 0
    for record in person_records([entry.resident_id_digest], exclude=CODE):
        opened += _cross_check_open(
            entry=entry,
            finding="operator" if record.kind == "operator" else "named_elsewhere",
            details={"procedure": record.procedure, "object_type": record.object_type, "object_id": record.object_id,
                     "facility": record.facility_id},
        )  # fmt: skip
    employer = entry.employer
    if entry.activity == Activity.REEMPLOYED and employer is not None and not is_designated_for_the_work(employer):
        opened += _cross_check_open(entry=entry, finding="undesignated_employer", details={"facility": employer.pk})
    return opened


def _cross_check_open(*, entry: RetiredPractitioner, finding: str, details: dict[str, Any]) -> int:
    """Open one flagged cross-check case for the finding, unless the same one is already open."""
    from .flows import RetiredPractitionerFlow

    details = {"finding": finding, **details}
    open_same = entry.cases.filter(kind=CaseKind.CROSS_CHECK, ended_at__isnull=True, details=details)
    if open_same.exists():
        return 0
    RetiredPractitioner.objects.filter(pk=entry.pk).update(flagged=True)
    RetiredPractitionerFlow.open_cross_check.run(entry=entry, details=details)
    return 1


@transaction.atomic
def practitioner_cross_check_start(*, activation: Any, entry: RetiredPractitioner, details: dict[str, Any]) -> Any:
    case = case_of(activation)
    case.kind = CaseKind.CROSS_CHECK
    case.practitioner = entry
    case.facility_id, case.county_id = entry.former_facility_id, entry.county_id
    case.submitted_by_id = _first_filer_id(entry)
    case.stage = Stage.CROSS_CHECK
    case.details = details
    case.save()
    audit_record(actor=None, action="retired_practitioners.cross_check_open", obj=case, changes=details)
    return case


@transaction.atomic
def practitioner_cross_check_review(
    *, activation: Any, user: Any, findings: str, request: HttpRequest | None = None
) -> PractitionerCase:
    """The officer records what they found about the flagged match, and signs."""
    if not (findings or "").strip():
        raise ValidationError({"findings": [_("Say what you found and what follows.")]})
    case = case_of(activation)
    signature = case_sign(
        activation=activation, case=case, user=user, meaning=CROSS_CHECK_REVIEWED, reason=findings, request=request
    )
    case.explanation = findings.strip()
    case.stage, case.ended_at = Stage.CHECKED, timezone.now()
    case.save(update_fields=["explanation", "stage", "ended_at"])
    audit_record(
        actor=user,
        action="retired_practitioners.cross_check_review",
        obj=case,
        changes={"finding": case.details.get("finding"), "signature_id": signature.pk},
        reason=case.explanation,
        request=request,
    )
    activation.execute()
    return case
