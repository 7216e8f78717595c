"""Business rules of termination approval. Every change is audited in its own transaction.

Flow views validate input, then call one of these with the task's activation;
the service signs, changes the case, audits, notifies and completes the task,
all inside the transaction and flow lock that viewflow's task view holds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import AuditedRefusal, audit_record, audit_refusals
from core.fields import identifier_digest
from core.validators import resident_id_normalise
from permissions.models import Facility
from workflows.cases.persons import resident_id_fields
from workflows.cases.services import (
    amendment_reason_check,
    case_certificate_issue,
    case_decision_reminders_send,
    case_decision_service,
    case_documents_add,
    case_origin_set,
    case_sign,
    case_withdraw,
    has_signatures,
)

from .models import (
    CERTIFICATE_KIND,
    MEDICAL_PATHWAYS,
    PERSONAL_PATHWAYS,
    Decision,
    DocumentType,
    ExpertOpinion,
    Meaning,
    Stage,
    TerminationCase,
    required_documents,
)
from .rules import TerminationCountyRules, facility_is_designated_for

PANEL_SEATS = 3
CASE_FIELDS = (
    "patient_name",
    "marital_status",
    "gestational_weeks",
    "gestational_days",
    "lmp_date",
    "pathway",
    "emergency",
    "emergency_justification",
)

# --- What an amendment may change, and what it costs (docs/termination.md, "Amendments") ----------
# Every field of forms.AmendForm is classified here, once; tests/workflows/termination/test_amendments.py
# fails for a field that is in neither set.
#
# The patient's identity: refused outright once anyone has signed the case (withdraw and file anew).
IDENTITY_FIELDS = frozenset({"patient_name", "resident_id"})
# Facts the expert panel judged: which woman, which pathway, how far along. Changing one sends a
# medical case to a fresh panel, and the earlier panel's opinions stop counting.
PANEL_FIELDS = IDENTITY_FIELDS | frozenset({"pathway", "gestational_weeks", "gestational_days", "lmp_date"})
# Not judged by the panel: marital status is a personal circumstance the director and the bureau weigh;
# the emergency justification belongs to emergency cases, which never go to the panel; the reason is the
# amendment's own explanation, not a fact about the case.
NON_PANEL_FIELDS = frozenset({"marital_status", "emergency_justification", "reason"})
# Added scans that are medical evidence the panel read. "Other" is counted in: nobody can tell what it holds.
PANEL_DOCUMENT_TYPES = frozenset(
    {
        DocumentType.PRENATAL_DIAGNOSIS,
        DocumentType.MEDICAL_OPINION,
        DocumentType.DISEASE_DIAGNOSIS,
        DocumentType.REFERRAL_LETTER,
        DocumentType.OTHER,
    }
)


# --- Rules -------------------------------------------------------------------


def termination_rules_check(
    *,
    facility: Facility,
    weeks: int,
    pathway: str,
    emergency: bool,
    emergency_justification: str,
    document_types: set[str],
) -> None:
    """Refuse a request the county's rules do not allow. Raises before anything is written."""
    config = TerminationCountyRules.objects.get(county_id=facility.county_id)
    errors: dict[str, list[str]] = {}
    if weeks < config.gestational_threshold_weeks:
        errors.setdefault("gestational_weeks", []).append(
            _("At %(weeks)d weeks no bureau certificate is needed: this county's threshold is %(threshold)d weeks.")
            % {"weeks": weeks, "threshold": config.gestational_threshold_weeks}
        )
    elif not facility_is_designated_for(facility, weeks):
        errors.setdefault("facility", []).append(
            _("%(facility)s is not designated for terminations at %(weeks)d weeks.")
            % {"facility": facility.name, "weeks": weeks}
        )
    if pathway in PERSONAL_PATHWAYS and not config.accepts_personal_pathway(pathway):
        errors.setdefault("pathway", []).append(_("This county does not accept that personal-circumstance pathway."))
    if emergency and not emergency_justification.strip():
        errors.setdefault("emergency_justification", []).append(
            _("An emergency case needs a justification: why the procedure could not wait for approval.")
        )
    missing = [t for t in required_documents(pathway=pathway, emergency=emergency) if t not in document_types]
    if missing:
        labels = ", ".join(str(DocumentType(t).label) for t in missing)
        errors.setdefault("__all__", []).append(
            _("Documents missing for this pathway: %(documents)s.") % {"documents": labels}
        )
    if errors:
        raise ValidationError(errors)


