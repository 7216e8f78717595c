"""Business rules of birth and death reporting. Every change is audited in its own transaction.

Entries are made by the delivery facility's staff (one at a time, or a whole file at once);
the month's report moves through the flow (flows.MonthlyBirthReportFlow), each step calling
one service here with the task's activation. The deadline sweeps remind the facility on the
5th and tell the bureau on the 10th, each once per facility and month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import ExitStack, nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.fields import identifier_digest
from core.validators import resident_id_normalise, validate_resident_id
from permissions.models import Facility, Jurisdiction, RoleAssignment
from permissions.roles import Role
from workflows.cases.models import Case
from workflows.cases.services import case_decide, case_decision_service, case_origin_set
from workflows.events import notify
from workflows.locks import flow_lock

from . import selectors
from .models import (
    CHECK_DUE_DAY,
    EDITABLE_STAGES,
    ENTRY_WINDOW,
    LATE_MISCARRIAGE_WEEKS,
    MAX_PLURALITY,
    MAX_WEIGHT_GRAMS,
    MIN_WEIGHT_GRAMS,
    SIGN_DUE_DAY,
    BirthEntry,
    Decision,
    EntryKind,
    MonthlyBirthReport,
    Outcome,
    ReportNotice,
    Stage,
    month_of,
    previous_month,
)

# The fields an entry is made of (forms and uploads give these; the resident ID is digested, never kept).
ENTRY_FIELDS = (
    "kind",
    "occurred_at",
    "sex",
    "birth_weight_grams",
    "plurality",
    "birth_order",
    "outcome",
    "gestation_weeks",
    "cause",
    "mother_township",
    "mother_resident_id",
    "late_reason",
)
# An entry for an event older than this is refused (a typing error in the year, most likely).
OLDEST_ENTRY = dt.timedelta(days=400)
# What an amendment may correct: the counted fields.
AMENDABLE_FIELDS = ("sex", "outcome", "birth_weight_grams", "plurality", "birth_order")


# --- Rules ---------------------------------------------------------------------------------


def _text(data: dict[str, Any], key: str) -> str:
    return str(data.get(key) or "").strip()


def entry_rules_check(*, facility: Facility, data: dict[str, Any], now: dt.datetime) -> bool:
    """Refuse an entry the rules do not allow, before anything is written. Returns whether it is late."""
    errors: dict[str, list[Any]] = {}
    kind = data.get("kind") or EntryKind.BIRTH
    occurred_at = data.get("occurred_at")
    late = False
    if occurred_at is None:
        errors["occurred_at"] = [_("Give the date and time of the event.")]
    elif occurred_at > now:
        errors["occurred_at"] = [_("The date and time of the event lie in the future.")]
    elif occurred_at < now - OLDEST_ENTRY:
        errors["occurred_at"] = [_("An event more than a year old is not entered here: ask the county bureau.")]
    else:
        late = now - occurred_at > ENTRY_WINDOW
        if late and not _text(data, "late_reason"):
            errors["late_reason"] = [
                _("This entry comes more than 24 hours after the event: give the reason. It will be flagged as late.")
            ]
    weight = data.get("birth_weight_grams")
    if weight is not None and not MIN_WEIGHT_GRAMS <= weight <= MAX_WEIGHT_GRAMS:
        errors["birth_weight_grams"] = [
            _("A birth weight lies between %(low)d and %(high)d grams.")
            % {"low": MIN_WEIGHT_GRAMS, "high": MAX_WEIGHT_GRAMS}
        ]
    plurality, order = data.get("plurality") or 1, data.get("birth_order") or 1
    if not 1 <= plurality <= MAX_PLURALITY:
        errors["plurality"] = [_("Plurality is between 1 (a single birth) and %(max)d.") % {"max": MAX_PLURALITY}]
    elif not 1 <= order <= plurality:
        errors["birth_order"] = [_("The birth order lies between 1 and the plurality (%(n)d).") % {"n": plurality}]
    if kind == EntryKind.BIRTH:
        if not data.get("outcome"):
            errors["outcome"] = [_("Give the outcome of the birth.")]
        if weight is None:
            errors["birth_weight_grams"] = [_("Give the birth weight in grams.")]
    else:
        if not _text(data, "cause"):
            errors["cause"] = [_("Give the cause of the death or miscarriage.")]
    if kind == EntryKind.LATE_MISCARRIAGE:
        weeks = data.get("gestation_weeks")
        if weeks is None or weeks < LATE_MISCARRIAGE_WEEKS or weeks > 45:
            errors["gestation_weeks"] = [
                _("A late miscarriage is one at %(weeks)d weeks or over: give the weeks of gestation.")
                % {"weeks": LATE_MISCARRIAGE_WEEKS}
            ]
    township = data.get("mother_township")
    if township is None or township.level != Jurisdiction.Level.TOWNSHIP:
        errors["mother_township"] = [_("Choose the township where the mother lives.")]
    if not data.get("mother_digest"):  # an upload's confirmed rows carry the digest made at its preview
        try:
            validate_resident_id(data.get("mother_resident_id") or "")
        except ValidationError as error:
            errors["mother_resident_id"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    return late


def mother_digest_of(resident_id: str) -> str:
    return identifier_digest(resident_id_normalise(resident_id))


def _duplicate_error() -> ValidationError:
    return ValidationError(
        {
            "__all__": [
                _(
                    "This birth is already in the register: the same mother, delivery date and birth order. "
                    "A correction to an entry goes through an amendment of the month's report."
                )
            ]
        }
    )


def _entry_build(*, user: Any, facility: Facility, data: dict[str, Any], late: bool, now: dt.datetime) -> BirthEntry:
    occurred_at = data["occurred_at"]
    event_date = timezone.localdate(occurred_at)
    kind = data.get("kind") or EntryKind.BIRTH
    return BirthEntry(
        facility=facility,
        county_id=facility.county_id,
        month=month_of(event_date),
        kind=kind,
        occurred_at=occurred_at,
        event_date=event_date,
        sex=data["sex"],
        birth_weight_grams=data.get("birth_weight_grams"),
        plurality=data.get("plurality") or 1,
        birth_order=data.get("birth_order") or 1,
        outcome=data.get("outcome") or "" if kind == EntryKind.BIRTH else "",
        gestation_weeks=data.get("gestation_weeks"),
        cause=_text(data, "cause") if kind != EntryKind.BIRTH else "",
        mother_township=data["mother_township"],
        mother_digest=data.get("mother_digest") or mother_digest_of(data["mother_resident_id"]),
        entered_by=user,
        entered_at=now,
        is_late=late,
        late_reason=_text(data, "late_reason") if late else "",
    )


def _is_duplicate(entry: BirthEntry) -> bool:
    return (
        entry.kind == EntryKind.BIRTH
        and BirthEntry.objects.current()
        .filter(
            kind=EntryKind.BIRTH,
            mother_digest=entry.mother_digest,
            event_date=entry.event_date,
            birth_order=entry.birth_order,
        )
        .exists()
    )


def _month_open_check(*, facility: Facility, month: dt.date) -> Any:
    """Refuse an entry into a month whose register a signature holds; lock the month's report if it has one."""
    report = selectors.latest_report(facility=facility, month=month)
    if report is None:
        return nullcontext()
    if report.stage == Stage.ACCEPTED:
        raise ValidationError(
            {
                "occurred_at": [
                    _("The report of %(month)s is accepted: open a correction of it from its page, then add the entry.")
                    % {"month": month.strftime("%Y-%m")}
                ]
            }
        )
    if report.stage not in EDITABLE_STAGES:
        raise ValidationError(
            {
                "occurred_at": [
                    _("The register of %(month)s is signed: ask for the report to be returned, then amend it.")
                    % {"month": month.strftime("%Y-%m")}
                ]
            }
        )
    from .flows import MonthlyBirthReportFlow

    return flow_lock(MonthlyBirthReportFlow, report.pk)


