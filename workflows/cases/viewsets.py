"""The viewset every procedure's pages run on: scoped by its registered access rule, with the kit's pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, DateTimeField, F, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import path

from permissions.access import access_case_for_user, cases_for_user, user_roles
from permissions.roles import Role

from ..viewsets import READ_ONLY_URL_NAMES, ScopedFlowAppViewset
from .registry import procedure_of
from .selectors import case_page_context, case_read_audit
from .views import CaseDetailView, CaseDocumentView, CaseWithdrawView, CertificateView


class CaseViewset(ScopedFlowAppViewset):
    """A procedure subclasses it with ``flow_class`` and, if it likes, its own list and detail views.

    Summary and styles come from the procedure's templates by convention:
    ``<code>/_summary.html`` (its facts, documents and what else it shows) and ``<code>/_styles.html``.
    """

    flow_class: Any = None
    # {node name: the case's datetime field}: a task's deadline at that step (the queue sorts and pages by it).
    task_deadlines: dict[str, str] = {}
    icon = "assignment"
    process_detail_view_class = CaseDetailView
    read_only_url_names = READ_ONLY_URL_NAMES | {"document", "certificate"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(self.flow_class, **kwargs)

    @property
    def case_model(self) -> Any:
        return self.flow_class.process_class

    @property
    def code(self) -> str:
        return procedure_of(self.case_model).code

    def visible_processes(self, user: Any, *, write: bool = False) -> QuerySet[Any]:
        return cases_for_user(user, model=self.case_model, write=write)

    def access_process(self, *, user: Any, pk: int, write: bool = False) -> Any:
        return access_case_for_user(user=user, model=self.case_model, pk=pk, write=write)

    def may_act(self, user: Any) -> bool:
        return bool(user.is_superuser or user_roles(user) - {Role.INSPECTOR})

    def task_deadline(self, task: Any) -> datetime | None:
        field = self.task_deadlines.get(task.flow_task.name)
        return getattr(task.process.coerced, field) if field else None

    def task_deadline_expression(self) -> Any:
        if not self.task_deadlines:
            return super().task_deadline_expression()
        case = self.case_model._meta.model_name
        steps = [
            When(flow_task=getattr(self.flow_class, node), then=F(f"process__{case}__{field}"))
            for node, field in self.task_deadlines.items()
        ]
        return Case(*steps, default=Value(None, output_field=DateTimeField()), output_field=DateTimeField())

    @property
    def summary_template_name(self) -> str:  # type: ignore[override]
        return f"{self.code}/_summary.html"

    @property
    def styles_template_name(self) -> str:  # type: ignore[override]
        return f"{self.code}/_styles.html"

    def process_page_context(self, *, process: Any, user: Any) -> dict[str, Any]:
        return case_page_context(case=process, user=user)

    def record_read(self, *, process: Any, request: HttpRequest) -> None:
        case_read_audit(case=process, request=request)

    @property
    def withdraw_path(self) -> Any:
        return path("<int:process_pk>/withdraw/", self.scoped(CaseWithdrawView), name="withdraw")

    @property
    def document_path(self) -> Any:
        return path("<int:process_pk>/documents/<int:document_pk>/", self.scoped(CaseDocumentView), name="document")

    @property
    def certificate_path(self) -> Any:
        return path("<int:process_pk>/certificate/", self.scoped(CertificateView), name="certificate")
