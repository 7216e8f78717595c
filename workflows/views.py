"""The notification page and marking as read."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from permissions.access import access_notification_for_user

from .events import KIND_ICONS, kind_label, subject_label
from .models import Notification
from .services import notification_mark_all_read, notification_mark_read


class NotificationListView(ListView):
    """Everything the user was notified of, newest first; ``?show=unread`` for the unread ones."""

    template_name = "workflows/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Notification]:
        rows = Notification.objects.filter(recipient_id=self.request.user.pk).order_by("-id")
        if self.request.GET.get("show") == "unread":
            rows = rows.filter(read_at__isnull=True)
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for notification in context["notifications"]:
            notification.label = kind_label(notification.kind)
            notification.subject = subject_label(notification.object_type, notification.object_id)
            notification.icon = KIND_ICONS.get(notification.kind, "notifications")
        context["show_unread"] = self.request.GET.get("show") == "unread"
        context["unread_total"] = Notification.objects.filter(
            recipient_id=self.request.user.pk, read_at__isnull=True
        ).count()
        return context


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = reverse("notifications:index")
    # 303: Turbo (and the browser) follow a form POST with a GET.
    return HttpResponseRedirect(target, status=303)


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = access_notification_for_user(user=request.user, pk=pk, write=True)
    notification_mark_read(user=request.user, notification=notification)
    return _back(request)


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notification_mark_all_read(user=request.user)
    return _back(request)