def _set_patient_fields(case: TerminationCase, data: dict[str, Any]) -> None:
    for field in CASE_FIELDS:
        if field in data:
            setattr(case, field, data[field])
    if "resident_id" in data:
        for field, value in resident_id_fields(data["resident_id"]).items():
            setattr(case, field, value)
    if not case.emergency:
        case.emergency_justification = ""


def _first_stage(case: TerminationCase) -> str:
    if case.emergency:
        return Stage.BUREAU_REVIEW
    if case.pathway in MEDICAL_PATHWAYS:
        return Stage.PANEL
    return Stage.FACILITY_REVIEW


def _audit_fields(case: TerminationCase) -> dict[str, Any]:
    """What the trail records about the request: no name, no ID number (the digest stands for it)."""
    return {
        "facility": case.facility_id,
        "revision": case.revision,
        "resident_id_digest": case.resident_id_digest,
        "gestation": [case.gestational_weeks, case.gestational_days],
        "pathway": case.pathway,
        "emergency": case.emergency,
        "stage": case.stage,
    }


# --- Submission and amendment -------------------------------------------------------


@transaction.atomic
def termination_submit(
    *,
    activation: Any,
    user: Any,
    facility: Facility,
    data: dict[str, Any],
    documents: list[dict[str, Any]],
    request: HttpRequest | None = None,
) -> TerminationCase:
    termination_rules_check(
        facility=facility,
        weeks=data["gestational_weeks"],
        pathway=data["pathway"],
        emergency=data.get("emergency", False),
        emergency_justification=data.get("emergency_justification", ""),
        document_types={d["doc_type"] for d in documents},
    )
    case = TerminationCase.of(activation)
    case_origin_set(case, facility=facility, user=user)
    _set_patient_fields(case, data)
    case.flagged_for_inspection = case.emergency
    case.stage = _first_stage(case)
    case.save()
    saved = case_documents_add(case=case, documents=documents, user=user)
    audit_record(
        actor=user,
        action="termination.submit",
        obj=case,
        changes={**_audit_fields(case), "documents": [d.pk for d in saved]},
        reason=case.emergency_justification,
        request=request,
    )
    activation.execute()
    return case


def _amended_fields(case: TerminationCase, data: dict[str, Any]) -> set[str]:
    """The request fields whose amended value differs from the case's (compared as the form cleans them)."""
    changed = set()
    for field in CASE_FIELDS:
        if field in data and data[field] != getattr(case, field):
            changed.add(field)
    if "resident_id" in data and resident_id_normalise(data["resident_id"]) != case.resident_id:
        changed.add("resident_id")
    if not case.emergency:
        changed.discard("emergency_justification")  # cleared for a non-emergency case whatever is posted
    return changed


