"""What every procedure's cases go through: documents, signing and deciding, the decision clock,
certificates, expiry and withdrawal (docs/kit.md).

A procedure's services call these with its own audit action names and stages
(declared on its case model); each writes its audit event in the caller's
transaction. Flow-step services take the task's ``activation`` and complete it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import PROCESS

from audit.models import Signature
from audit.services import audit_record, signature_sign
from documents.services import blob_store
from documents.validators import validate_scan

from ..services import notifications_of_closed_tasks_mark_read, task_complete
from .models import REASONED_DECISIONS, Case, Decision, NumberSequence
from .notifications import notify_deadline_approaching, notify_submitter

# The signature each decision is given with.
DECISION_MEANINGS: dict[str, str] = {
    Decision.FORWARD: Signature.Meaning.REVIEWED,
    Decision.APPROVE: Signature.Meaning.APPROVED,
    Decision.RETURN: Signature.Meaning.RETURNED,
    Decision.REJECT: Signature.Meaning.REJECTED,
}


# --- Documents ---------------------------------------------------------------------


def case_documents_add(*, case: Case, documents: Iterable[Mapping[str, Any]], user: Any) -> list[Any]:
    """File scans with the case at its current revision. Each item: file, doc_type, number, issuer, issued_on,
    and optionally is_original. The content goes into documents.Blob in this transaction."""
    document_model = case.documents.model  # type: ignore[attr-defined]
    saved = []
    for item in documents:
        upload = item["file"]
        content_type = validate_scan(upload)
        blob = blob_store(upload=upload)  # in this transaction: the case and its scans commit together
        document = document_model(
            case=case,
            doc_type=item["doc_type"],
            number=item["number"],
            issuer=item["issuer"],
            issued_on=item["issued_on"],
            is_original=item.get("is_original", False),
            content_type=content_type,
            size=blob.size,
            sha256=blob.sha256,
            blob_id=blob.sha256,  # not the instance: that would keep the content in memory
            revision=case.revision,
            uploaded_by=user,
        )
        document.save()
        saved.append(document)
    return saved


# --- Signing and deciding -----------------------------------------------------------


def case_sign(
    *, activation: Any, case: Case, user: Any, meaning: str, reason: str = "", request: HttpRequest | None = None
) -> Signature:
    """Sign what the case now says (its signature_content) at the activation's step."""
    return signature_sign(
        signer=user,
        meaning=meaning,
        obj=case,
        content=case.signature_content(),
        step=activation.flow_task.signing_step,
        reason=reason,
        request=request,
    )


def decision_reason_check(decision: str, reason: str) -> None:
    """Returning or rejecting a request needs a reason: the one place this rule is written."""
    if decision in REASONED_DECISIONS and not (reason or "").strip():
        raise ValidationError({"reason": [_("A reason is required to return or reject a request.")]})


def case_decide(
    *,
    activation: Any,
    user: Any,
    decision: str,
    reason: str,
    allowed: Iterable[str],
    action: str,
    next_stage: str,
    request: HttpRequest | None = None,
    meanings: Mapping[str, str] | None = None,
) -> Case:
    """A signing reviewer decides: sign, record the decision, move the stage, audit, tell the submitter, complete.

    A return sends the case to its RETURNED_STAGE, a rejection ends it at its REJECTED_STAGE; any other
    decision moves it to ``next_stage``. The caller holds a transaction (its service is @transaction.atomic).
    """
    if decision not in set(allowed):
        raise ValidationError({"decision": [_("Choose one of the decisions offered.")]})
    decision_reason_check(decision, reason)
    case = Case.of(activation)
    meaning = {**DECISION_MEANINGS, **(meanings or {})}[decision]  # a step may sign a decision with its own meaning
    signature = case_sign(activation=activation, case=case, user=user, meaning=meaning, reason=reason, request=request)
    before = case.stage
    case.last_decision, case.last_reason = decision, reason
    if decision == Decision.RETURN:
        case.stage = case.RETURNED_STAGE
    elif decision == Decision.REJECT:
        case.stage, case.ended_at = case.REJECTED_STAGE, timezone.now()
    else:
        case.stage = next_stage
    case.save(update_fields=["last_decision", "last_reason", "stage", "ended_at"])
    audit_record(
        actor=user,
        action=action,
        obj=case,
        changes={"decision": decision, "stage": [before, case.stage], "signature_id": signature.pk},
        reason=reason,
        request=request,
    )
    if decision == Decision.RETURN:
        notify_submitter(case=case, kind="process.returned")
    elif decision == Decision.REJECT:
        notify_submitter(case=case, kind="process.rejected")
    activation.execute()
    return case


# --- The decision clock ---------------------------------------------------------------

