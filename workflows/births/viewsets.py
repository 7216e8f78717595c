"""Birth reporting's pages inside the viewflow Site, on the kit's viewset.

Beside the kit's report pages: the register of reports (counts), the facility's entries, the entry
form and the upload.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path

from workflows.cases.viewsets import CaseViewset
from workflows.viewsets import ScopedProcessListView

from . import selectors, views
from .flows import MonthlyBirthReportFlow


class ReportListView(ScopedProcessListView):
    template_name = "births/report_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("facility")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        flow, user = MonthlyBirthReportFlow, self.request.user
        for report in context["object_list"]:
            report.url = flow.instance.reverse("process_detail", args=[report.pk])
        context.update(
            prepare_url=flow.prepare.reverse("execute") if flow.prepare.can_execute(user) else "",
            register_url=flow.instance.reverse("register"),
            entries_url=flow.instance.reverse("entries") if selectors.facility_choices(user).exists() else "",
            queue_url=flow.instance.reverse("queue"),
            inbox_url=flow.instance.reverse("inbox"),
        )
        return context


class BirthReportViewset(CaseViewset):
    flow_class = MonthlyBirthReportFlow
    icon = "child_friendly"
    process_list_view_class = ReportListView
    read_only_url_names = CaseViewset.read_only_url_names | {"register", "entries"}
    certificate_path = None  # no certificate
    document_path = None  # no documents

    @property
    def register_path(self) -> Any:
        return path("register/", self.scoped(views.RegisterView), name="register")

    @property
    def entries_path(self) -> Any:
        return path("entries/", self.scoped(views.EntryListView), name="entries")

    @property
    def entry_new_path(self) -> Any:
        return path("entries/new/", self.scoped(views.EntryCreateView), name="entry_new")

    @property
    def upload_path(self) -> Any:
        return path("entries/upload/", self.scoped(views.UploadView), name="upload")
