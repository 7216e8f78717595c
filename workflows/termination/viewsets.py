"""The termination procedure's pages inside the viewflow Site, scoped by permissions.access."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, DateTimeField, F, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import path

from permissions.access import access_termination_case_for_user, termination_cases_for_user, user_roles
from permissions.roles import Role
from workflows.viewsets import READ_ONLY_URL_NAMES, ScopedFlowAppViewset, ScopedProcessListView

from . import selectors, views
from .flows import TerminationFlow
from .models import TerminationCase


class CaseListView(ScopedProcessListView):
    template_name = "termination/case_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        # The list shows the masked ID only: the encrypted fields are neither read nor decrypted.
        return super().get_queryset().select_related("facility").defer("patient_name", "resident_id", "fetal_sex")


class TerminationViewset(ScopedFlowAppViewset):
    icon = "assignment"
    process_list_view_class = CaseListView
    process_detail_view_class = views.CaseDetailView
    read_only_url_names = READ_ONLY_URL_NAMES | {"document", "certificate"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(TerminationFlow, **kwargs)

    def visible_processes(self, user: Any, *, write: bool = False) -> QuerySet[Any]:
        return termination_cases_for_user(user, write=write)

    def access_process(self, *, user: Any, pk: int, write: bool = False) -> TerminationCase:
        return access_termination_case_for_user(user=user, pk=pk, write=write)

    def may_act(self, user: Any) -> bool:
        return bool(user.is_superuser or user_roles(user) - {Role.INSPECTOR})

    summary_template_name = "termination/_summary.html"
    styles_template_name = "termination/_styles.html"

    def process_page_context(self, *, process: Any, user: Any) -> dict[str, Any]:
        return selectors.case_page_context(case=process, user=user)

    def record_read(self, *, process: Any, request: HttpRequest) -> None:
        selectors.case_read_audit(case=process, request=request)

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

    @property
    def withdraw_path(self) -> Any:
        return path("<int:process_pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw")

    @property
    def document_path(self) -> Any:
        return path("<int:process_pk>/documents/<int:document_pk>/", views.document_download, name="document")

    @property
    def certificate_path(self) -> Any:
        return path("<int:process_pk>/certificate/", views.certificate_view, name="certificate")
