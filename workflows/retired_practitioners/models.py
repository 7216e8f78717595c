"""Retired OB/GYN practitioners on file with their home county (domain.md, "Flow 3").

A ``RetiredPractitioner`` row is the register entry: it lives from the
facility's filing to the practitioner's death (or the filing's withdrawal), and
follows the practitioner from county to county. Each filing, yearly follow-up,
recorded event (re-employment, a move, a death) and cross-check is a case (a
viewflow process) naming the entry; the entry's history is its cases and their
audit trail.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from permissions.models import Facility, Jurisdiction, Profile
from workflows.cases.models import Case, CaseDocument


class Activity(models.TextChoices):
    NONE = "none", _("No professional activity")
    REEMPLOYED = "reemployed", _("Re-employed at a facility")
    PRIVATE_PRACTICE = "private_practice", _("Private practice")
    MOVED_AWAY = "moved_away", _("Moved away")


class PractitionerStatus(models.TextChoices):
    FILED = "filed", _("Filed, not yet verified")
    ON_FILE = "on_file", _("On file")
    WITHDRAWN = "withdrawn", _("Filing withdrawn")
    DECEASED = "deceased", _("Deceased: filing closed")


# An entry in one of these holds the person: no second filing of the same resident ID.
LIVE_STATUSES = (PractitionerStatus.FILED, PractitionerStatus.ON_FILE)


class PractitionerQuerySet(models.QuerySet["RetiredPractitioner"]):
    def live(self) -> PractitionerQuerySet:
        return self.filter(status__in=LIVE_STATUSES)

    def on_file(self) -> PractitionerQuerySet:
        return self.filter(status=PractitionerStatus.ON_FILE)


class RetiredPractitioner(models.Model):
    """One retired doctor or ultrasound operator, kept on file by the bureau of the county they live in."""

    name = models.CharField(_("name"), max_length=100)
    resident_id: Any = EncryptedTextField(_("resident ID number"))
    resident_id_digest = models.CharField(_("resident ID digest"), max_length=64, editable=False, db_index=True)
    resident_id_masked = models.CharField(_("resident ID (masked)"), max_length=18)
    former_facility = models.ForeignKey(
        Facility, verbose_name=_("former facility"), on_delete=models.PROTECT, related_name="retired_practitioners"
    )
    former_department = models.CharField(_("former department"), max_length=100)
    title = models.CharField(_("professional title"), max_length=20, choices=Profile.Rank.choices)
    physician_licence_number = models.CharField(_("physician licence number"), max_length=40)
    mch_certificate_number = models.CharField(_("MCH qualification certificate number"), max_length=40, blank=True)
    retirement_date = models.DateField(_("retirement date"))
    # The home county is the township's parent: its bureau keeps the entry and follows it up.
    home_township = models.ForeignKey(
        Jurisdiction, verbose_name=_("home township"), on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        Jurisdiction, verbose_name=_("home county"), on_delete=models.PROTECT, related_name="retired_practitioners"
    )
    address: Any = EncryptedTextField(_("address"))
    contact: Any = EncryptedTextField(_("contact telephone"))
    activity = models.CharField(_("current activity"), max_length=20, choices=Activity.choices)
    employer = models.ForeignKey(
        Facility,
        verbose_name=_("re-employed at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reemployed_practitioners",
    )
    activity_note = models.CharField(_("details of the activity"), max_length=200, blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=PractitionerStatus.choices, default=PractitionerStatus.FILED
    )
    filed_on = models.DateField(_("filed on"))
    filing_due_on = models.DateField(_("filing due by"))
    days_late = models.PositiveIntegerField(_("days filed late"), default=0)
    late_explanation = models.TextField(_("explanation of the late filing"), blank=True)
    flagged = models.BooleanField(_("flagged for the bureau"), default=False)
    pledge_signed_on = models.DateField(_("pledge signed on"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    follow_up_due_on = models.DateField(_("next follow-up due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = PractitionerQuerySet.as_manager()

    class Meta:
        verbose_name = _("retired practitioner")
        verbose_name_plural = _("retired practitioners")
        ordering = ["pk"]
        constraints = [
            # One live entry per person, across every county: two facilities filing the same person at once
            # cannot both get in (services catch the IntegrityError).
            models.UniqueConstraint(
                fields=["resident_id_digest"],
                condition=models.Q(status__in=LIVE_STATUSES),
                name="retired_practitioner_one_live_entry",
            ),
        ]
        indexes = [models.Index(fields=["county", "status", "id"], name="retired_county_status_idx")]

    def __str__(self) -> str:
        return str(_("Retired practitioner #%(pk)s") % {"pk": self.pk})

    @property
    def is_late(self) -> bool:
        return self.days_late > 0

    def as_signed(self) -> dict[str, Any]:
        """What a signature on a case of this entry binds to (the identifier by its digest only)."""
        return {
            "name": self.name,
            "resident_id_digest": self.resident_id_digest,
            "former_facility": self.former_facility_id,
            "department": self.former_department,
            "title": self.title,
            "licence": self.physician_licence_number,
            "mch_certificate": self.mch_certificate_number,
            "retirement_date": self.retirement_date,
            "home_township": self.home_township_id,
            "activity": self.activity,
            "employer": self.employer_id,
            "pledge_signed_on": self.pledge_signed_on,
        }


class CaseKind(models.TextChoices):
    FILING = "filing", _("Filing on retirement")
    FOLLOW_UP = "follow_up", _("Yearly follow-up")
    REEMPLOYMENT = "reemployment", _("Re-employment at a facility")
    MOVE = "move", _("Move to another county")
    DEATH = "death", _("Death")
    CROSS_CHECK = "cross_check", _("Cross-check finding")


EVENT_KINDS = (CaseKind.REEMPLOYMENT, CaseKind.MOVE, CaseKind.DEATH)


class Stage(models.TextChoices):
    SIGNING = "signing", _("Awaiting the director's signature")
    VERIFICATION = "verification", _("Verification by the home county")
    RETURNED = "returned", _("Returned for information")
    FOLLOW_UP = "follow_up", _("Follow-up due")
    HANDOVER = "handover", _("Awaiting the receiving county")
    CROSS_CHECK = "cross_check", _("Cross-check to review")
    ON_FILE = "on_file", _("Verified: on file")
    FOLLOWED_UP = "followed_up", _("Followed up")
    RECORDED = "recorded", _("Recorded")
    HANDED_OVER = "handed_over", _("Handed over")
    CHECKED = "checked", _("Cross-check reviewed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed with the filing")


OPEN_STAGES = frozenset(
    {Stage.SIGNING, Stage.VERIFICATION, Stage.RETURNED, Stage.FOLLOW_UP, Stage.HANDOVER, Stage.CROSS_CHECK}
)
WITHDRAWABLE_STAGES = frozenset({Stage.SIGNING, Stage.VERIFICATION, Stage.RETURNED})


class Decision(models.TextChoices):
    """The kit's decisions (workflows.cases.models.Decision) under this procedure's labels."""

    FORWARD = "forward", _("Sign the filing and send it to the home county")
    APPROVE = "approve", _("Accept: put on file")
    RETURN = "return", _("Return for information")


class PractitionerCase(Case):
    """A filing, follow-up, event or cross-check about one retired practitioner."""

    OPEN_STAGES = OPEN_STAGES
    WITHDRAWABLE_STAGES = WITHDRAWABLE_STAGES
    RETURNED_STAGE = Stage.RETURNED
    WITHDRAWN_STAGE = Stage.WITHDRAWN
    DECISION_STAGE = Stage.VERIFICATION

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.SIGNING)
    last_decision = models.CharField(_("last decision"), max_length=10, choices=Decision.choices, blank=True)
    kind: models.CharField[Any, Any] = models.CharField(_("kind"), max_length=20, choices=CaseKind.choices)
    practitioner: models.ForeignKey[Any, Any] = models.ForeignKey(
        RetiredPractitioner, verbose_name=_("practitioner"), on_delete=models.PROTECT, related_name="cases"
    )
    # What an event or a follow-up recorded (no identifiers: the entry holds them).
    details: models.JSONField[Any, Any] = models.JSONField(_("details"), default=dict, blank=True)
    explanation: models.TextField[Any, Any] = models.TextField(_("explanation"), blank=True)
    target_county: models.ForeignKey[Any, Any] = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("receiving county"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retired_practitioner_handovers_in",
    )
    due_on: models.DateField[Any, Any] = models.DateField(_("due by"), null=True, blank=True)

    class Meta:
        verbose_name = _("retired practitioner case")
        verbose_name_plural = _("retired practitioner cases")
        indexes = [models.Index(fields=["county", "stage"], name="retired_case_county_idx")]
        constraints = [
            # One follow-up at a time per practitioner: two dispatchers never open two.
            models.UniqueConstraint(
                fields=["practitioner"],
                condition=models.Q(kind="follow_up", ended_at__isnull=True),
                name="retired_case_one_open_follow_up",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Practitioner case #%(pk)s") % {"pk": self.pk})

    def signature_content(self) -> dict[str, Any]:
        return {
            "case": self.pk,
            "kind": self.kind,
            "revision": self.revision,
            "facility": self.facility_id,
            "county": self.county_id,
            "practitioner": self.practitioner.as_signed(),
            "details": self.details,
            "target_county": self.target_county_id,
            "explanation": self.explanation,
            "documents": self.documents_signed(),
        }


class DocumentType(models.TextChoices):
    PLEDGE = "pledge", _("Signed personal pledge")
    RENEWED_PLEDGE = "renewed_pledge", _("Renewed personal pledge")
    OTHER = "other", _("Other")


class PractitionerDocument(CaseDocument):
    """A scan filed with a case: the signed pledge, its yearly renewal, evidence of an event."""

    case = models.ForeignKey(
        PractitionerCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="documents"
    )
    doc_type = models.CharField(_("document type"), max_length=20, choices=DocumentType.choices)

    class Meta(CaseDocument.Meta):
        verbose_name = _("practitioner document")
        verbose_name_plural = _("practitioner documents")