def _entry_audit(entry: BirthEntry) -> dict[str, Any]:
    """What the trail keeps of an entry: its id, kind and month, never the mother's data."""
    return {"entry": entry.pk, "kind": entry.kind, "month": entry.month.isoformat(), "late": entry.is_late}


@transaction.atomic
def births_entry_create(
    *, user: Any, facility: Facility, data: dict[str, Any], request: HttpRequest | None = None
) -> BirthEntry:
    """Record one event in the facility's register (within 24 hours, or late with a reason)."""
    now = timezone.now()
    late = entry_rules_check(facility=facility, data=data, now=now)
    entry = _entry_build(user=user, facility=facility, data=data, late=late, now=now)
    with _month_open_check(facility=facility, month=entry.month):
        if _is_duplicate(entry):
            raise _duplicate_error()
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:  # the same birth entered at the same moment elsewhere
            raise _duplicate_error() from None
        audit_record(actor=user, action="births.entry", obj=entry, changes=_entry_audit(entry), request=request)
    return entry


def upload_rows_check(
    *, facility: Facility, rows: list[dict[str, Any]], now: dt.datetime
) -> list[tuple[int, str, str]]:
    """Every row's errors as (row number, column, message); empty when every row may be saved."""
    errors: list[tuple[int, str, str]] = []
    seen: set[tuple[str, dt.date, int]] = set()
    closed: dict[dt.date, bool] = {}
    for number, data in enumerate(rows, start=2):  # row 1 is the header
        if data.get("_errors"):
            errors.extend((number, column, message) for column, message in data["_errors"])
            continue
        try:
            late = entry_rules_check(facility=facility, data=data, now=now)
        except ValidationError as error:
            errors.extend((number, column, str(m)) for column, messages in error.message_dict.items() for m in messages)
            continue
        entry = _entry_build(user=None, facility=facility, data=data, late=late, now=now)  # type: ignore[misc]
        if entry.month not in closed:
            latest = selectors.latest_report(facility=facility, month=entry.month)
            closed[entry.month] = latest is not None and latest.stage not in EDITABLE_STAGES
        if closed[entry.month]:
            errors.append((number, "occurred_at", _("The register of this month is signed: it cannot take entries.")))
        key = (entry.mother_digest, entry.event_date, entry.birth_order)
        if entry.kind == EntryKind.BIRTH and (key in seen or _is_duplicate(entry)):
            errors.append((number, "mother_resident_id", str(_duplicate_error().messages[0])))
        if entry.kind == EntryKind.BIRTH:
            seen.add(key)
    return errors


