"""The birth register and its monthly reports (domain.md, "Later controls": 出生死亡登记报告).

An entry is one event a delivery facility records within 24 hours: a birth,
an infant death or a late miscarriage (28 weeks and over). The mother's
resident ID is kept only as a keyed digest (core.fields.identifier_digest),
for de-duplication. Entries are grouped by facility and month; the month's
``MonthlyBirthReport`` (a kit Case) is signed by the facility director, checked
by the township health centre and accepted by the county bureau. A signed
entry is never edited: an amendment replaces it with a new row (``replaces``)
and the report goes back to the director for a new signature. An accepted
report is corrected by a new report of the same month (``corrects``) that goes
through the same steps; once accepted it supersedes the earlier one, whose
signed register and figures stay as they were signed (``signed_entries``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from permissions.models import Facility, Jurisdiction
from workflows.cases.models import Case

# Facility kinds that deliver babies and so keep a birth register (docs/births.md): private clinics do not
# deliver in this system, "other" facilities neither.
DELIVERING_KINDS = (
    Facility.Kind.COUNTY_HOSPITAL,
    Facility.Kind.MCH_HOSPITAL,
    Facility.Kind.TOWNSHIP_CENTRE,
)

ENTRY_WINDOW = dt.timedelta(hours=24)  # an entry later than this after the event needs a reason and is flagged
SIGN_DUE_DAY = 5  # the director signs the month's register by the 5th of the next month
CHECK_DUE_DAY = 10  # the township centre checks it by the 10th
LATE_MISCARRIAGE_WEEKS = 28
MIN_WEIGHT_GRAMS = 300
MAX_WEIGHT_GRAMS = 7000
MAX_PLURALITY = 6


class EntryKind(models.TextChoices):
    BIRTH = "birth", _("Birth")
    INFANT_DEATH = "infant_death", _("Infant death")
    LATE_MISCARRIAGE = "late_miscarriage", _("Late miscarriage (28 weeks and over)")


class Sex(models.TextChoices):
    # Boys and girls, as the sex ratio at birth counts them.
    MALE = "male", _("Boy")
    FEMALE = "female", _("Girl")
    UNDETERMINED = "undetermined", _("Undetermined")


class Outcome(models.TextChoices):
    LIVE_BIRTH = "live_birth", _("Live birth")
    STILLBIRTH = "stillbirth", _("Stillbirth")
    EARLY_NEONATAL_DEATH = "early_neonatal_death", _("Early neonatal death")


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


class EntryQuerySet(models.QuerySet["BirthEntry"]):
    def current(self) -> EntryQuerySet:
        """Entries that count: not replaced by an amendment."""
        return self.filter(replaced_at__isnull=True)


class BirthEntry(models.Model):
    """One birth, infant death or late miscarriage recorded by the facility where it happened."""

    facility = models.ForeignKey(Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(Jurisdiction, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))  # the first day of the month of the event: the report it belongs to
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices, default=EntryKind.BIRTH)
    occurred_at = models.DateTimeField(_("delivered or died at"))
    event_date = models.DateField(_("date of the event"))  # local date of occurred_at (duplicates are per day)
    sex = models.CharField(_("infant sex"), max_length=12, choices=Sex.choices)
    birth_weight_grams = models.PositiveSmallIntegerField(_("birth weight (grams)"), null=True, blank=True)
    plurality = models.PositiveSmallIntegerField(_("plurality"), default=1)
    birth_order = models.PositiveSmallIntegerField(_("birth order within the set"), default=1)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    gestation_weeks = models.PositiveSmallIntegerField(_("weeks of gestation"), null=True, blank=True)
    cause = models.TextField(_("cause"), blank=True)
    mother_township = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("mother's township of residence"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Jurisdiction.Level.TOWNSHIP},
    )
    # The mother's resident ID as a keyed digest only: it is never stored in clear, never shown.
    mother_digest = models.CharField(_("mother's resident ID digest"), max_length=64, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"))
    is_late = models.BooleanField(_("entered late"), default=False)
    late_reason = models.TextField(_("reason for the late entry"), blank=True)
    # An amendment: the entry this one corrects, and when a later amendment replaced this one.
    replaces = models.OneToOneField(
        "self", verbose_name=_("corrects entry"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="replacement",
    )  # fmt: skip
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    amendment_reason = models.TextField(_("reason for the amendment"), blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("birth register entry")
        verbose_name_plural = _("birth register entries")
        ordering = ["pk"]
        indexes = [models.Index(fields=["facility", "month"], name="births_entry_facility_month")]
        constraints = [
            # The same mother, day and birth order is the same baby: the database refuses it even under a race.
            models.UniqueConstraint(
                fields=["mother_digest", "event_date", "birth_order"],
                condition=models.Q(kind="birth", replaced_at__isnull=True),
                name="births_entry_no_duplicate_birth",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Entry #%(pk)s") % {"pk": self.pk})

    def audit_scope(self) -> tuple[int, int]:
        return self.county_id, self.facility_id

    def signed_fields(self) -> list[Any]:
        """What a report's signature binds of this entry: its id and every counted field."""
        return [
            self.pk,
            self.kind,
            self.occurred_at.isoformat(),
            self.sex,
            self.outcome,
            self.plurality,
            self.birth_order,
            self.birth_weight_grams,
            self.mother_township_id,
            self.mother_digest,
        ]