@transaction.atomic
def termination_amend(
    *,
    activation: Any,
    user: Any,
    data: dict[str, Any],
    documents: list[dict[str, Any]],
    reason: str,
    request: HttpRequest | None = None,
) -> TerminationCase:
    """The clerk answers a return: changed data and added scans, with a reason. Earlier signatures no longer match.

    The patient's identity cannot change once anyone has signed. A change of a fact the panel judged
    (PANEL_FIELDS, or added medical evidence) supersedes the panel's opinions, and a medical case then goes
    to a fresh panel, as does a medical case that has no complete current panel (e.g. one that was on a
    personal pathway until now). The flow's check_resubmission routes on the stage set here.
    """
    amendment_reason_check(reason)
    case = TerminationCase.of(activation)
    changed = _amended_fields(case, data)
    if changed & IDENTITY_FIELDS and has_signatures(case):
        message = _(
            "The patient's name and resident ID cannot change once the case has been signed: "
            "withdraw this request and file a new one."
        )
        raise ValidationError({field: [message] for field in sorted(changed & IDENTITY_FIELDS)})
    kept = set(case.documents.filter(withdrawn_at__isnull=True).values_list("doc_type", flat=True))
    termination_rules_check(
        facility=case.facility,
        weeks=data["gestational_weeks"],
        pathway=data["pathway"],
        emergency=case.emergency,
        emergency_justification=data.get("emergency_justification", case.emergency_justification),
        document_types=kept | {d["doc_type"] for d in documents},
    )
    panel_changes = sorted(changed & PANEL_FIELDS)
    panel_documents = sorted({d["doc_type"] for d in documents} & PANEL_DOCUMENT_TYPES)
    before = _audit_fields(case)
    case.revision += 1
    data = {**data, "emergency": case.emergency}
    _set_patient_fields(case, data)
    superseded = bool(panel_changes or panel_documents)
    if superseded:
        case.panel_revision, case.panel_dissent = case.revision, False
    current_opinions = case.opinions.filter(revision__gte=case.panel_revision).count()
    fresh_panel = case.is_medical and not case.emergency and (superseded or current_opinions < PANEL_SEATS)
    if case.emergency:
        case.stage = Stage.BUREAU_REVIEW
    else:
        case.stage = Stage.PANEL if fresh_panel else Stage.FACILITY_REVIEW
    case.last_decision, case.last_reason = "", ""
    case.save()
    saved = case_documents_add(case=case, documents=documents, user=user)
    after = _audit_fields(case)
    audit_record(
        actor=user,
        action="termination.amend",
        obj=case,
        changes={
            **{k: [before[k], after[k]] for k in after if before[k] != after[k]},
            "patient_fields_changed": sorted(changed),
            "panel_facts_changed": panel_changes,
            "panel_documents_added": panel_documents,
            "panel_opinions_superseded": superseded,
            "fresh_panel": fresh_panel,
            "documents_added": [d.pk for d in saved],
        },
        reason=reason,
        request=request,
    )
    activation.execute()
    return case


# --- Signing steps --------------------------------------------------------------


def sits_on_panel(user: Any) -> bool:
    """Only a deputy chief physician or above may sit on the expert panel."""
    profile = getattr(user, "profile", None)
    return profile is not None and profile.is_senior_physician


@transaction.atomic
def termination_opinion(
    *, activation: Any, user: Any, agrees: bool, reason: str, request: HttpRequest | None = None
) -> ExpertOpinion:
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the grounds of your opinion.")]})
    if not sits_on_panel(user):
        raise ValidationError(_("Only a deputy chief physician or above may sit on the expert panel."))
    case = TerminationCase.of(activation)
    meaning = Meaning.EXPERT_AGREES if agrees else Meaning.EXPERT_DISAGREES
    signature = case_sign(activation=activation, case=case, user=user, meaning=meaning, reason=reason, request=request)
    try:
        with transaction.atomic():
            opinion = ExpertOpinion.objects.create(
                case=case, expert=user, agrees=agrees, reason=reason, signature=signature, revision=case.revision
            )
    except IntegrityError:
        raise ValidationError(_("You have already given an opinion on this case.")) from None
    if not agrees:
        case.panel_dissent = True
    seats_open = activation.task.process.task_set.filter(flow_task=activation.flow_task, finished__isnull=True).exclude(
        pk=activation.task.pk
    )
    if not seats_open.exists():
        case.stage = Stage.FACILITY_REVIEW
    case.save(update_fields=["panel_dissent", "stage"])
    audit_record(
        actor=user,
        action="termination.opinion",
        obj=case,
        changes={"agrees": agrees, "opinion": opinion.pk, "signature_id": signature.pk},
        reason=reason,
        request=request,
    )
    activation.execute()
    return opinion