@transaction.atomic
def births_entries_upload(
    *, user: Any, facility: Facility, rows: list[dict[str, Any]], request: HttpRequest | None = None
) -> list[BirthEntry]:
    """Save every row of an upload, or none: the rows are checked again inside the transaction."""
    now = timezone.now()
    errors = upload_rows_check(facility=facility, rows=rows, now=now)
    if errors:
        raise ValidationError(
            [_("Row %(row)d, %(column)s: %(message)s") % {"row": r, "column": c, "message": m} for r, c, m in errors]
        )
    entries = [
        _entry_build(user=user, facility=facility, data=data, late=now - data["occurred_at"] > ENTRY_WINDOW, now=now)
        for data in rows
    ]
    months = sorted({entry.month for entry in entries})
    reports = MonthlyBirthReport.objects.filter(facility=facility, month__in=months).values_list("pk", flat=True)
    from .flows import MonthlyBirthReportFlow

    with ExitStack() as locks:
        for report_pk in reports:  # hold every month's report still while its register grows
            locks.enter_context(flow_lock(MonthlyBirthReportFlow, report_pk))
        try:
            with transaction.atomic():
                saved = BirthEntry.objects.bulk_create(entries)
        except IntegrityError:
            raise _duplicate_error() from None
    audit_record(
        actor=user,
        action="births.entries_upload",
        obj=facility,
        changes={
            "entry_count": len(saved),
            "entries": [e.pk for e in saved],
            "months": [m.isoformat() for m in months],
        },
        request=request,
    )
    return saved


# --- The monthly report ------------------------------------------------------------------


def report_month_check(*, facility: Facility, month: dt.date, today: dt.date) -> None:
    if month >= month_of(today):
        raise ValidationError({"month": [_("A month is reported once it is over.")]})
    if MonthlyBirthReport.objects.filter(facility=facility, month=month).exists():
        raise ValidationError({"month": [_("This facility's report for this month is already open.")]})


@transaction.atomic
def births_report_prepare(
    *, activation: Any, user: Any, facility: Facility, month: dt.date, request: HttpRequest | None = None
) -> MonthlyBirthReport:
    """Open the month's report: the director's signature is its next step."""
    month = month.replace(day=1)
    report_month_check(facility=facility, month=month, today=timezone.localdate())
    report = MonthlyBirthReport.of(activation)
    case_origin_set(report, facility=facility, user=user)
    report.month = month
    report.stage = Stage.SIGNING
    report.checking_facility = selectors.township_centre_of(facility)
    try:
        with transaction.atomic():  # a savepoint: the refusal must leave the outer transaction usable
            report.save()
    except IntegrityError:  # opened at the same moment by a colleague
        raise ValidationError({"month": [_("This facility's report for this month is already open.")]}) from None
    audit_record(
        actor=user,
        action="births.prepare",
        obj=report,
        changes={"facility": facility.pk, "month": month.isoformat(), "stage": [None, report.stage]},
        request=request,
    )
    activation.execute()
    return report


