"""The service users of the clients made before Profile.is_service_account existed are marked as such."""

from django.db import migrations


def mark(apps, schema_editor):
    account_model = apps.get_model("api", "ServiceAccount")
    profile_model = apps.get_model("permissions", "Profile")
    profile_model.objects.filter(user_id__in=account_model.objects.values("user_id")).update(is_service_account=True)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_idempotency_expiry"),
        ("permissions", "0005_profile_service_account"),
    ]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
