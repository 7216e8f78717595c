from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import PasswordChangeView
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView
from viewflow.contrib.auth import AuthViewset
from viewflow.urls import Application

from permissions.selectors import active_assignments

from .forms import LoginForm, ThrottledPasswordChangeForm


class HomeView(TemplateView):
    template_name = "workspace/home.html"

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["assignments"] = active_assignments(self.request.user)
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


class ThrottledPasswordChangeView(PasswordChangeView):
    """The password change page, its old password counted toward login throttling (see the form)."""

    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class AccountsViewset(AuthViewset):
    """viewflow's login, logout and password pages, with our login form and throttled password change."""

    pass_change_view_class = ThrottledPasswordChangeView

    def get_login_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return dict(super().get_login_view_kwargs(**{"form_class": LoginForm, **kwargs}))