def report_of(activation: Any) -> MonthlyBirthReport:
    """The activation's own report instance: the kit's case_decide signs what this very object says."""
    return Case.of(activation)  # type: ignore[no-any-return]


@transaction.atomic
def births_sign(
    *, activation: Any, user: Any, decision: str, reason: str, request: HttpRequest | None = None
) -> MonthlyBirthReport:
    """The director signs the month's register (its entries and counts) and sends it on, or returns it."""
    report = report_of(activation)
    if decision == Decision.FORWARD:
        # Who checks is settled now: a centre that has lost its director since the report opened checks nothing.
        report.checking_facility = selectors.township_centre_of(report.facility)
        report.counts = selectors.entry_counts(report.entries())
        report.signed_entries = list(report.entries().order_by("pk").values_list("pk", flat=True))
        now = timezone.now()
        report.signed_at = now
        report.first_signed_at = report.first_signed_at or now
        report.save(update_fields=["checking_facility", "counts", "signed_entries", "signed_at", "first_signed_at"])
    next_stage = Stage.TOWNSHIP_CHECK if report.checking_facility_id else Stage.BUREAU_ACCEPT
    case_decide(
        activation=activation,
        user=user,
        decision=decision,
        reason=reason,
        allowed=[Decision.FORWARD, Decision.RETURN],
        action="births.sign",
        next_stage=next_stage,
        request=request,
    )
    return report


births_township_check = case_decision_service(
    allowed=[Decision.FORWARD, Decision.RETURN],
    action="births.township_check",
    next_stage=Stage.BUREAU_ACCEPT,
    doc="The township health centre checks the counts: on to the bureau, or back for amendment.",
)


@transaction.atomic
def births_accept(*, activation: Any, user: Any, decision: str, reason: str, request: HttpRequest | None = None) -> Any:
    """The county bureau accepts the report (its figures then count in the bulletins), or returns it."""
    report = case_decide(
        activation=activation,
        user=user,
        decision=decision,
        reason=reason,
        allowed=[Decision.APPROVE, Decision.RETURN],
        action="births.accept",
        next_stage=Stage.ACCEPTED,
        request=request,
    )
    if decision == Decision.APPROVE:
        now = timezone.now()
        MonthlyBirthReport.objects.filter(pk=report.pk).update(accepted_at=now, ended_at=now)
        if report.corrects_id is not None:  # a correction: its figures now count, the corrected report's no more
            MonthlyBirthReport.objects.filter(pk=report.corrects_id).update(superseded_at=now)
            audit_record(
                actor=user,
                action="births.supersede",
                obj=report.corrects,
                changes={"superseded_by": report.pk},
                request=request,
            )
    return report


@transaction.atomic
def births_amend(
    *,
    activation: Any,
    user: Any,
    entry: BirthEntry | None,
    data: dict[str, Any],
    reason: str,
    request: HttpRequest | None = None,
) -> MonthlyBirthReport:
    """Correct the returned register: a new entry replaces the signed one (never an edit), a new revision
    goes to the director for a new signature. Without an entry, the reason covers entries added meanwhile."""
    report = report_of(activation)
    reason = _amendment_reason(reason)
    changes: dict[str, Any] = {"revision": [report.revision, report.revision + 1]}
    if entry is not None:
        changes["entries"] = _entry_replace(report=report, entry=entry, data=data, user=user, reason=reason)
    report.revision += 1
    report.stage = Stage.SIGNING
    report.save(update_fields=["revision", "stage"])
    audit_record(actor=user, action=report.amend_action, obj=report, changes=changes, reason=reason, request=request)
    activation.execute()
    return report


def correctable_report(*, report: MonthlyBirthReport) -> None:
    """Refuse a correction of anything but the month's current accepted report, or of one being corrected."""
    if not report.is_current:
        raise ValidationError(_("Only the accepted report that counts for its month can be corrected."))
    if MonthlyBirthReport.objects.filter(corrects=report).exists():
        raise ValidationError(_("A correction of this report is already in progress."))


