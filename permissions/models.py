"""Jurisdictions, facilities, people and their roles.

Scope is data: a RoleAssignment names a user, a role and the facility or
jurisdiction it covers. django-guardian object permissions are derived from
assignments by permissions.services and never edited by hand.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Jurisdiction(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County")
        TOWNSHIP = "township", _("Township")

    PARENT_LEVEL = {
        Level.PROVINCE: None,
        Level.CITY: Level.PROVINCE,
        Level.COUNTY: Level.CITY,
        Level.TOWNSHIP: Level.COUNTY,
    }

    code = models.CharField(
        _("administrative code"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{6}(\d{3})?$", _("Use the 6-digit (or 9-digit township) division code."))],
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["code"]
        permissions = [
            ("act_for_bureau", _("Act for the health bureau of this county")),
            ("direct_bureau", _("Direct the health bureau of this county")),
            ("inspect", _("Inspect the records of this jurisdiction")),
            ("sit_on_panel", _("Sit on this county's expert panel")),
            ("supervise", _("Carry out on-site checks for the health bureau of this county")),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        expected = self.PARENT_LEVEL.get(self.Level(self.level)) if self.level else None
        if self.level and expected is None and self.parent_id:
            raise ValidationError({"parent": _("A province has no parent.")})
        if expected is not None and (self.parent is None or self.parent.level != expected):
            raise ValidationError(
                {
                    "parent": _("A %(level)s must sit inside a %(parent)s.")
                    % {"level": self.get_level_display(), "parent": self.Level(expected).label}
                }
            )

    def ancestors_and_self(self) -> list[Jurisdiction]:
        chain: list[Jurisdiction] = []
        node: Jurisdiction | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class CountyConfig(models.Model):
    """Rules that differ between counties. One row per county, changes audited.

    A procedure keeps its own county rules in its own app (termination: TerminationCountyRules).
    The three deadlines below belong to procedures not built yet (ultrasound devices, retired
    practitioners); they move to those procedures' apps when they are written.
    """

    AUDIT_ACTION = "county_config"  # permissions.services.county_rules_update writes "<this>.update"
    RULE_FIELDS = (
        "device_filing_deadline_days",
        "device_decision_deadline_days",
        "retirement_filing_deadline_days",
        "follow_up_interval_days",
    )

    county = models.OneToOneField(
        Jurisdiction,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="config",
        limit_choices_to={"level": Jurisdiction.Level.COUNTY},
    )
    device_filing_deadline_days = models.PositiveSmallIntegerField(
        _("device filing deadline after purchase (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    device_decision_deadline_days = models.PositiveSmallIntegerField(
        _("bureau decision deadline for a device filing (days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    retirement_filing_deadline_days = models.PositiveSmallIntegerField(
        _("retirement filing deadline (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    follow_up_interval_days = models.PositiveSmallIntegerField(
        _("practitioner follow-up interval (days)"),
        default=365,
        validators=[MinValueValidator(30), MaxValueValidator(730)],
    )

    class Meta:
        verbose_name = _("county configuration")
        verbose_name_plural = _("county configurations")

    def __str__(self) -> str:
        return str(self.county)

    def clean(self) -> None:
        if self.county_id and self.county.level != Jurisdiction.Level.COUNTY:
            raise ValidationError({"county": _("Configuration belongs to a county.")})


class Facility(models.Model):
    class Kind(models.TextChoices):
        COUNTY_HOSPITAL = "county_hospital", _("County hospital")
        MCH_HOSPITAL = "mch_hospital", _("Maternal and child health hospital")
        TOWNSHIP_CENTRE = "township_centre", _("Township health centre")
        PRIVATE_CLINIC = "private_clinic", _("Private clinic")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    practice_licence_number = models.CharField(_("practice licence number"), max_length=50, unique=True)
    mch_licence_number = models.CharField(_("MCH service licence number"), max_length=50, blank=True)
    county = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="facilities",
        limit_choices_to={"level": Jurisdiction.Level.COUNTY},
    )
    township = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        related_name="township_facilities",
        null=True,
        blank=True,
        limit_choices_to={"level": Jurisdiction.Level.TOWNSHIP},
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["county__code", "name"]
        permissions = [
            ("work_at", _("Work at this facility")),
            ("direct", _("Direct this facility")),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.county_id and self.county.level != Jurisdiction.Level.COUNTY:
            errors["county"] = _("Choose a county.")
        if self.township is not None and self.county_id and self.township.parent_id != self.county_id:
            errors["township"] = _("The township must lie in the facility's county.")
        if errors:
            raise ValidationError(errors)


class Profile(models.Model):
    class Rank(models.TextChoices):
        NONE = "none", _("None")
        RESIDENT = "resident", _("Resident physician")
        ATTENDING = "attending", _("Attending physician")
        DEPUTY_CHIEF = "deputy_chief", _("Deputy chief physician")
        CHIEF = "chief", _("Chief physician")

    SENIOR_RANKS = {Rank.DEPUTY_CHIEF, Rank.CHIEF}

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="profile"
    )
    printed_name = models.CharField(
        _("printed name"), max_length=100, help_text=_("The name shown under the user's electronic signatures.")
    )
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    rank = models.CharField(_("professional rank"), max_length=20, choices=Rank.choices, default=Rank.NONE)
    licence_number = models.CharField(_("licence number"), max_length=50, blank=True)
    # A system's account (an API client): it holds a role for its scope, but it is no person, so it is never
    # a candidate for a task nor the recipient of a notification (its system hears through webhooks).
    is_service_account = models.BooleanField(_("service account"), default=False, editable=False)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.printed_name

    @property
    def is_senior_physician(self) -> bool:
        return self.rank in self.SENIOR_RANKS


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    def active(self) -> RoleAssignmentQuerySet:
        """Assignments not revoked: the roles people hold now."""
        return self.filter(revoked_at__isnull=True)


class RoleAssignment(models.Model):
    """A user holds a role over one facility or one jurisdiction.

    Revoking sets revoked_at; rows are never deleted, so the register of who
    could do what, when, survives.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(facility__isnull=False, jurisdiction__isnull=True)
                    | models.Q(facility__isnull=True, jurisdiction__isnull=False)
                ),
                name="role_assignment_has_one_scope",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "facility"],
                condition=models.Q(revoked_at__isnull=True, facility__isnull=False),
                name="role_assignment_active_facility_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "jurisdiction"],
                condition=models.Q(revoked_at__isnull=True, jurisdiction__isnull=False),
                name="role_assignment_active_jurisdiction_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.scope}"

    @property
    def scope(self) -> Facility | Jurisdiction:
        return self.facility or self.jurisdiction  # type: ignore[return-value]
