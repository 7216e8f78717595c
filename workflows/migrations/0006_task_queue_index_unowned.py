"""The queue's partial index covers what ``takeable_q`` asks: new tasks that nobody holds.

Its predicate was ``status = 'NEW'``; ``takeable_q`` asks ``status = 'NEW' AND owner_id IS NULL``, so PostgreSQL
ANDed the index with viewflow's index on the owner, which holds every unowned task (109,000 rows at a million
tasks): 10 to 20 ms of each queue, workspace and menu-counter query (docs/performance.md). With the owner in the
predicate the index answers the condition alone. A new task is unowned until it is claimed.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS regflow_task_takeable_idx ON viewflow_task "
    "(owner_permission, owner_permission_content_type_id, owner_permission_obj_pk) "
    "WHERE status = 'NEW' AND owner_id IS NULL"
)
DROP = "DROP INDEX IF EXISTS regflow_task_takeable_idx"
OLD_CREATE = (
    "CREATE INDEX IF NOT EXISTS regflow_task_queue_ct_idx ON viewflow_task "
    "(owner_permission, owner_permission_content_type_id, owner_permission_obj_pk) WHERE status = 'NEW'"
)
OLD_DROP = "DROP INDEX IF EXISTS regflow_task_queue_ct_idx"


class Migration(migrations.Migration):
    dependencies = [("workflows", "0005_task_queue_index_content_type")]

    operations = [migrations.RunSQL(CREATE, DROP), migrations.RunSQL(OLD_DROP, OLD_CREATE)]
