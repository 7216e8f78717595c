"""Termination's county rules and facility designations move out of permissions into termination.

Every CountyConfig row's termination columns are copied to a TerminationCountyRules row, and every
facility's designation columns to a TerminationDesignation row (designated or not: nothing is lost).
permissions 0002 then drops the old columns; this migration runs before it. Reversed, the values are
copied back (permissions 0002 is reversed first, so the columns exist again).
"""

import django.core.validators
import django.db.models.deletion
import workflows.termination.rules
from django.db import migrations, models

RULE_FIELDS = (
    "gestational_threshold_weeks",
    "accepted_personal_pathways",
    "decision_deadline_days",
    "certificate_validity_days",
)


def copy_from_permissions(apps, schema_editor):
    CountyConfig = apps.get_model("permissions", "CountyConfig")
    Facility = apps.get_model("permissions", "Facility")
    TerminationCountyRules = apps.get_model("termination", "TerminationCountyRules")
    TerminationDesignation = apps.get_model("termination", "TerminationDesignation")
    for config in CountyConfig.objects.all():
        TerminationCountyRules.objects.create(
            county_id=config.county_id, **{field: getattr(config, field) for field in RULE_FIELDS}
        )
    for facility in Facility.objects.all():
        TerminationDesignation.objects.create(
            facility_id=facility.pk,
            designated=facility.designated_for_termination,
            max_weeks=facility.designated_max_weeks,
        )


def copy_back_to_permissions(apps, schema_editor):
    CountyConfig = apps.get_model("permissions", "CountyConfig")
    Facility = apps.get_model("permissions", "Facility")
    TerminationCountyRules = apps.get_model("termination", "TerminationCountyRules")
    TerminationDesignation = apps.get_model("termination", "TerminationDesignation")
    for rules in TerminationCountyRules.objects.all():
        values = {field: getattr(rules, field) for field in RULE_FIELDS}
        if not CountyConfig.objects.filter(county_id=rules.county_id).update(**values):
            CountyConfig.objects.create(county_id=rules.county_id, **values)
    for designation in TerminationDesignation.objects.all():
        Facility.objects.filter(pk=designation.facility_id).update(
            designated_for_termination=designation.designated, designated_max_weeks=designation.max_weeks
        )


class Migration(migrations.Migration):
    dependencies = [
        ("permissions", "0001_jurisdictions_facilities_roles"),
        ("termination", "0005_case_kit"),
    ]
    # The columns this copies from are dropped by permissions 0002. The edge is declared here, by the
    # procedure, so that permissions' migrations never name a procedure.
    run_before = [
        ("permissions", "0002_termination_rules_moved_out"),
    ]

    operations = [
        migrations.CreateModel(
            name="TerminationCountyRules",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "gestational_threshold_weeks",
                    models.PositiveSmallIntegerField(
                        default=14,
                        help_text="Terminations at or beyond this gestation need a bureau certificate.",
                        validators=[
                            django.core.validators.MinValueValidator(12),
                            django.core.validators.MaxValueValidator(28),
                        ],
                        verbose_name="gestational threshold (weeks)",
                    ),
                ),
                (
                    "accepted_personal_pathways",
                    models.JSONField(
                        blank=True,
                        default=workflows.termination.rules.default_personal_pathways,
                        verbose_name="accepted personal-circumstance pathways",
                    ),
                ),
                (
                    "decision_deadline_days",
                    models.PositiveSmallIntegerField(
                        default=3,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(60),
                        ],
                        verbose_name="bureau decision deadline (days)",
                    ),
                ),
                (
                    "certificate_validity_days",
                    models.PositiveSmallIntegerField(
                        default=30,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(180),
                        ],
                        verbose_name="certificate validity (days)",
                    ),
                ),
                (
                    "county",
                    models.OneToOneField(
                        limit_choices_to={"level": "county"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="termination_rules",
                        to="permissions.jurisdiction",
                        verbose_name="county",
                    ),
                ),
            ],
            options={
                "verbose_name": "county termination rules",
                "verbose_name_plural": "county termination rules",
            },
        ),
        migrations.CreateModel(
            name="TerminationDesignation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("designated", models.BooleanField(default=False, verbose_name="designated for terminations")),
                (
                    "max_weeks",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="The latest gestational week this facility may terminate at.",
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(12),
                            django.core.validators.MaxValueValidator(42),
                        ],
                        verbose_name="designated up to week",
                    ),
                ),
                (
                    "facility",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="termination_designation",
                        to="permissions.facility",
                        verbose_name="facility",
                    ),
                ),
            ],
            options={
                "verbose_name": "termination designation",
                "verbose_name_plural": "termination designations",
            },
        ),
        migrations.RunPython(copy_from_permissions, copy_back_to_permissions),
    ]