@transaction.atomic
def births_correct(
    *,
    activation: Any,
    user: Any,
    report: MonthlyBirthReport,
    entry: BirthEntry | None,
    data: dict[str, Any],
    reason: str,
    request: HttpRequest | None = None,
) -> MonthlyBirthReport:
    """Open a correction of an accepted report: a report of its own for the same month, one revision on,
    that the director signs, the township centre checks and the bureau accepts again. Until then the
    accepted report's figures stand; once accepted, the correction supersedes it (births_accept)."""
    from .flows import MonthlyBirthReportFlow

    reason = _amendment_reason(reason)
    with flow_lock(MonthlyBirthReportFlow, report.pk):  # two corrections of one report: one wins, one is told
        report = MonthlyBirthReport.objects.get(pk=report.pk)
        correctable_report(report=report)
        correction = MonthlyBirthReport.of(activation)
        correction.facility = report.facility
        correction.county_id = report.county_id
        correction.submitted_by = user
        correction.month = report.month
        correction.corrects = report
        correction.revision = report.revision + 1
        correction.stage = Stage.SIGNING
        correction.checking_facility = selectors.township_centre_of(report.facility)
        try:
            with transaction.atomic():
                correction.save()
        except IntegrityError:
            raise ValidationError(_("A correction of this report is already in progress.")) from None
        changes: dict[str, Any] = {
            "corrects": report.pk,
            "month": report.month.isoformat(),
            "stage": [None, Stage.SIGNING],
        }
        if entry is not None:
            changes["entries"] = _entry_replace(report=report, entry=entry, data=data, user=user, reason=reason)
        audit_record(
            actor=user, action="births.correct", obj=correction, changes=changes, reason=reason, request=request
        )
    activation.execute()
    return correction


def _amendment_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for the amendment.")]})
    return reason.strip()


def _entry_replace(
    *, report: MonthlyBirthReport, entry: BirthEntry, data: dict[str, Any], user: Any, reason: str
) -> dict[str, int]:
    """Replace one entry of the report's month by a corrected copy (the original is kept, marked replaced)."""
    if entry.facility_id != report.facility_id or entry.month != report.month or entry.replaced_at is not None:
        raise ValidationError({"entry": [_("Choose an entry of this report.")]})
    replacement = BirthEntry.objects.get(pk=entry.pk)
    replacement.pk = None
    replacement.id = None
    replacement._state.adding = True
    for field in AMENDABLE_FIELDS:
        if field in data and data[field] not in (None, ""):
            setattr(replacement, field, data[field])
    _amendment_rules_check(
        {
            "kind": replacement.kind,
            "occurred_at": replacement.occurred_at,
            "mother_township": replacement.mother_township,
            "gestation_weeks": replacement.gestation_weeks,
            "cause": replacement.cause,
            **{field: getattr(replacement, field) for field in AMENDABLE_FIELDS},
        }
    )
    now = timezone.now()
    BirthEntry.objects.filter(pk=entry.pk).update(replaced_at=now)
    replacement.replaces = entry
    replacement.entered_by = user
    replacement.entered_at = now
    replacement.amendment_reason = reason
    try:
        with transaction.atomic():
            replacement.save()
    except IntegrityError:
        raise _duplicate_error() from None
    return {"replaced": entry.pk, "by": replacement.pk}


def _amendment_rules_check(data: dict[str, Any]) -> None:
    errors: dict[str, list[Any]] = {}
    weight = data.get("birth_weight_grams")
    if weight is not None and not MIN_WEIGHT_GRAMS <= weight <= MAX_WEIGHT_GRAMS:
        errors["birth_weight_grams"] = [
            _("A birth weight lies between %(low)d and %(high)d grams.")
            % {"low": MIN_WEIGHT_GRAMS, "high": MAX_WEIGHT_GRAMS}
        ]
    if not 1 <= data["birth_order"] <= data["plurality"] <= MAX_PLURALITY:
        errors["birth_order"] = [
            _("The birth order lies between 1 and the plurality (%(n)d).") % {"n": data["plurality"]}
        ]
    if data["kind"] == EntryKind.BIRTH and data.get("outcome") not in Outcome.values:
        errors["outcome"] = [_("Give the outcome of the birth.")]
    if errors:
        raise ValidationError(errors)


