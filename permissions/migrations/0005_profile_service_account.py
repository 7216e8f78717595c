"""A system's account is no person: never a task candidate nor a notification's recipient (Profile.is_service_account)."""


from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('permissions', '0004_device_decision_deadline'),
    ]

    operations = [
        migrations.AddField(
            model_name='profile',
            name='is_service_account',
            field=models.BooleanField(default=False, editable=False, verbose_name='service account'),
        ),
    ]
