"""The ultrasound registry's pages inside the viewflow Site, scoped by its access rule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import path

from permissions.access import user_roles
from permissions.roles import Role
from workflows.viewsets import READ_ONLY_URL_NAMES, ScopedFlowAppViewset, ScopedProcessListView

from . import selectors, views
from .flows import UltrasoundRegistrationFlow
from .models import UltrasoundCase


class CaseListView(ScopedProcessListView):
    template_name = "ultrasound/case_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("facility", "device")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        flow, user = UltrasoundRegistrationFlow, self.request.user
        for case in context["object_list"]:
            case.url = flow.instance.reverse("process_detail", args=[case.pk])
        context.update(
            file_url=flow.file.reverse("execute") if flow.file.can_execute(user) else "",
            schedule_url=flow.schedule_check.reverse("execute") if flow.schedule_check.can_execute(user) else "",
            registry_url=flow.instance.reverse("registry"),
            queue_url=flow.instance.reverse("queue"),
            inbox_url=flow.instance.reverse("inbox"),
        )
        return context


class UltrasoundViewset(ScopedFlowAppViewset):
    icon = "monitor_heart"
    process_list_view_class = CaseListView
    process_detail_view_class = views.CaseDetailView
    read_only_url_names = READ_ONLY_URL_NAMES | {"document", "certificate", "registry", "device"}
    summary_template_name = "ultrasound/_summary.html"
    styles_template_name = "ultrasound/_styles.html"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(UltrasoundRegistrationFlow, **kwargs)

    def visible_processes(self, user: Any, *, write: bool = False) -> QuerySet[Any]:
        return selectors.ultrasound_cases_for_user(user, write=write)

    def access_process(self, *, user: Any, pk: int, write: bool = False) -> UltrasoundCase:
        return selectors.access_ultrasound_case_for_user(user=user, pk=pk, write=write)

    def may_act(self, user: Any) -> bool:
        return bool(user.is_superuser or user_roles(user) - {Role.INSPECTOR})

    def process_page_context(self, *, process: Any, user: Any) -> dict[str, Any]:
        return views.case_page_context(case=process, user=user)

    def record_read(self, *, process: Any, request: HttpRequest) -> None:
        selectors.case_read_audit(case=process, request=request)

    def task_deadline(self, task: Any) -> datetime | None:
        if task.flow_task in (UltrasoundRegistrationFlow.decide, UltrasoundRegistrationFlow.escalate):
            return task.process.coerced.decision_due_at
        return None

    @property
    def withdraw_path(self) -> Any:
        return path("<int:process_pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw")

    @property
    def document_path(self) -> Any:
        return path("<int:process_pk>/documents/<int:document_pk>/", views.document_download, name="document")

    @property
    def registry_path(self) -> Any:
        return path("registry/", self.scoped(views.RegistryView), name="registry")

    @property
    def device_path(self) -> Any:
        return path("devices/<int:device_pk>/", self.scoped(views.DeviceDetailView), name="device")

    @property
    def certificate_path(self) -> Any:
        return path("devices/<int:device_pk>/certificate/", views.certificate_view, name="certificate")
