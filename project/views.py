from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import PasswordChangeView
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView
from viewflow.contrib.auth import AuthViewset
from viewflow.urls import Application

from permissions.access import user_roles
from permissions.roles import Role
from workflows.dispatcher import HEARTBEAT_GRACE_SECONDS, HEARTBEAT_NAME
from workflows.models import DispatcherHeartbeat
from workflows.outages import is_connection_failure
from workflows.workspace import workspace_sections

from .forms import LoginForm, NewPasswordForm, ThrottledPasswordChangeForm
from .middleware import database_outage, database_unavailable_response


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


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that cannot be reached is our 503 page; anything else our 500 page.

    Called while the exception is being handled, so sys.exc_info() holds it. Reached
    when the failure was outside a view (loading the session in a middleware, say);
    a view's own failure is answered by project.middleware.DatabaseUnavailableMiddleware.
    """
    error = sys.exc_info()[1]
    if is_connection_failure(error):
        assert error is not None
        database_outage.failed(error)
        return database_unavailable_response()
    try:
        # Without the request: nothing on this page may read the database or need a context processor.
        body = render_to_string("500.html", {"SITE_NAME": settings.SITE_NAME, "SOURCE_URL": settings.SOURCE_URL})
    except Exception:  # the page of last resort must not fail in turn: Django's plain one then
        return HttpResponseServerError("<h1>Server Error (500)</h1>", content_type="text/html")
    return HttpResponseServerError(body)


# --- /healthz ----------------------------------------------------------------------------

# No check may hold /healthz longer than this: a hung dependency is reported as "timeout".
HEALTH_TIMEOUT_SECONDS = 2.0
_health_workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")
_health_running: dict[str, Future[dict[str, Any]]] = {}
_health_lock = threading.Lock()


def _bounded(name: str, check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a check in a worker thread and wait at most HEALTH_TIMEOUT_SECONDS.

    A check that hangs (a SIGSTOPped server answers nothing, not even a refusal)
    is not started again while it still runs, so probes every few seconds cannot
    pile up threads or connections behind it.
    """
    with _health_lock:
        future = _health_running.get(name)
        if future is None or future.done():
            future = _health_running[name] = _health_workers.submit(check)
    try:
        return future.result(timeout=HEALTH_TIMEOUT_SECONDS)
    except FutureTimeout:
        return {"state": "timeout"}
    except Exception as exc:
        return {"state": "down", "error": type(exc).__name__}


def _check_database() -> dict[str, Any]:
    """The database answers, and when the timer dispatcher last finished a sweep."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beat = DispatcherHeartbeat.objects.filter(name=HEARTBEAT_NAME).first()
    finally:
        connection.close()  # this worker thread's connection goes back to the pool
    if beat is None:
        dispatcher: dict[str, Any] = {"state": "missing"}  # no dispatcher has ever swept this database
    else:
        age = (timezone.now() - beat.beat_at).total_seconds()
        late = age > beat.interval_seconds + HEARTBEAT_GRACE_SECONDS
        dispatcher = {
            "state": "late" if late else "ok",
            "last_sweep": beat.beat_at.isoformat(),
            "age_seconds": round(age, 1),
        }
    return {"state": "ok", "dispatcher": dispatcher}


def _check_redis() -> dict[str, Any]:
    client = redis.Redis.from_url(
        str(settings.REDIS_URL), socket_connect_timeout=HEALTH_TIMEOUT_SECONDS, socket_timeout=HEALTH_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return {"state": "ok"}


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For monitoring: the database, Redis (when configured) and the timer dispatcher, each with its state.

    200 when every one is "ok", 503 otherwise. No personal data, no login, and
    bounded: each check runs in a worker thread and is given HEALTH_TIMEOUT_SECONDS.
    """
    database = _bounded("database", _check_database)
    dispatcher = database.pop("dispatcher", {"state": "unknown"})  # unknown while the database is not answering
    checks = {"database": database, "dispatcher": dispatcher}
    if settings.REDIS_URL:
        checks["redis"] = _bounded("redis", _check_redis)
    healthy = all(check["state"] == "ok" for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503)


class ThrottledPasswordChangeView(PasswordChangeView):
    """The password change page, its old password counted toward login throttling (see the form)."""

    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class AccountsViewset(AuthViewset):
    """viewflow's login, logout and password pages, with the forms of project.forms."""

    pass_change_view_class = ThrottledPasswordChangeView

    def get_login_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return dict(super().get_login_view_kwargs(**{"form_class": LoginForm, **kwargs}))

    def get_pass_reset_confirm_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return dict(super().get_pass_reset_confirm_view_kwargs(**{"form_class": NewPasswordForm, **kwargs}))
