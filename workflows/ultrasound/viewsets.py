"""The ultrasound registry's pages inside the viewflow Site (workflows.cases.viewsets.CaseViewset).

Beside the kit's case pages: the registry (one page per county), each device's page, and the
device's registration certificate (the registration number lives on the device, not on a case).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path

from workflows.cases.selectors import StepDeadline
from workflows.cases.viewsets import CaseViewset
from workflows.viewsets import ScopedProcessListView

from . import views
from .flows import UltrasoundRegistrationFlow
from .models import Stage


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


class UltrasoundViewset(CaseViewset):
    flow_class = UltrasoundRegistrationFlow
    icon = "monitor_heart"
    process_list_view_class = CaseListView
    read_only_url_names = CaseViewset.read_only_url_names | {"registry", "device"}

    # The bureau's decision and its escalation wait on the decision clock; the queue sorts and pages by it.
    task_deadlines = {
        "decide": StepDeadline("decision_due_at", stage=Stage.BUREAU_DECISION),
        "escalate": StepDeadline("decision_due_at", stage=Stage.BUREAU_DECISION),
    }

    @property
    def withdraw_path(self) -> Any:
        return path("<int:process_pk>/withdraw/", self.scoped(views.WithdrawView), name="withdraw")

    @property
    def registry_path(self) -> Any:
        return path("registry/", self.scoped(views.RegistryView), name="registry")

    @property
    def device_path(self) -> Any:
        return path("devices/<int:device_pk>/", self.scoped(views.DeviceDetailView), name="device")

    @property
    def certificate_path(self) -> Any:
        return path("devices/<int:device_pk>/certificate/", views.certificate_view, name="certificate")
