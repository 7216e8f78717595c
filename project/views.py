from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView
from viewflow.urls import Application

from permissions.access import user_roles
from permissions.roles import Role
from workflows.workspace import workspace_sections


class HomeView(TemplateView):
    """Each role's home: the procedures' sections for every role the person holds, and the tools of their role."""

    template_name = "workspace/home.html"

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        roles = user_roles(user)
        context["roles"] = roles
        sections = workspace_sections(user=user, roles=roles)
        context["sections"] = sections
        # What a person starts (a clerk's "New request") heads the page, above the lists.
        context["actions"] = [action for section in sections for action in section.actions]
        context["show_audit_search"] = Role.INSPECTOR in roles
        context["show_admin"] = user.is_active and user.is_superuser
        return context


class WorkspaceApp(Application):
    title = _("Workspace")
    icon = "dashboard"
    app_name = "workspace"

    @property
    def index_path(self):  # type: ignore[no-untyped-def]
        return path("", HomeView.as_view(), name="index")


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the proxy: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
