from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog, set_language
from viewflow.urls import Application, Site

from audit.viewsets import AuditApp
from permissions.access import admin_site_permitted
from workflows.cases.registry import procedures
from workflows.cases.views import certificate_verify
from workflows.urls import NotificationsApp

from . import bench, views
from .admin import check_actions_of_every_admin

admin.site.site_header = _("Regflow administration")
admin.site.site_title = _("Regflow administration")
admin.site.has_permission = admin_site_permitted  # type: ignore[method-assign]  # superusers only
check_actions_of_every_admin(admin.site)  # a malformed selection is refused, not a 500


def password_change_on_the_accounts_page(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin's own password page checked the old password past django-axes (a password oracle for a staff
    session): staff change theirs on the one throttled page, project.views.ThrottledPasswordChangeView."""
    return redirect("password_change")


admin.site.password_change = password_change_on_the_accounts_page  # type: ignore[method-assign,assignment]


class RegflowSite(Site):
    title = _("Regflow")
    primary_color = "#1f4e79"
    secondary_color = "#2e7d32"


class ProceduresApp(Application):
    """The regulated procedures, one viewset each, from the registry (workflows.cases.registry)."""

    title = _("Procedures")
    icon = "assignment"
    app_name = "procedures"

    @property
    def index_path(self):  # type: ignore[no-untyped-def]
        # The default index redirects to the first procedure on any method; only GET means anything.
        index = super().index_path
        return path("", require_safe(index.callback), name="index")


site = RegflowSite(
    viewsets=[
        views.WorkspaceApp(),
        ProceduresApp(viewsets=[procedure.viewset_class() for procedure in procedures()]),
        NotificationsApp(),
        AuditApp(),
    ]
)

handler500 = "project.views.server_error"

urlpatterns = [
    path("accounts/", views.AccountsViewset(with_profile_view=False).urls),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path(
        "jsi18n/",
        login_not_required(JavaScriptCatalog.as_view(packages=["viewflow", "workflows"])),
        name="javascript-catalog",
    ),
    path("healthz", views.healthz, name="healthz"),
    # Pages without an icon link (the admin's) make browsers ask for /favicon.ico.
    path("favicon.ico", login_not_required(RedirectView.as_view(url=static("viewflow/img/favicon.png")))),
    # Public: what the QR code on a printed certificate of any procedure leads to (no personal data).
    # /verify/termination/<number>/<token>/ is printed on certificates already: the kind stays in the path.
    path("verify/<slug:kind>/<str:number>/<str:token>/", certificate_verify, name="certificate_verify"),
    path("audit/", include("audit.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("", site.urls),
]

if settings.REGFLOW_BENCH_ANCHORS:  # make bench only (project/bench.py)
    urlpatterns.insert(0, path("bench/bare/", bench.bare, name="bench_bare"))