termination_review = case_decision_service(
    allowed={Decision.FORWARD, Decision.RETURN, Decision.REJECT},
    action="termination.review",
    next_stage=Stage.BUREAU_REVIEW,
    doc="The facility director forwards, returns or rejects, and signs.",
)


termination_decide = case_decision_service(
    allowed={Decision.APPROVE, Decision.RETURN, Decision.REJECT},
    action="termination.decide",
    next_stage=Stage.APPROVED,
    doc="The bureau approves, returns or rejects, and signs. Approval goes on to certificate_issue.",
)


# --- Bureau deadline (the flow opens and escalates it: workflows.cases.flows.CaseFlowMixin) ---------


def termination_deadline_reminders_send() -> int:
    """Remind whoever can decide a case that its deadline is near, once per decision clock (a sweep)."""
    from .flows import TerminationFlow

    return case_decision_reminders_send(model=TerminationCase, node=TerminationFlow.decide)


# --- Certificate, procedure, expiry -----------------------------------------------------


def certificate_issue(*, case: TerminationCase) -> TerminationCase:
    """Number the certificate from the county's sequence (never reused) and start its validity."""
    config = TerminationCountyRules.objects.get(county_id=case.county_id)
    return case_certificate_issue(
        case=case,
        kind=CERTIFICATE_KIND,
        valid_for=timedelta(days=config.certificate_validity_days),
        stage=Stage.APPROVED,
        action="termination.certificate_issue",
    )


@audit_refusals  # a wrong patient at the procedure stays on record though nothing else is saved
@transaction.atomic
def termination_record_procedure(
    *, activation: Any, user: Any, data: dict[str, Any], request: HttpRequest | None = None
) -> TerminationCase:
    case = TerminationCase.of(activation)
    if identifier_digest(resident_id_normalise(data["resident_id"])) != case.resident_id_digest:
        raise AuditedRefusal(
            {"resident_id": [_("This ID number does not match the certificate. Do not proceed.")]},
            actor=user,
            action="termination.id_mismatch",
            obj=case,
            request=request,
        )
    if case.certificate_valid_until and timezone.now() > case.certificate_valid_until:
        raise ValidationError(_("The certificate has expired."))
    if (
        data["procedure_date"] > timezone.localdate()
        or data["procedure_date"] < timezone.localtime(case.certificate_issued_at).date()
    ):
        raise ValidationError({"procedure_date": [_("The date must lie between the certificate's issue and today.")]})
    for field in ("procedure_date", "procedure_method", "physician_name", "physician_licence", "complications"):
        setattr(case, field, data[field])
    case.drugs = data["drugs"]
    case.fetal_sex = data["fetal_sex"]
    case.stage, case.ended_at = Stage.COMPLETED, timezone.now()
    case.save()
    signature = case_sign(activation=activation, case=case, user=user, meaning=Meaning.RECORDED, request=request)
    audit_record(
        actor=user,
        action="termination.record_procedure",
        obj=case,
        changes={
            "procedure_date": case.procedure_date,
            "method": case.procedure_method,
            "physician_licence": case.physician_licence,
            "drug_batches": [d.get("batch") for d in case.drugs],
            "signature_id": signature.pk,
        },
        request=request,
    )
    activation.execute()
    return case


def termination_withdraw(
    *, case: TerminationCase, user: Any, reason: str, request: HttpRequest | None = None
) -> TerminationCase:
    """The facility withdraws a request the bureau has not decided yet. Open tasks are cancelled."""
    return case_withdraw(case=case, user=user, reason=reason, action="termination.withdraw", request=request)