# How long before the decision deadline the bureau is reminded (or at once, for a shorter deadline).
DEADLINE_REMINDER_LEAD = timedelta(hours=24)


def case_decision_open(*, case: Case, due_at: datetime) -> Case:
    """Start the decision clock when a decision task appears (first time or after an amendment)."""
    with transaction.atomic():
        case.decision_due_at = due_at
        case.decision_reminded_at = None  # a new clock earns a new reminder
        case.stage = case.DECISION_STAGE
        case.save(update_fields=["decision_due_at", "decision_reminded_at", "stage"])
    return case


def case_deadline_reminders_send(
    *, model: type[Case], action: str, notify: Callable[..., None], lead: timedelta = DEADLINE_REMINDER_LEAD
) -> int:
    """Remind whoever can decide a case that its deadline is near, once per decision clock.

    A sweep (workflows.sweeps). Each case is handled in its own transaction under a row lock,
    so two dispatchers never remind twice.
    """
    now = timezone.now()
    near = model._default_manager.filter(
        stage=model.DECISION_STAGE,
        escalated_at__isnull=True,
        decision_reminded_at__isnull=True,
        decision_due_at__gt=now,
        decision_due_at__lte=now + lead,
    )
    sent = 0
    for pk in near.values_list("pk", flat=True):
        with transaction.atomic():
            case = model._default_manager.select_for_update().filter(pk=pk, decision_reminded_at__isnull=True).first()
            if case is None:
                continue
            case.decision_reminded_at = now
            case.save(update_fields=["decision_reminded_at"])
            audit_record(actor=None, action=action, obj=case, changes={"decision_due_at": case.decision_due_at})
            notify(case=case)
            sent += 1
    return sent


def case_escalate(*, case: Case, action: str, notify: Callable[..., None]) -> Case:
    """The decision deadline passed: the task was withdrawn from its holders and goes up a level."""
    with transaction.atomic():
        case.escalated_at = timezone.now()
        case.save(update_fields=["escalated_at"])
        audit_record(
            actor=None,
            action=action,
            obj=case,
            changes={"decision_due_at": case.decision_due_at, "escalated_at": case.escalated_at},
        )
        notify(case=case)
        notifications_of_closed_tasks_mark_read(process=case)  # the withdrawn decision task
    return case


# --- Numbers and certificates ------------------------------------------------------------


def number_draw(*, kind: str, county: Any, year: int | None = None) -> str:
    """The next number of ``kind`` in the county's sequence for the year: '<county code>-<year>-<000001>'.

    Never reused: the sequence row is locked until the caller's transaction ends, so concurrent
    draws in one county wait for each other (and a rolled-back draw gives its number back).
    """
    year = year or timezone.localdate().year
    rows = NumberSequence.objects.select_for_update()
    try:
        sequence = rows.get(kind=kind, county_id=county.pk, year=year)
    except NumberSequence.DoesNotExist:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(kind=kind, county_id=county.pk, year=year)
        except IntegrityError:  # created meanwhile by another draw in the same county
            pass
        sequence = rows.get(kind=kind, county_id=county.pk, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{county.code}-{year}-{sequence.last_number:06d}"


def certificate_token_new() -> str:
    """The unguessable part of a certificate's verification link (its QR code)."""
    return secrets.token_urlsafe(24)


@transaction.atomic
def case_certificate_issue(*, case: Any, kind: str, valid_for: timedelta, stage: str, action: str) -> Any:
    """Number the certificate of a CertifiedCase from its county's sequence and start its validity."""
    now = timezone.now()
    case.certificate_number = number_draw(kind=kind, county=case.county)
    case.certificate_token = certificate_token_new()
    case.certificate_issued_at = now
    case.certificate_valid_until = now + valid_for
    case.stage = stage
    case.save(
        update_fields=[
            "certificate_number",
            "certificate_token",
            "certificate_issued_at",
            "certificate_valid_until",
            "stage",
        ]
    )
    audit_record(
        actor=None,
        action=action,
        obj=case,
        changes={"certificate_number": case.certificate_number, "valid_until": case.certificate_valid_until},
    )
    notify_submitter(case=case, kind="process.approved")
    return case


@transaction.atomic
def case_expire(*, case: Any, action: str) -> Any:
    """The certificate's validity ran out before the case was completed."""
    case.stage, case.ended_at = case.EXPIRED_STAGE, timezone.now()
    case.save(update_fields=["stage", "ended_at"])
    audit_record(
        actor=None,
        action=action,
        obj=case,
        changes={"certificate_number": case.certificate_number, "valid_until": case.certificate_valid_until},
    )
    notify_submitter(case=case, kind="process.expired")
    return case


# --- Withdrawal -------------------------------------------------------------------------------


def withdrawal_reason_check(reason: str) -> str:
    """A withdrawal must say why: the one place this rule is written. Returns the reason, stripped."""
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("A reason is required to withdraw a request.")]})
    return reason.strip()


