"""The viewset every procedure's pages run on: scoped by its registered access rule, with the kit's pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import path

from core.fields import encrypted_fields
from permissions.access import access_case_for_user, cases_for_user, user_roles
from permissions.roles import Role

from ..takeability import held_steps
from ..viewsets import READ_ONLY_URL_NAMES, QueueCursor, ScopedFlowAppViewset, queue_key, undated_queue_rows
from .registry import procedure_of
from .selectors import StepDeadline, case_page_context, case_read_audit, tasks_by_case_deadline
from .views import CaseDetailView, CaseDocumentView, CaseWithdrawView, CertificateView


class CaseViewset(ScopedFlowAppViewset):
    """A procedure subclasses it with ``flow_class`` and, if it likes, its own list and detail views.

    Summary and styles come from the procedure's templates by convention:
    ``<code>/_summary.html`` (its facts, documents and what else it shows) and ``<code>/_styles.html``.
    """

    flow_class: Any = None
    # {node name: its deadline}: the queue sorts and pages by it; a step not named here has none.
    task_deadlines: dict[str, StepDeadline] = {}
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

    def process_related(self) -> list[str]:
        return [f"process__{self.case_model._meta.model_name}"]

    def process_deferred(self) -> list[str]:
        return encrypted_fields(self.case_model, prefix=f"process__{self.case_model._meta.model_name}__")

    def queue_rows(self, request: HttpRequest, *, after: QueueCursor | None, limit: int) -> list[Any]:
        """The queue's rows, merged from one walk per step with a deadline (its cases in deadline order:
        ``tasks_by_case_deadline``) and the other steps' tasks, oldest first. Each part is the exact first
        ``limit`` of its own tasks in queue order, so the first ``limit`` of the merge are the queue's.
        Only the steps whose permission the user holds somewhere are read (``held_steps``)."""
        user = request.user
        steps = held_steps(self.flow_class, user)
        tasks = self.queue_tasks(request)
        undated = [node for node in steps if node.name not in self.task_deadlines]
        rows = undated_queue_rows(tasks.filter(flow_task__in=undated), after=after, limit=limit) if undated else []
        for node in steps:
            deadline = self.task_deadlines.get(node.name)
            if deadline is None:
                continue
            cases = self.visible_processes(user).filter(stage=deadline.stage)
            found = tasks_by_case_deadline(
                tasks.filter(flow_task=node), cases=cases, due_field=deadline.field, limit=limit, after=after
            )
            for task in found:
                task.queue_deadline = task.queue_due = task.case_due
            rows += found
        return sorted(rows, key=queue_key)[:limit]

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