# --- Deadlines (sweeps) ---------------------------------------------------------------------


def _directors_of(facility_id: int) -> list[int]:
    return list(
        RoleAssignment.objects.active()
        .filter(role=Role.FACILITY_DIRECTOR, facility_id=facility_id)
        .values_list("user_id", flat=True)
    )


def _officers_of(county_id: int) -> list[int]:
    return list(
        RoleAssignment.objects.active()
        .filter(role=Role.BUREAU_OFFICER, jurisdiction_id=county_id)
        .values_list("user_id", flat=True)
    )


def _notice_once(*, facility_id: int, month: dt.date, kind: str, report: MonthlyBirthReport | None = None) -> bool:
    """Record that ``kind`` went out for this facility-month (or, given, this report); False when it already had
    (another dispatcher)."""
    try:
        with transaction.atomic():
            _notice, created = ReportNotice.objects.get_or_create(
                facility_id=facility_id, month=month, kind=kind, report=report
            )
    except IntegrityError:
        return False
    return created


def _register_url(month: dt.date) -> str:
    from django.urls import NoReverseMatch, get_resolver

    from .flows import MonthlyBirthReportFlow

    get_resolver().url_patterns  # noqa: B018 - loads the URLconf in timer and command processes
    try:
        return str(MonthlyBirthReportFlow.instance.reverse("register")) + f"?month={month:%Y-%m}"
    except NoReverseMatch:
        return ""


def _deadline_notices(*, due_day: int, kind: str, action: str, recipients: Any, notice_kind: str) -> int:
    today = timezone.localdate()
    if today.day < due_day:
        return 0
    month = previous_month(today)
    sent = 0
    facilities = selectors.unsigned_facilities(month=month).exclude(
        pk__in=ReportNotice.objects.filter(month=month, kind=kind).values("facility_id")
    )
    for facility in facilities.order_by("pk"):
        with transaction.atomic():
            if not _notice_once(facility_id=facility.pk, month=month, kind=kind):
                continue
            audit_record(
                actor=None, action=action, obj=facility, changes={"month": month.isoformat(), "due_day": due_day}
            )
            notify(recipients=recipients(facility), kind=notice_kind, url=_register_url(month), obj=facility)
            sent += 1
    return sent


def births_sign_reminders_send() -> int:
    """A sweep: on the 5th, each delivering facility that has not signed last month's register is reminded, once."""
    return _deadline_notices(
        due_day=SIGN_DUE_DAY,
        kind=ReportNotice.Kind.SIGN_REMINDER,
        action="births.sign_reminder",
        recipients=lambda facility: _directors_of(facility.pk),
        notice_kind="deadline.approaching",
    )


def births_missing_reports_send() -> int:
    """A sweep: on the 10th, the county's bureau officers hear of each facility with no signed report, once."""
    return _deadline_notices(
        due_day=CHECK_DUE_DAY,
        kind=ReportNotice.Kind.MISSING_REPORT,
        action="births.missing_report",
        recipients=lambda facility: _officers_of(facility.county_id),
        notice_kind="deadline.passed",
    )


def births_overdue_checks_send() -> int:
    """A sweep: after the 10th, the county's bureau officers hear of each report still waiting for its township
    check, once, with the report to chase; the centre's directors are reminded with them."""
    sent = 0
    today = timezone.localdate()
    kind = ReportNotice.Kind.CHECK_OVERDUE
    reports = selectors.overdue_checks(today=today).exclude(
        pk__in=ReportNotice.objects.filter(kind=kind, report__isnull=False).values("report_id")
    )
    for report in reports.order_by("pk"):
        with transaction.atomic():
            if not _notice_once(facility_id=report.facility_id, month=report.month, kind=kind, report=report):
                continue
            audit_record(
                actor=None,
                action="births.check_overdue",
                obj=report,
                changes={"month": report.month.isoformat(), "due_day": CHECK_DUE_DAY},
            )
            from workflows.cases.views import case_detail_url

            recipients = _officers_of(report.county_id) + _directors_of(report.checking_facility_id)
            notify(recipients=recipients, kind="deadline.passed", url=case_detail_url(report), obj=report)
            sent += 1
    return sent


def entries_of(report: MonthlyBirthReport) -> Iterable[BirthEntry]:
    return report.register().select_related("mother_township").order_by("occurred_at", "pk")
