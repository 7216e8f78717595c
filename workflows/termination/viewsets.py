"""The termination procedure's pages inside the viewflow Site (workflows.cases.viewsets.CaseViewset)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, DateTimeField, F, QuerySet, Value, When

from workflows.cases.viewsets import CaseViewset
from workflows.viewsets import ScopedProcessListView

from .flows import TerminationFlow


class CaseListView(ScopedProcessListView):
    template_name = "termination/case_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        # The list shows the masked ID only: the encrypted fields are neither read nor decrypted.
        return super().get_queryset().select_related("facility").defer("patient_name", "resident_id", "fetal_sex")


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

    def task_deadline_expression(self) -> Any:
        return Case(
            When(flow_task=TerminationFlow.decide, then=F("process__terminationcase__decision_due_at")),
            When(
                flow_task=TerminationFlow.record_procedure, then=F("process__terminationcase__certificate_valid_until")
            ),
            default=Value(None, output_field=DateTimeField()),
            output_field=DateTimeField(),
        )

    def process_related(self) -> list[str]:
        return ["process__terminationcase"]