def case_cancel(*, case: Case, stage: str) -> Case:
    """End an open case at ``stage``: its open tasks are cancelled and their notifications read.

    An open task ends as viewflow's own ``cancel`` transition ends it, whatever its node (status CANCELED,
    finished now), and so does one that transition refuses (a step already started); a closed task (done,
    cancelled earlier, revived) keeps its end. The caller holds the case's flow lock and audits why (a
    withdrawal, the end of what the case was about).
    """
    with transaction.atomic():
        now = timezone.now()
        for task in case.task_set.exclude(status__in=["DONE", "CANCELED", "REVIVED"]):
            task.status, task.finished = "CANCELED", now
            task.save(update_fields=["status", "finished"])
        notifications_of_closed_tasks_mark_read(process=case)
        case.stage, case.ended_at = stage, now
        case.status, case.finished = PROCESS.CANCELED, now
        case.save(update_fields=["stage", "ended_at", "status", "finished"])
    return case


def case_withdraw(*, case: Case, user: Any, reason: str, action: str, request: HttpRequest | None = None) -> Case:
    """The facility withdraws a request in one of its WITHDRAWABLE_STAGES. Open tasks are cancelled."""
    withdrawal_reason_check(reason)
    model = type(case)
    with case.flow_class.lock(case.pk):
        case = model._default_manager.select_for_update().get(pk=case.pk)
        if case.stage not in case.WITHDRAWABLE_STAGES:
            raise ValidationError(_("Only a request the bureau has not decided yet can be withdrawn."))
        before = case.stage
        case_cancel(case=case, stage=case.WITHDRAWN_STAGE)
        audit_record(
            actor=user,
            action=action,
            obj=case,
            changes={"stage": [before, case.stage]},
            reason=reason,
            request=request,
        )
    return case


def case_step_run(*, case: Case, node: Any, user: Any, service: Callable[..., Any], **kwargs: Any) -> Any:
    """Complete the case's open task at ``node`` as ``user`` through ``service`` (the demo and test scenes).

    What a person does through the task page, without the page: claim it if nobody has, start it and call the
    step's service under the flow lock that ``task.activation()`` takes.
    """
    result: list[Any] = []
    task_complete(
        process=case,
        node=node,
        user=user,
        perform=lambda activation: result.append(service(activation=activation, user=user, **kwargs)),
    )
    return result[0]


def has_signatures(case: models.Model) -> bool:
    """Whether anyone has signed the case yet."""
    from audit.services import object_ref

    object_type, object_id = object_ref(case)
    return Signature.objects.filter(object_type=object_type, object_id=object_id).exists()


def case_decision_service(
    *, allowed: Iterable[str], action: str, next_stage: str, meanings: Mapping[str, str] | None = None, doc: str = ""
) -> Callable[..., Any]:
    """A decision step's service, ``service(*, activation, user, decision, reason, request=None)``: ``case_decide``
    with the step's decisions, audit action, next stage (and signature meanings), in a transaction of its own.
    The step's page (views.CaseDecisionView) and the demo and test scenes call it."""

    @transaction.atomic
    def service(*, activation: Any, user: Any, decision: str, reason: str, request: HttpRequest | None = None) -> Any:
        return case_decide(
            activation=activation,
            user=user,
            decision=decision,
            reason=reason,
            request=request,
            allowed=allowed,
            action=action,
            next_stage=next_stage,
            meanings=meanings,
        )

    service.__doc__ = doc
    return service


def amendment_reason_check(reason: str, *, field: str = "reason") -> str:
    """An amendment must say what changed and why: the one place this rule is written. Returns it, stripped."""
    if not (reason or "").strip():
        raise ValidationError({field: [_("Say what you changed and why.")]})
    return reason.strip()


def case_decision_reminders_send(*, model: type[Case], node: Any) -> int:
    """The decision clock's reminders (a sweep): whoever holds the decision task at ``node``, or could take it,
    hears once per clock that its deadline is near; audited as ``<app_label>.deadline_reminder``."""
    return case_deadline_reminders_send(
        model=model,
        action=f"{model._meta.app_label}.deadline_reminder",
        notify=partial(notify_deadline_approaching, node=node),
    )


def case_origin_set(case: Case, *, facility: Any, user: Any) -> None:
    """Where a new case comes from: its facility, that facility's county (whose bureau decides) and who filed it."""
    case.facility = facility
    case.county_id = facility.county_id
    case.submitted_by = user