class Stage(models.TextChoices):
    SIGNING = "signing", _("Awaiting the director's signature")
    TOWNSHIP_CHECK = "township_check", _("Township health centre check")
    BUREAU_ACCEPT = "bureau_accept", _("Awaiting the bureau's acceptance")
    RETURNED = "returned", _("Returned for amendment")
    ACCEPTED = "accepted", _("Accepted")


OPEN_STAGES = frozenset({Stage.SIGNING, Stage.TOWNSHIP_CHECK, Stage.BUREAU_ACCEPT, Stage.RETURNED})
# Stages in which the month's register may still change (new entries, amendments): before a signature holds it.
EDITABLE_STAGES = frozenset({Stage.SIGNING, Stage.RETURNED})


class Decision(models.TextChoices):
    """The kit's decisions under this procedure's labels."""

    FORWARD = "forward", _("Sign the register and send it on")
    APPROVE = "approve", _("Accept the report")
    RETURN = "return", _("Return for amendment")


class MonthlyBirthReport(Case):
    """One facility's register for one month: signed by its director, checked, accepted."""

    OPEN_STAGES = OPEN_STAGES
    WITHDRAWABLE_STAGES = frozenset()  # a month's report is never withdrawn: it is amended
    RETURNED_STAGE = Stage.RETURNED
    REJECTED_STAGE = Stage.RETURNED  # nothing rejects a report: it is returned
    DECISION_STAGE = Stage.BUREAU_ACCEPT

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.SIGNING)
    last_decision = models.CharField(_("last decision"), max_length=10, choices=Decision.choices, blank=True)
    month: models.DateField[Any, Any] = models.DateField(_("month"))
    # The township health centre that checks the report (None: the facility is that centre, or has none).
    checking_facility: models.ForeignKey[Any, Any] = models.ForeignKey(
        Facility,
        verbose_name=_("checking township health centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counts: models.JSONField[Any, Any] = models.JSONField(_("counts at the last signature"), default=dict, blank=True)
    signed_at: models.DateTimeField[Any, Any] = models.DateTimeField(_("last signed at"), null=True, blank=True)
    first_signed_at: models.DateTimeField[Any, Any] = models.DateTimeField(_("first signed at"), null=True, blank=True)
    accepted_at: models.DateTimeField[Any, Any] = models.DateTimeField(_("accepted at"), null=True, blank=True)
    # The entries the last signature bound (their ids): what this report says, whatever a later correction does.
    signed_entries: models.JSONField[Any, Any] = models.JSONField(
        _("entries at the last signature"), null=True, blank=True, editable=False
    )
    # A correction after acceptance: the accepted report it corrects; and when a later one superseded this one.
    corrects: models.OneToOneField[Any, Any] = models.OneToOneField(
        "self",
        verbose_name=_("corrects report"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="correction",
    )
    superseded_at: models.DateTimeField[Any, Any] = models.DateTimeField(
        _("superseded by a correction at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("monthly birth report")
        verbose_name_plural = _("monthly birth reports")
        indexes = [models.Index(fields=["county", "month", "stage"], name="births_report_county_month")]
        constraints = [
            # One report per facility and month; a correction is a report of its own, one per corrected report.
            models.UniqueConstraint(
                fields=["facility", "month"],
                condition=models.Q(corrects__isnull=True),
                name="births_report_one_per_facility_month",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Birth report #%(pk)s") % {"pk": self.pk})

    @property
    def sign_due_on(self) -> dt.date:
        return next_month(self.month).replace(day=SIGN_DUE_DAY)

    @property
    def check_due_on(self) -> dt.date:
        return next_month(self.month).replace(day=CHECK_DUE_DAY)

    @property
    def is_late(self) -> bool:
        """Signed after the 5th. A correction has no deadline of its own: the month was on time, or late, once."""
        if self.corrects_id is not None:
            return False
        return report_is_late(month=self.month, first_signed_at=self.first_signed_at)

    @property
    def is_current(self) -> bool:
        """Accepted and not superseded: the report whose figures count for its facility and month."""
        return self.stage == Stage.ACCEPTED and self.superseded_at is None

    def entries(self) -> EntryQuerySet:
        """The month's register as it stands now (what the next signature will bind)."""
        return BirthEntry.objects.current().filter(facility_id=self.facility_id, month=self.month)

    def register(self) -> EntryQuerySet:
        """The register this report speaks for: the entries its last signature bound once it is signed on
        (a later correction changes the month's entries, not what this report said); else the current ones."""
        if self.signed_entries is not None and self.stage not in EDITABLE_STAGES:
            return BirthEntry.objects.filter(pk__in=self.signed_entries)
        return self.entries()

    def signature_content(self) -> dict[str, Any]:
        """The register as signed: every bound entry's id and counted fields, and the counts."""
        return {
            "report": self.pk,
            "facility": self.facility_id,
            "month": self.month.isoformat(),
            "revision": self.revision,
            "entries": [entry.signed_fields() for entry in self.register().order_by("pk")],
            "counts": self.counts,
        }


def report_is_late(*, month: dt.date, first_signed_at: dt.datetime | None, today: dt.date | None = None) -> bool:
    """Signed after the 5th of the next month, or (``today`` given) not signed and the 5th has passed."""
    from django.utils import timezone

    due = next_month(month).replace(day=SIGN_DUE_DAY)
    if first_signed_at is not None:
        return timezone.localdate(first_signed_at) > due
    return today is not None and today > due


class ReportNotice(models.Model):
    """A deadline notice sent about one facility's month: each kind once (the sweeps' memory)."""

    class Kind(models.TextChoices):
        SIGN_REMINDER = "sign_reminder", _("Reminder to sign the month's register")
        MISSING_REPORT = "missing_report", _("Missing report reported to the bureau")
        CHECK_OVERDUE = "check_overdue", _("Overdue township check reported to the bureau")

    facility = models.ForeignKey(Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The report a notice is about, for the kinds that follow one report (an overdue check).
    report = models.OneToOneField(
        MonthlyBirthReport, verbose_name=_("report"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("birth report notice")
        verbose_name_plural = _("birth report notices")
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "month", "kind"], condition=models.Q(report__isnull=True), name="births_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.month:%Y-%m} {self.kind}"
