"""Ultrasound devices, their registrations and every change to them (domain.md, "Flow 2").

A device row is the registry entry: it lives from the first filing to its
decommissioning, and carries the permanent registration number through every
amendment. Each filing, amendment, pledge renewal and unannounced check is a
case (a viewflow process) naming the device; the registry's history of a
device is its cases and their audit trail.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from permissions.models import Facility, Jurisdiction
from workflows.cases.models import Case, CaseDocument


class DeviceType(models.TextChoices):
    B_MODE = "b_mode", _("B-mode (black and white)")
    COLOUR_DOPPLER = "colour_doppler", _("Colour Doppler")
    THREE_D = "3d_4d", _("3D/4D")
    PORTABLE = "portable", _("Portable")


class DeviceStatus(models.TextChoices):
    FILED = "filed", _("Filed, not yet registered")
    REGISTERED = "registered", _("Registered")
    REFUSED = "refused", _("Registration refused")
    WITHDRAWN = "withdrawn", _("Filing withdrawn")
    DECOMMISSIONED = "decommissioned", _("Decommissioned")
    SCRAPPED = "scrapped", _("Scrapped")


# A device in one of these holds its serial number: no other filing may name the same device.
SERIAL_HOLDING_STATUSES = (DeviceStatus.FILED, DeviceStatus.REGISTERED)


class DeviceQuerySet(models.QuerySet["UltrasoundDevice"]):
    def holding_serial(self) -> DeviceQuerySet:
        return self.filter(status__in=SERIAL_HOLDING_STATUSES)

    def registered(self) -> DeviceQuerySet:
        return self.filter(status=DeviceStatus.REGISTERED)


class UltrasoundDevice(models.Model):
    """One scanner in the registry: where it is, who may operate it, and its registration."""

    facility: models.ForeignKey[Any, Any] = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="ultrasound_devices"
    )
    county: models.ForeignKey[Any, Any] = models.ForeignKey(
        Jurisdiction, verbose_name=_("county"), on_delete=models.PROTECT, related_name="ultrasound_devices"
    )
    device_type = models.CharField(_("device type"), max_length=20, choices=DeviceType.choices)
    manufacturer = models.CharField(_("manufacturer"), max_length=100)
    model = models.CharField(_("model"), max_length=100)
    serial_number = models.CharField(_("serial number"), max_length=60)
    purchase_date = models.DateField(_("purchase date"))
    invoice_number = models.CharField(_("invoice number"), max_length=60)
    seller = models.CharField(_("seller"), max_length=200)
    seller_licence = models.CharField(_("seller licence number"), max_length=60)
    room = models.CharField(_("place of use (room)"), max_length=100)
    responsible_person = models.CharField(_("responsible person"), max_length=100)

    status = models.CharField(_("status"), max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.FILED)
    filed_on = models.DateField(_("filed on"))
    filing_due_on = models.DateField(_("filing due by"))
    days_late = models.PositiveIntegerField(_("days filed late"), default=0)
    late_explanation = models.TextField(_("explanation of the late filing"), blank=True)
    flagged_for_inspection = models.BooleanField(_("flagged for inspectors"), default=False)

    registration_number = models.CharField(_("registration number"), max_length=40, unique=True, null=True, blank=True)
    certificate_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    pledges_due_on = models.DateField(_("operators' pledges due for renewal"), null=True, blank=True)
    retired_at = models.DateTimeField(_("taken out of service at"), null=True, blank=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("ultrasound device")
        verbose_name_plural = _("ultrasound devices")
        ordering = ["pk"]
        constraints = [
            # One machine, one live registration, across every county: the database decides, so that two
            # simultaneous filings of the same serial cannot both get in (services catch the IntegrityError).
            models.UniqueConstraint(
                Lower("manufacturer"),
                Lower("model"),
                "serial_number",
                condition=models.Q(status__in=SERIAL_HOLDING_STATUSES),
                name="ultrasound_device_serial_active_unique",
            ),
        ]
        indexes = [models.Index(fields=["county", "status"], name="ultrasound_county_status_idx")]

    def __str__(self) -> str:
        return self.registration_number or str(_("Device #%(pk)s") % {"pk": self.pk})

    @property
    def is_late(self) -> bool:
        return self.days_late > 0

    def active_operators(self) -> models.QuerySet[DeviceOperator]:
        return self.operators.filter(removed_at__isnull=True)

    # --- As the kit's certificate pages read a certificate (cases/certificate.html, cases/verify.html) ---

    @property
    def certificate_number(self) -> str | None:
        return self.registration_number

    @property
    def certificate_issued_at(self) -> Any:
        return self.registered_at

    @property
    def certificate_valid_until(self) -> Any:
        return self.retired_at  # a registration holds until the device is taken out of service

    def certificate_status(self, now: Any) -> tuple[str, bool]:
        """What the public verification page says of this registration, and whether it is in force."""
        return str(self.get_status_display()), self.status == DeviceStatus.REGISTERED


class DeviceOperator(models.Model):
    """A person allowed to operate a device, with the pledge they signed. Removal keeps the row, dated."""

    device = models.ForeignKey(
        UltrasoundDevice, verbose_name=_("device"), on_delete=models.PROTECT, related_name="operators"
    )
    name = models.CharField(_("operator name"), max_length=100)
    licence_number = models.CharField(_("physician licence number"), max_length=40)
    mch_certificate_number = models.CharField(_("MCH qualification certificate number"), max_length=40)
    pledge_date = models.DateField(_("pledge signed on"))
    # The operator's resident ID, kept only as the keyed digest other procedures match by
    # (workflows.cases.persons) and as its masked form: the number itself is not stored.
    resident_id_digest = models.CharField(
        _("resident ID digest"), max_length=64, blank=True, editable=False, db_index=True
    )
    resident_id_masked = models.CharField(_("resident ID (masked)"), max_length=18, blank=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device operator")
        verbose_name_plural = _("device operators")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    def as_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "licence_number": self.licence_number,
            "mch_certificate_number": self.mch_certificate_number,
            "pledge_date": self.pledge_date.isoformat(),
        }


class CaseKind(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    RELOCATION = "relocation", _("Relocation")
    OPERATOR_CHANGE = "operator_change", _("Change of operators")
    TRANSFER = "transfer", _("Transfer to another facility")
    DECOMMISSION = "decommission", _("Decommissioning")
    SCRAP = "scrap", _("Scrapping")
    PLEDGE_RENEWAL = "pledge_renewal", _("Yearly pledge renewal")
    UNANNOUNCED_CHECK = "unannounced_check", _("Unannounced check")


AMENDMENT_KINDS = (
    CaseKind.RELOCATION,
    CaseKind.OPERATOR_CHANGE,
    CaseKind.TRANSFER,
    CaseKind.DECOMMISSION,
    CaseKind.SCRAP,
)
# Changes to a device that the county cannot approve without seeing it where it stands.
ONSITE_CHECK_REQUIRED = frozenset({CaseKind.REGISTRATION, CaseKind.RELOCATION, CaseKind.TRANSFER})


class Stage(models.TextChoices):
    UNDERTAKING = "undertaking", _("Awaiting the director's signature")
    BUREAU_REVIEW = "bureau_review", _("Bureau review")
    ONSITE_CHECK = "onsite_check", _("On-site check")
    BUREAU_DECISION = "bureau_decision", _("Bureau decision")
    RECEIVING_BUREAU = "receiving_bureau", _("Awaiting the receiving county")
    RETURNED = "returned", _("Returned for information")
    PLEDGE_RENEWAL = "pledge_renewal", _("Pledges to renew")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    RENEWED = "renewed", _("Pledges renewed")
    CHECKED = "checked", _("Checked")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STAGES = frozenset(
    {
        Stage.UNDERTAKING,
        Stage.BUREAU_REVIEW,
        Stage.ONSITE_CHECK,
        Stage.BUREAU_DECISION,
        Stage.RECEIVING_BUREAU,
        Stage.RETURNED,
        Stage.PLEDGE_RENEWAL,
    }
)
WITHDRAWABLE_STAGES = frozenset({Stage.UNDERTAKING, Stage.BUREAU_REVIEW, Stage.RETURNED})


class Decision(models.TextChoices):
    """The kit's decisions (workflows.cases.models.Decision) under this procedure's labels, and its routing."""

    FORWARD = "forward", _("Sign the undertaking and send to the bureau")
    CHECK = "check", _("Send a supervisor to check on site")
    NO_CHECK = "no_check", _("No on-site check needed: to the decision")
    APPROVE = "approve", _("Approve")
    RETURN = "return", _("Return for information")
    REJECT = "reject", _("Refuse")


class UltrasoundCase(Case):
    """A filing or change about one device, from its filing to its end."""

    OPEN_STAGES = OPEN_STAGES
    WITHDRAWABLE_STAGES = WITHDRAWABLE_STAGES
    RETURNED_STAGE = Stage.RETURNED
    REJECTED_STAGE = Stage.REFUSED
    WITHDRAWN_STAGE = Stage.WITHDRAWN
    DECISION_STAGE = Stage.BUREAU_DECISION

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.UNDERTAKING)
    last_decision = models.CharField(_("last decision"), max_length=10, choices=Decision.choices, blank=True)
    kind: models.CharField[Any, Any] = models.CharField(_("kind"), max_length=20, choices=CaseKind.choices)
    device: models.ForeignKey[Any, Any] = models.ForeignKey(
        UltrasoundDevice, verbose_name=_("device"), on_delete=models.PROTECT, related_name="cases"
    )
    # What an amendment asks for: the new room and responsible person, the operators after the change.
    proposed: models.JSONField[Any, Any] = models.JSONField(_("requested change"), default=dict, blank=True)
    explanation: models.TextField[Any, Any] = models.TextField(_("explanation"), blank=True)
    target_facility: models.ForeignKey[Any, Any] = models.ForeignKey(
        Facility,
        verbose_name=_("receiving facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ultrasound_transfers_in",
    )
    target_county: models.ForeignKey[Any, Any] = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("receiving county"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ultrasound_transfers_in",
    )
    supervisor: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor sent to check"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    renewal_due_on: models.DateField[Any, Any] = models.DateField(_("renewal due by"), null=True, blank=True)

    class Meta:
        verbose_name = _("ultrasound case")
        verbose_name_plural = _("ultrasound cases")
        indexes = [models.Index(fields=["county", "stage"], name="ultrasound_case_county_idx")]
        constraints = [
            # One change at a time per device: two open amendments could each approve against the other's state.
            models.UniqueConstraint(
                fields=["device"],
                condition=models.Q(kind__in=AMENDMENT_KINDS, ended_at__isnull=True),
                name="ultrasound_case_one_open_amendment",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Ultrasound case #%(pk)s") % {"pk": self.pk})

    @property
    def crosses_counties(self) -> bool:
        return self.target_county_id is not None and self.target_county_id != self.county_id

    def signature_content(self) -> dict[str, Any]:
        """What every signature on this case binds to: the device as filed and the change asked for."""
        device = self.device
        return {
            "case": self.pk,
            "kind": self.kind,
            "revision": self.revision,
            "facility": self.facility_id,
            "device": {
                "type": device.device_type,
                "manufacturer": device.manufacturer,
                "model": device.model,
                "serial": device.serial_number,
                "purchase_date": device.purchase_date,
                "invoice": device.invoice_number,
                "seller": [device.seller, device.seller_licence],
                "room": device.room,
                "responsible": device.responsible_person,
                "operators": [operator.as_data() for operator in device.active_operators()],
            },
            "proposed": self.proposed,
            "target_facility": self.target_facility_id,
            "explanation": self.explanation,
            "documents": self.documents_signed(),
        }


class DocumentType(models.TextChoices):
    UNDERTAKING = "undertaking", _("Signed unit undertaking")
    PLEDGE = "pledge", _("Operator's signed pledge")
    PHOTO = "photo", _("On-site photo")
    OTHER = "other", _("Other")


class UltrasoundDocument(CaseDocument):
    """A scan filed with a case (the unit undertaking, pledges) or taken at a check (photos)."""

    case = models.ForeignKey(UltrasoundCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField(_("document type"), max_length=20, choices=DocumentType.choices)

    class Meta(CaseDocument.Meta):
        verbose_name = _("ultrasound document")
        verbose_name_plural = _("ultrasound documents")


class OnsiteCheck(models.Model):
    """A supervisor's signed findings at the device's place of use."""

    case = models.OneToOneField(
        UltrasoundCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="onsite_check"
    )
    device = models.ForeignKey(
        UltrasoundDevice, verbose_name=_("device"), on_delete=models.PROTECT, related_name="checks"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("supervisor"), on_delete=models.PROTECT, related_name="+"
    )
    unannounced = models.BooleanField(_("unannounced"), default=False)
    notice_displayed = models.BooleanField(_("the prohibition notice is displayed"))
    register_kept = models.BooleanField(_("the register of exams at 14 weeks and beyond is kept"))
    operators_qualified = models.BooleanField(_("the operators are qualified"))
    serial_matches = models.BooleanField(_("the serial number matches the filing"))
    findings = models.TextField(_("findings"), blank=True)
    signature = models.OneToOneField(
        "audit.Signature", verbose_name=_("signature"), on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)

    CHECKLIST = ("notice_displayed", "register_kept", "operators_qualified", "serial_matches")

    class Meta:
        verbose_name = _("on-site check")
        verbose_name_plural = _("on-site checks")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.device_id}: {self.checked_at:%Y-%m-%d}"

    @property
    def passed(self) -> bool:
        return all(getattr(self, item) for item in self.CHECKLIST)
