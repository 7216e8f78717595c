# Termination's county rules and facility designations moved to termination (its 0006 copies them first).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("permissions", "0001_jurisdictions_facilities_roles"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="countyconfig",
            name="accepted_personal_pathways",
        ),
        migrations.RemoveField(
            model_name="countyconfig",
            name="certificate_validity_days",
        ),
        migrations.RemoveField(
            model_name="countyconfig",
            name="decision_deadline_days",
        ),
        migrations.RemoveField(
            model_name="countyconfig",
            name="gestational_threshold_weeks",
        ),
        migrations.RemoveField(
            model_name="facility",
            name="designated_for_termination",
        ),
        migrations.RemoveField(
            model_name="facility",
            name="designated_max_weeks",
        ),
    ]
