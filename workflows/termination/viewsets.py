"""The termination procedure's pages inside the viewflow Site (workflows.cases.viewsets.CaseViewset)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from workflows.cases.viewsets import CaseViewset
from workflows.viewsets import ScopedProcessListView

from .flows import TerminationFlow


class CaseListView(ScopedProcessListView):
    template_name = "termination/case_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("facility")


class TerminationViewset(CaseViewset):
    flow_class = TerminationFlow
    process_list_view_class = CaseListView

    def task_deadline(self, task: Any) -> datetime | None:
        case = task.process.coerced
        if task.flow_task is TerminationFlow.decide:
            return case.decision_due_at
        if task.flow_task is TerminationFlow.record_procedure:
            return case.certificate_valid_until
        return None
