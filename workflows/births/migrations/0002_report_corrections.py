"""Corrections after acceptance: a report of its own (``corrects``), and each signed report keeps the ids of
the entries its signature bound (``signed_entries``), filled here from the registers as they stand; a notice
of an overdue township check names its report."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


EDITABLE = ("signing", "returned")


def bind_signed_registers(apps, schema_editor):
    report_model = apps.get_model("births", "MonthlyBirthReport")
    entry_model = apps.get_model("births", "BirthEntry")
    for report in report_model.objects.exclude(stage__in=EDITABLE).only("pk", "facility_id", "month").iterator():
        ids = list(
            entry_model.objects.filter(facility_id=report.facility_id, month=report.month, replaced_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        report_model.objects.filter(pk=report.pk).update(signed_entries=ids)


class Migration(migrations.Migration):

    dependencies = [
        ('births', '0001_birth_register'),
        ('permissions', '0004_device_decision_deadline'),
        ('viewflow', '0015_task_scheduled'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='monthlybirthreport',
            name='births_report_one_per_facility_month',
        ),
        migrations.AddField(
            model_name='monthlybirthreport',
            name='corrects',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='correction', to='births.monthlybirthreport', verbose_name='corrects report'),
        ),
        migrations.AddField(
            model_name='monthlybirthreport',
            name='signed_entries',
            field=models.JSONField(blank=True, editable=False, null=True, verbose_name='entries at the last signature'),
        ),
        migrations.AddField(
            model_name='monthlybirthreport',
            name='superseded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='superseded by a correction at'),
        ),
        migrations.AddConstraint(
            model_name='monthlybirthreport',
            constraint=models.UniqueConstraint(condition=models.Q(('corrects__isnull', True)), fields=('facility', 'month'), name='births_report_one_per_facility_month'),
        ),
        migrations.RunPython(bind_signed_registers, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='reportnotice',
            name='births_notice_once',
        ),
        migrations.AddField(
            model_name='reportnotice',
            name='report',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='births.monthlybirthreport', verbose_name='report'),
        ),
        migrations.AlterField(
            model_name='reportnotice',
            name='kind',
            field=models.CharField(choices=[('sign_reminder', "Reminder to sign the month's register"), ('missing_report', 'Missing report reported to the bureau'), ('check_overdue', 'Overdue township check reported to the bureau')], max_length=20, verbose_name='kind'),
        ),
        migrations.AddConstraint(
            model_name='reportnotice',
            constraint=models.UniqueConstraint(condition=models.Q(('report__isnull', True)), fields=('facility', 'month', 'kind'), name='births_notice_once'),
        ),
    ]
