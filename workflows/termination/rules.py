"""Termination's county rules and facility designations: the procedure's own reference data.

They used to be columns of permissions.CountyConfig and permissions.Facility (migrations
termination 0006/0007 and permissions 0002 moved every row here). These models sit outside
models.py only so that the case kit's rewrite of models.py merges without conflict; models.py
imports them, which is what registers them with Django.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from permissions.models import Facility, Jurisdiction
from workflows.cases.models import CountyRules


def personal_pathway_codes() -> list[str]:
    """The personal-circumstance pathways a county may accept, in the order of models.Pathway."""
    from .models import PERSONAL_PATHWAYS, Pathway  # models.py imports this module

    return [pathway.value for pathway in Pathway if pathway in PERSONAL_PATHWAYS]


def default_personal_pathways() -> list[str]:
    return personal_pathway_codes()


class TerminationCountyRules(CountyRules):
    """One county's rules for terminations (workflows.cases.models.CountyRules): ``county.termination_rules``."""

    AUDIT_ACTION = "termination_rules"  # permissions.services.county_rules_update writes "<this>.update"
    RULE_FIELDS = (
        "gestational_threshold_weeks",
        "accepted_personal_pathways",
        "decision_deadline_days",
        "certificate_validity_days",
    )

    county = models.OneToOneField(
        Jurisdiction,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="termination_rules",
        limit_choices_to={"level": Jurisdiction.Level.COUNTY},
    )
    gestational_threshold_weeks = models.PositiveSmallIntegerField(
        _("gestational threshold (weeks)"),
        default=14,
        validators=[MinValueValidator(12), MaxValueValidator(28)],
        help_text=_("Terminations at or beyond this gestation need a bureau certificate."),
    )
    accepted_personal_pathways = models.JSONField(
        _("accepted personal-circumstance pathways"),
        default=default_personal_pathways,
        blank=True,
    )
    decision_deadline_days = models.PositiveSmallIntegerField(
        _("bureau decision deadline (days)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    certificate_validity_days = models.PositiveSmallIntegerField(
        _("certificate validity (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(180)]
    )

    class Meta:
        verbose_name = _("county termination rules")
        verbose_name_plural = _("county termination rules")

    def clean(self) -> None:
        super().clean()
        pathways = self.accepted_personal_pathways
        if not isinstance(pathways, list) or any(p not in personal_pathway_codes() for p in pathways):
            raise ValidationError({"accepted_personal_pathways": _("Unknown pathway.")})

    def accepts_personal_pathway(self, pathway: str) -> bool:
        return pathway in (self.accepted_personal_pathways or [])


class TerminationDesignation(models.Model):
    """Whether a facility may perform terminations, and up to which week. No row: not designated."""

    facility = models.OneToOneField(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="termination_designation"
    )
    designated = models.BooleanField(_("designated for terminations"), default=False)
    max_weeks = models.PositiveSmallIntegerField(
        _("designated up to week"),
        null=True,
        blank=True,
        validators=[MinValueValidator(12), MaxValueValidator(42)],
        help_text=_("The latest gestational week this facility may terminate at."),
    )

    class Meta:
        verbose_name = _("termination designation")
        verbose_name_plural = _("termination designations")

    def __str__(self) -> str:
        return str(self.facility)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.designated:
            if self.facility_id and not self.facility.mch_licence_number:
                # Not keyed to "facility": the admin shows that field read-only once the row exists.
                errors[NON_FIELD_ERRORS] = _("A designated facility needs an MCH service licence.")
            if self.max_weeks is None:
                errors["max_weeks"] = _("Say up to which week the facility is designated.")
        if errors:
            raise ValidationError(errors)

    def permits(self, weeks: int) -> bool:
        if not (self.facility.is_active and self.designated):
            return False
        return self.max_weeks is None or weeks <= self.max_weeks


def designated_facilities(facilities: models.QuerySet[Facility]) -> models.QuerySet[Facility]:
    """The active facilities among these that are designated for terminations."""
    return facilities.filter(is_active=True, termination_designation__designated=True)


def facility_is_designated_for(facility: Facility, weeks: int) -> bool:
    designation = TerminationDesignation.objects.filter(facility=facility).select_related("facility").first()
    return designation is not None and designation.permits(weeks)
