"""What every procedure's case and documents have in common (docs/kit.md).

A procedure's case model subclasses ``Case`` (or ``CertifiedCase`` when an
approval issues a numbered certificate): the case *is* its viewflow process
(multi-table inheritance), so the flow's locks and tasks belong to the row the
bureau's ledger counts. The procedure adds its own fields, redeclares ``stage``
with its choices, and declares its stages once as class attributes
(``OPEN_STAGES``, ``WITHDRAWABLE_STAGES``, ``RETURNED_STAGE``...), which the
kit's services read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from documents.models import StoredDocument
from permissions.models import Facility, Jurisdiction


class Decision(models.TextChoices):
    """What a signing reviewer decides. A procedure offers a subset at each step."""

    FORWARD = "forward", _("Forward to the bureau")
    APPROVE = "approve", _("Approve and issue a certificate")
    RETURN = "return", _("Return for information")
    REJECT = "reject", _("Reject")


# The decisions that need a reason, and end or send back a case: checked in one place, decision_reason_check.
REASONED_DECISIONS = frozenset({Decision.RETURN, Decision.REJECT})


class Case(Process):
    """One request of a procedure, from submission to its end."""

    # --- Declared once by each procedure (class attributes, not columns) -----------------
    # Stages in which the case is still open, and in which its facility may withdraw it.
    OPEN_STAGES: ClassVar[frozenset[str]] = frozenset()
    WITHDRAWABLE_STAGES: ClassVar[frozenset[str]] = frozenset()
    # The stages the kit's services move a case to.
    RETURNED_STAGE: ClassVar[str] = "returned"
    REJECTED_STAGE: ClassVar[str] = "rejected"
    WITHDRAWN_STAGE: ClassVar[str] = "withdrawn"
    EXPIRED_STAGE: ClassVar[str] = "expired"
    DECISION_STAGE: ClassVar[str] = "bureau_review"  # where a decision clock (case_decision_open) puts the case

    facility: models.ForeignKey[Any, Any] = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="%(app_label)s_cases"
    )
    county: models.ForeignKey[Any, Any] = models.ForeignKey(
        Jurisdiction, verbose_name=_("county"), on_delete=models.PROTECT, related_name="%(app_label)s_cases"
    )
    submitted_by: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    # A procedure redeclares this field with its own choices and first stage.
    stage: models.CharField[Any, Any] = models.CharField(_("stage"), max_length=20)
    revision: models.PositiveIntegerField[Any, Any] = models.PositiveIntegerField(_("revision"), default=1)

    last_decision: models.CharField[Any, Any] = models.CharField(
        _("last decision"), max_length=10, choices=Decision.choices, blank=True
    )
    last_reason: models.TextField[Any, Any] = models.TextField(_("reason given with the last decision"), blank=True)

    # The decision clock: opened by case_decision_open, reminded by case_deadline_reminders_send,
    # escalated by case_escalate.
    decision_due_at: models.DateTimeField[Any, Any] = models.DateTimeField(
        _("bureau decision due"), null=True, blank=True
    )
    escalated_at: models.DateTimeField[Any, Any] = models.DateTimeField(_("escalated at"), null=True, blank=True)
    decision_reminded_at: models.DateTimeField[Any, Any] = models.DateTimeField(
        _("deadline reminder sent at"), null=True, blank=True
    )

    ended_at: models.DateTimeField[Any, Any] = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def of(cls, process_or_activation: Any) -> Any:
        """The case behind a viewflow process, activation or task (viewflow hands out the base Process)."""
        process = getattr(process_or_activation, "process", process_or_activation)
        if isinstance(process, cls):
            return process
        return cls._default_manager.get(pk=process.pk)

    @property
    def is_open(self) -> bool:
        return self.stage in self.OPEN_STAGES

    @property
    def amend_action(self) -> str:
        """The audit action of an amendment: amenders are kept from approving (four-eyes)."""
        return f"{self._meta.app_label}.amend"

    def four_eyes_entered_by(self) -> set[int]:
        """The submitter and everyone who amended the request: none of them may approve it."""
        from audit.models import AuditEvent
        from audit.services import object_ref

        object_type, object_id = object_ref(self)
        amenders = AuditEvent.objects.filter(
            object_type=object_type, object_id=object_id, action=self.amend_action
        ).values_list("actor_id", flat=True)
        return {self.submitted_by_id, *(pk for pk in amenders if pk is not None)}

    def four_eyes_facility_id(self) -> int | None:
        return self.facility_id

    # The same two rules in SQL, for deciding a whole queue page at once (workflows.takeability).
    four_eyes_facility_field: ClassVar[str] = "facility"

    @classmethod
    def four_eyes_entered_condition(cls, *, user_pk: int, case_pk: Any) -> models.Q:
        """four_eyes_entered_by as a condition correlated on ``case_pk``: the submitter, or an amendment's author."""
        from django.db.models import Exists
        from django.db.models.functions import Cast

        from audit.models import AuditEvent

        amended = AuditEvent.objects.filter(
            object_type=f"{cls._meta.app_label}.{cls._meta.model_name}",
            object_id=Cast(case_pk, models.CharField()),
            action=f"{cls._meta.app_label}.amend",
            actor_id=user_pk,
        )
        submitted = cls._default_manager.filter(pk=case_pk, submitted_by_id=user_pk)
        return models.Q(Exists(submitted)) | models.Q(Exists(amended))

    def audit_scope(self) -> tuple[int, int]:
        return self.county_id, self.facility_id

    def signature_content(self) -> dict[str, Any]:
        """What every signature on this case binds to: the request as submitted or last amended."""
        raise NotImplementedError(f"{type(self).__name__} must say what its signatures bind to")

    def documents_signed(self) -> list[dict[str, Any]]:
        """The documents of the current revision, as a signature binds them (for signature_content)."""
        documents = getattr(self, "documents", None)
        if documents is None:
            return []
        return [
            {
                "type": d.doc_type,
                "number": d.number,
                "issuer": d.issuer,
                "issued_on": d.issued_on,
                "original": d.is_original,
                "sha256": d.sha256,
            }
            for d in documents.filter(revision__lte=self.revision, withdrawn_at__isnull=True).order_by("pk")
        ]


