"""An index for the queue's permission predicates (workflows.takeability.permitted_q) on viewflow's task table.

viewflow's own queue compares ``owner_permission || '_' || owner_permission_obj_pk`` with a list, which
no index serves. The queue now asks for each permission and its scopes (``owner_permission = %s AND
owner_permission_obj_pk IN (...)``) among the tasks waiting to be claimed: this partial index holds
exactly those rows, so it stays small however many finished tasks the years add.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS regflow_task_queue_idx ON viewflow_task "
    "(owner_permission, owner_permission_obj_pk) WHERE status = 'NEW'"
)
DROP = "DROP INDEX IF EXISTS regflow_task_queue_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0003_dispatcher_heartbeat"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
