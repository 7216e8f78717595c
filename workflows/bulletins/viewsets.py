"""The bulletins' pages inside the viewflow Site (workflows.cases.viewsets.CaseViewset).

Beside the kit's case pages (the bulletin is shown on its case page): the list of bulletins, the sex-ratio
analysis, and each bulletin's PDF and Excel file.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path

from workflows.cases.viewsets import CaseViewset
from workflows.viewsets import ScopedProcessListView

from . import views
from .flows import BulletinFlow


class BulletinListView(ScopedProcessListView):
    template_name = "bulletins/bulletin_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("county")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        flow = BulletinFlow.instance
        for bulletin in context["object_list"]:
            bulletin.url = flow.reverse("process_detail", args=[bulletin.pk])
        context.update(
            analysis_url=flow.reverse("analysis"), queue_url=flow.reverse("queue"), inbox_url=flow.reverse("inbox")
        )
        return context


class BulletinViewset(CaseViewset):
    flow_class = BulletinFlow
    icon = "query_stats"
    process_list_view_class = BulletinListView
    read_only_url_names = CaseViewset.read_only_url_names | {"analysis", "export"}

    @property
    def document_path(self) -> Any:
        return None  # a bulletin has no scanned documents

    @property
    def certificate_path(self) -> Any:
        return None

    @property
    def analysis_path(self) -> Any:
        return path("analysis/", self.scoped(views.AnalysisView), name="analysis")

    @property
    def export_path(self) -> Any:
        return path("<int:process_pk>/export/<str:fmt>/", self.scoped(views.ExportView), name="export")
