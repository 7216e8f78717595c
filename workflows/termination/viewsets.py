"""The termination procedure's pages inside the viewflow Site (workflows.cases.viewsets.CaseViewset)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.fields import encrypted_fields
from workflows.cases.viewsets import CaseViewset
from workflows.viewsets import ScopedProcessListView

from .flows import TerminationFlow
from .models import TerminationCase
from .selectors import TASK_DEADLINES


class CaseListView(ScopedProcessListView):
    template_name = "termination/case_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        # The list shows the masked ID only: the encrypted fields are neither read nor decrypted.
        return super().get_queryset().select_related("facility").defer(*encrypted_fields(TerminationCase))


class TerminationViewset(CaseViewset):
    flow_class = TerminationFlow
    process_list_view_class = CaseListView
    task_deadlines = TASK_DEADLINES
