"""The tasks nobody holds yet, by case: what a procedure's menu counter and queue read for one county's cases.

Counting the tasks an officer may take among the county's cases, PostgreSQL went from each case to its tasks
through viewflow's index on the case and ANDed it with ``regflow_task_takeable_idx`` for the officer's
permissions, expecting a few dozen rows of the county's bureau tasks where a large county has thousands (the
planner sees each column's statistics, not that one county holds a tenth of the tasks): a bitmap of thousands of
rows built again for every case, 35 to 95 ms a page of the ultrasound, retired practitioners' and births lists at
1.5M tasks. With the unowned new tasks of each case in an index of their own, it reads those few rows and checks the
permission on them: 1.8 ms (docs/performance.md).
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS regflow_task_unowned_process_idx ON viewflow_task (process_id) "
    "WHERE status = 'NEW' AND owner_id IS NULL"
)
DROP = "DROP INDEX IF EXISTS regflow_task_unowned_process_idx"


class Migration(migrations.Migration):
    dependencies = [("workflows", "0006_task_queue_index_unowned")]

    operations = [migrations.RunSQL(CREATE, DROP)]
