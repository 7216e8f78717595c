"""The workflow engine's records in the admin: to look at, never to edit.

viewflow registers editable admins for processes and tasks. Saving one changes a
case's state outside its flow, its four-eyes rules and the audit trail (and the
stock form crashes on an emptied ``data`` field). Superusers may read them here;
a case moves only through its flow.
"""

from __future__ import annotations

from django.contrib import admin
from viewflow.workflow.admin import ProcessAdmin, TaskAdmin
from viewflow.workflow.models import Process, Task

from audit.admin import ReadOnlyAdmin


class ReadOnlyProcessAdmin(ReadOnlyAdmin, ProcessAdmin):
    pass


class ReadOnlyTaskAdmin(ReadOnlyAdmin, TaskAdmin):
    pass


for model, model_admin in ((Process, ReadOnlyProcessAdmin), (Task, ReadOnlyTaskAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
