"""The retired-practitioner registry's pages inside the viewflow Site, on the kit's viewset."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path

from workflows.cases.viewsets import CaseViewset
from workflows.viewsets import ScopedProcessListView

from . import views
from .flows import RetiredPractitionerFlow


class CaseListView(ScopedProcessListView):
    template_name = "retired_practitioners/case_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("facility", "county", "practitioner")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        flow, user = RetiredPractitionerFlow, self.request.user
        for case in context["object_list"]:
            case.url = flow.instance.reverse("process_detail", args=[case.pk])
        context.update(
            file_url=flow.file.reverse("execute") if flow.file.can_execute(user) else "",
            event_url=flow.record_event.reverse("execute") if flow.record_event.can_execute(user) else "",
            register_url=flow.instance.reverse("register"),
            queue_url=flow.instance.reverse("queue"),
            inbox_url=flow.instance.reverse("inbox"),
        )
        return context


class RetiredPractitionerViewset(CaseViewset):
    flow_class = RetiredPractitionerFlow
    icon = "elderly"
    process_list_view_class = CaseListView
    read_only_url_names = CaseViewset.read_only_url_names | {"register", "practitioner"}
    certificate_path = None  # this procedure issues no certificate: no route for one

    @property
    def withdraw_path(self) -> Any:
        return path("<int:process_pk>/withdraw/", self.scoped(views.WithdrawView), name="withdraw")

    @property
    def register_path(self) -> Any:
        return path("register/", self.scoped(views.RegisterView), name="register")

    @property
    def practitioner_path(self) -> Any:
        return path(
            "practitioners/<int:practitioner_pk>/", self.scoped(views.PractitionerDetailView), name="practitioner"
        )
