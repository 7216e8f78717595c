from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog, set_language
from viewflow.contrib.auth import AuthViewset
from viewflow.urls import Site

from . import views

admin.site.site_header = _("Regflow administration")
admin.site.site_title = _("Regflow administration")


class RegflowSite(Site):
    title = _("Regflow")
    primary_color = "#1f4e79"
    secondary_color = "#2e7d32"


site = RegflowSite(viewsets=[views.WorkspaceApp()])

urlpatterns = [
    path("accounts/", AuthViewset(with_profile_view=False).urls),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path(
        "jsi18n/",
        login_not_required(JavaScriptCatalog.as_view(packages=["viewflow", "workflows"])),
        name="javascript-catalog",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", site.urls),
]
