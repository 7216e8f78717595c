"""A request to terminate a pregnancy at or beyond the county threshold, and its records.

The case *is* the viewflow process (multi-table inheritance), so the flow's
locks, tasks and chart belong to the same row the bureau's ledger counts.
Patient identifiers are encrypted at rest; the resident ID is also kept as a
keyed hash (to check the re-entered ID at the procedure) and as a masked form
for lists.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from workflows.cases.models import CaseDocument, CertifiedCase
from workflows.cases.models import Decision as Decision  # re-exported: termination names its decisions so


class MaritalStatus(models.TextChoices):
    MARRIED = "married", _("Married")
    UNMARRIED = "unmarried", _("Unmarried")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class Pathway(models.TextChoices):
    FETAL_GENETIC = "fetal_genetic", _("Medical, fetal: serious genetic disease")
    FETAL_DEFECT = "fetal_defect", _("Medical, fetal: serious defect")
    SEX_LINKED = "sex_linked", _("Medical, fetal: sex-linked genetic disorder")
    MATERNAL = "maternal", _("Medical, maternal: serious disease")
    DIVORCED = "divorced", _("Personal: divorced during pregnancy")
    WIDOWED = "widowed", _("Personal: widowed during pregnancy")
    UNMARRIED = "unmarried", _("Personal: unmarried, with a signed commitment letter")


MEDICAL_PATHWAYS = frozenset({Pathway.FETAL_GENETIC, Pathway.FETAL_DEFECT, Pathway.SEX_LINKED, Pathway.MATERNAL})
PERSONAL_PATHWAYS = frozenset({Pathway.DIVORCED, Pathway.WIDOWED, Pathway.UNMARRIED})


class DocumentType(models.TextChoices):
    ID_CARD = "id_card", _("Resident ID card (copy)")
    REFERRAL_LETTER = "referral_letter", _("Referral letter")
    PRENATAL_DIAGNOSIS = "prenatal_diagnosis_cert", _("Prenatal diagnosis certificate")
    MEDICAL_OPINION = "medical_opinion", _("Sex-determination opinion of a prenatal-diagnosis centre")
    DISEASE_DIAGNOSIS = "disease_diagnosis_cert", _("Disease diagnosis certificate (county level or higher)")
    DIVORCE_CERTIFICATE = "divorce_certificate", _("Divorce certificate or judgment")
    DEATH_CERTIFICATE = "death_certificate", _("Spouse's death certificate")
    UNMARRIED_COMMITMENT = "unmarried_commitment", _("Unmarried patient's commitment letter")
    EMERGENCY_RECORD = "emergency_record", _("Emergency clinical record")
    OTHER = "other", _("Other")


# Documents each pathway needs, on top of the ID card copy every case needs.
REQUIRED_DOCUMENTS: dict[str, tuple[str, ...]] = {
    Pathway.FETAL_GENETIC: (DocumentType.PRENATAL_DIAGNOSIS,),
    Pathway.FETAL_DEFECT: (DocumentType.PRENATAL_DIAGNOSIS,),
    Pathway.SEX_LINKED: (DocumentType.PRENATAL_DIAGNOSIS, DocumentType.MEDICAL_OPINION),
    Pathway.MATERNAL: (DocumentType.DISEASE_DIAGNOSIS,),
    Pathway.DIVORCED: (DocumentType.DIVORCE_CERTIFICATE,),
    Pathway.WIDOWED: (DocumentType.DEATH_CERTIFICATE,),
    Pathway.UNMARRIED: (DocumentType.UNMARRIED_COMMITMENT,),
}


def required_documents(*, pathway: str, emergency: bool) -> list[str]:
    needed = [DocumentType.ID_CARD.value, *REQUIRED_DOCUMENTS.get(pathway, ())]
    if emergency:
        needed.append(DocumentType.EMERGENCY_RECORD.value)
    return needed


class Stage(models.TextChoices):
    PANEL = "panel", _("Expert panel")
    FACILITY_REVIEW = "facility_review", _("Facility director review")
    RETURNED = "returned", _("Returned for information")
    BUREAU_REVIEW = "bureau_review", _("Bureau decision")
    APPROVED = "approved", _("Approved, awaiting procedure")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Certificate expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Meaning(models.TextChoices):
    """Termination's own signature meanings (registered in apps.py); the shared ones are audit's Signature.Meaning."""

    EXPERT_AGREES = "expert_agrees", _("Expert opinion: agrees")
    EXPERT_DISAGREES = "expert_disagrees", _("Expert opinion: disagrees")
    RECORDED = "recorded", _("Procedure recorded")


# A dissent must give its grounds, as a return or a rejection must.
REASON_REQUIRED_MEANINGS = frozenset({Meaning.EXPERT_DISAGREES})

# The NumberSequence kind of its certificates, and the /verify/<kind>/... segment of their QR codes.
CERTIFICATE_KIND = "termination"


class FetalSex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNDETERMINED = "undetermined", _("Undetermined")


class ProcedureMethod(models.TextChoices):
    MEDICAL_INDUCTION = "medical_induction", _("Medical induction (drugs)")
    ETHACRIDINE = "ethacridine", _("Intra-amniotic ethacridine induction")
    DILATATION_EVACUATION = "dilatation_evacuation", _("Dilatation and evacuation")
    HYSTEROTOMY = "hysterotomy", _("Hysterotomy")
    OTHER = "other", _("Other")


class TerminationCase(CertifiedCase):
    """One request, from submission to its end. Patient fields are encrypted at rest."""

    OPEN_STAGES = frozenset({Stage.PANEL, Stage.FACILITY_REVIEW, Stage.RETURNED, Stage.BUREAU_REVIEW})
    WITHDRAWABLE_STAGES = OPEN_STAGES
    RETURNED_STAGE = Stage.RETURNED
    REJECTED_STAGE = Stage.REJECTED
    WITHDRAWN_STAGE = Stage.WITHDRAWN
    EXPIRED_STAGE = Stage.EXPIRED
    DECISION_STAGE = Stage.BUREAU_REVIEW

    # facility, county, submitted_by, revision, the decision and its clock, the certificate: workflows.cases.
    stage: models.CharField[Any, Any] = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.FACILITY_REVIEW
    )

    patient_name: Any = EncryptedTextField(_("patient name"))
    resident_id: Any = EncryptedTextField(_("resident ID number"))
    resident_id_digest: models.CharField[Any, Any] = models.CharField(
        _("resident ID digest"), max_length=64, editable=False
    )
    resident_id_masked: models.CharField[Any, Any] = models.CharField(_("resident ID (masked)"), max_length=18)
    marital_status: models.CharField[Any, Any] = models.CharField(
        _("marital status"), max_length=20, choices=MaritalStatus.choices
    )
    gestational_weeks: models.PositiveSmallIntegerField[Any, Any] = models.PositiveSmallIntegerField(
        _("gestational age (weeks)")
    )
    gestational_days: models.PositiveSmallIntegerField[Any, Any] = models.PositiveSmallIntegerField(
        _("gestational age (days)"), default=0
    )
    lmp_date: models.DateField[Any, Any] = models.DateField(_("last menstrual period"))
    pathway: models.CharField[Any, Any] = models.CharField(_("pathway"), max_length=20, choices=Pathway.choices)
    emergency: models.BooleanField[Any, Any] = models.BooleanField(
        _("emergency (procedure already performed)"), default=False
    )
    emergency_justification: models.TextField[Any, Any] = models.TextField(_("emergency justification"), blank=True)
    flagged_for_inspection: models.BooleanField[Any, Any] = models.BooleanField(
        _("flagged for inspectors"), default=False
    )

    panel_dissent: models.BooleanField[Any, Any] = models.BooleanField(_("an expert dissented"), default=False)
    # Opinions given at this revision or later are the current panel's; an amendment of a fact the panel
    # judged moves it forward, so that the earlier panel's opinions stop counting (services.termination_amend).
    panel_revision: models.PositiveIntegerField[Any, Any] = models.PositiveIntegerField(
        _("revision the current panel judges"), default=1
    )

    procedure_date: models.DateField[Any, Any] = models.DateField(_("procedure date"), null=True, blank=True)
    procedure_method: models.CharField[Any, Any] = models.CharField(
        _("method"), max_length=30, choices=ProcedureMethod.choices, blank=True
    )
    physician_name: models.CharField[Any, Any] = models.CharField(_("performing physician"), max_length=100, blank=True)
    physician_licence: models.CharField[Any, Any] = models.CharField(
        _("physician licence number"), max_length=50, blank=True
    )
    drugs: models.JSONField[Any, Any] = models.JSONField(_("drugs and batch numbers"), default=list, blank=True)
    fetal_sex: Any = EncryptedTextField(_("fetal sex"), blank=True)
    complications: models.TextField[Any, Any] = models.TextField(_("complications"), blank=True)

    class Meta:
        verbose_name = _("termination case")
        verbose_name_plural = _("termination cases")
        indexes = [
            models.Index(fields=["county", "stage"], name="termination_county_stage_idx"),
            models.Index(fields=["facility", "stage"], name="termination_facility_stage_idx"),
            # The case list: a county's (or a facility's) cases, newest first, read from the index in order.
            models.Index(fields=["county", "process_ptr"], name="termination_county_new_idx"),
            models.Index(fields=["facility", "process_ptr"], name="termination_facility_new_idx"),
            # The bureau's decisions by deadline (workflows.cases.selectors.tasks_by_case_deadline): the cases
            # waiting for a decision, out of a county's years of decided ones, in deadline order.
            models.Index(
                fields=["county", "decision_due_at", "process_ptr"],
                condition=models.Q(stage=Stage.BUREAU_REVIEW),
                name="termination_decision_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Termination case #%(pk)s") % {"pk": self.pk})

    @property
    def is_medical(self) -> bool:
        return self.pathway in MEDICAL_PATHWAYS

    def opinion_is_current(self, opinion: ExpertOpinion) -> bool:
        """Whether an opinion belongs to the current panel (not one an amendment superseded)."""
        return opinion.revision >= self.panel_revision

    @property
    def fetal_sex_label(self) -> str:
        return str(FetalSex(self.fetal_sex).label) if self.fetal_sex in FetalSex.values else ""

    def signature_content(self) -> dict[str, Any]:
        """What every signature on this case binds to: the request as submitted or last amended."""
        return {
            "case": self.pk,
            "revision": self.revision,
            "facility": self.facility_id,
            "patient_name": self.patient_name,
            "resident_id_digest": self.resident_id_digest,
            "marital_status": self.marital_status,
            "gestation": [self.gestational_weeks, self.gestational_days],
            "lmp_date": self.lmp_date,
            "pathway": self.pathway,
            "emergency": self.emergency,
            "emergency_justification": self.emergency_justification,
            "documents": self.documents_signed(),
        }


def document_upload_to(instance: Any, filename: str) -> str:
    # Scans lived on disk until migration 0003 moved them into the database; 0001 still names this function.
    return f"termination/{secrets.token_hex(16)}"


class TerminationDocument(CaseDocument):
    """A scan filed with a case (workflows.cases.models.CaseDocument)."""

    case = models.ForeignKey(
        TerminationCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="documents"
    )
    doc_type = models.CharField(_("document type"), max_length=30, choices=DocumentType.choices)


class ExpertOpinion(models.Model):
    case = models.ForeignKey(TerminationCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="opinions")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="+"
    )
    agrees = models.BooleanField(_("agrees that the medical grounds are met"))
    reason = models.TextField(_("opinion"))
    signature = models.OneToOneField(
        "audit.Signature", verbose_name=_("signature"), on_delete=models.PROTECT, related_name="+"
    )
    revision = models.PositiveIntegerField(_("revision"))
    created_at = models.DateTimeField(_("given at"), auto_now_add=True)

    class Meta:
        verbose_name = _("expert opinion")
        verbose_name_plural = _("expert opinions")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "expert"], name="termination_opinion_one_per_expert"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.expert_id}"


# The county's rules and the facilities' designations (their own module; importing them registers them).
from .rules import TerminationCountyRules, TerminationDesignation  # noqa: E402, F401