class CertifiedCase(Case):
    """A case whose approval issues a numbered certificate (case_certificate_issue), checked at /verify/<kind>/..."""

    CERTIFIED_STAGE: ClassVar[str] = "approved"  # the certificate is valid while the case is here
    COMPLETED_STAGE: ClassVar[str] = "completed"  # the certificate has been used

    certificate_number: models.CharField[Any, Any] = models.CharField(
        _("certificate number"), max_length=32, unique=True, null=True, blank=True
    )
    certificate_token: models.CharField[Any, Any] = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    certificate_issued_at: models.DateTimeField[Any, Any] = models.DateTimeField(
        _("certificate issued"), null=True, blank=True
    )
    certificate_valid_until: models.DateTimeField[Any, Any] = models.DateTimeField(
        _("certificate valid until"), null=True, blank=True
    )

    class Meta:
        abstract = True

    def certificate_status(self, now: datetime) -> tuple[str, bool]:
        """What the public verification page says of the certificate, and whether it is valid now."""
        if self.stage == self.COMPLETED_STAGE:
            return str(_("Used: the procedure has been recorded")), False
        if self.stage == self.EXPIRED_STAGE or (self.certificate_valid_until and self.certificate_valid_until < now):
            return str(_("Expired")), False
        if self.stage == self.CERTIFIED_STAGE:
            return str(_("Valid")), True
        return str(_("Not valid")), False


class CaseDocument(StoredDocument):
    """A scan filed with a case. The procedure declares ``case`` (its FK, related_name="documents") and ``doc_type``.

    Its content is a ``documents.Blob``; the hash it records is signed with the case.
    """

    number = models.CharField(_("document number"), max_length=60)
    issuer = models.CharField(_("issued by"), max_length=200)
    issued_on = models.DateField(_("issue date"))
    is_original = models.BooleanField(_("original (not a copy)"), default=False)
    revision = models.PositiveIntegerField(_("added in revision"), default=1)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    case: Any
    doc_type: Any

    class Meta(StoredDocument.Meta):
        abstract = True
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} {self.number}"  # type: ignore[attr-defined]


class NumberSequence(models.Model):
    """The last number drawn of one kind (a certificate, a registration) in a county and year.

    Numbers are never reused: a row is locked while a number is drawn (numbers.number_draw).
    """

    kind = models.CharField(_("kind"), max_length=30)
    county = models.ForeignKey(Jurisdiction, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number issued"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [models.UniqueConstraint(fields=["kind", "county", "year"], name="cases_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.county_id}-{self.year}: {self.last_number}"


class CountyRules(models.Model):
    """A procedure's rules for one county (its reference data), one row per county. The procedure declares
    ``county`` (a OneToOneField to a county Jurisdiction, its own ``related_name``) and its rule fields, named in
    ``RULE_FIELDS``; rows are created and changed through ``permissions.services.county_rules_create`` and
    ``county_rules_update``, audited as ``<AUDIT_ACTION>.create``/``.update`` (admin: ``CountyRulesAdmin``)."""

    AUDIT_ACTION: ClassVar[str]
    RULE_FIELDS: ClassVar[tuple[str, ...]]
    county: Any
    county_id: Any

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.county)

    def clean(self) -> None:
        if self.county_id and self.county.level != Jurisdiction.Level.COUNTY:
            raise ValidationError({"county": _("Configuration belongs to a county.")})
