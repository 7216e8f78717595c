"""The notification page and marking as read; the task page every procedure shares."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import generic
from django.views.decorators.http import require_POST
from django.views.generic import ListView
from viewflow.workflow.status import STATUS

from core.pagination import keyset_page
from permissions.access import access_notification_for_user

from .events import KIND_ICONS, kind_label, subject_label, unread_count
from .models import Notification
from .services import notification_mark_all_read, notification_mark_read


class NotificationListView(ListView):
    """Everything the user was notified of, newest first; ``?show=unread`` for the unread ones."""

    template_name = "workflows/notification_list.html"
    context_object_name = "notifications"

    def get_queryset(self) -> QuerySet[Notification]:
        rows = Notification.objects.filter(recipient_id=self.request.user.pk).order_by("-id")
        if self.request.GET.get("show") == "unread":
            rows = rows.unread()
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        keyset = keyset_page(self.object_list, self.request.GET)
        context = super().get_context_data(object_list=keyset.rows, keyset=keyset, **kwargs)
        for notification in context["notifications"]:
            notification.label = kind_label(notification.kind)
            notification.subject = subject_label(notification.object_type, notification.object_id)
            notification.icon = KIND_ICONS.get(notification.kind, "notifications")
        context["show_unread"] = self.request.GET.get("show") == "unread"
        context["unread_total"] = unread_count(self.request.user.pk or 0)
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


# --- Task pages ---------------------------------------------------------------
# Viewflow renders a task's detail, assign and unassign pages through a
# generic table of every field of the process (decrypted patient fields,
# tokens and digests included), and logs no read. Every
# ScopedFlowAppViewset serves this page in their place: the procedure's own
# summary (which shows only what the visibility table allows), the step's
# state in words, and the one action the user may take here.

FINISHED_TASK_STATUSES = frozenset({STATUS.DONE, STATUS.CANCELED, STATUS.ERROR, STATUS.REVIVED})


def task_state_message(task: Any) -> str:
    """The step's state in a sentence: who finished it and when (local time), or who holds it."""
    owner = task.owner
    name = (getattr(getattr(owner, "profile", None), "printed_name", "") or owner.get_username()) if owner else ""
    when = date_format(timezone.localtime(task.finished), "Y-m-d H:i O") if task.finished else ""
    if task.status == STATUS.DONE:
        if name and when:
            return _("This step was completed by %(name)s at %(time)s.") % {"name": name, "time": when}
        return _("This step was completed at %(time)s.") % {"time": when} if when else _("This step was completed.")
    if task.status in FINISHED_TASK_STATUSES:
        return _("This step was cancelled at %(time)s.") % {"time": when} if when else _("This step was cancelled.")
    if task.status == STATUS.NEW:
        return _("This step waits for someone to claim it.")
    if name:
        return _("This step is being handled by %(name)s.") % {"name": name}
    return _("This step is in progress.")


class TaskPage:
    """The task a task URL names and its process, as the viewset's guard loaded and checked them.

    The process is the procedure's own (its case, with what its access rule selects) and stands in for the task's
    base process, so that the permission and four-eyes checks of the request read it rather than load it again;
    whether a user may claim the task is decided once per request, for the guard and the page's actions alike.
    """

    def __init__(self, *, task: Any, process: Any) -> None:
        task.process = process
        self.task, self.process = task, process
        self._can_assign: dict[Any, bool] = {}

    def can_assign(self, user: Any) -> bool:
        if user.pk not in self._can_assign:
            task = self.task
            self._can_assign[user.pk] = bool(task.status == STATUS.NEW and task.flow_task.can_assign(user, task))
        return self._can_assign[user.pk]


class TaskPageView(generic.TemplateView):
    """One task, shown the way its procedure allows: the summary, the state in words, the user's action.

    Reached through the viewset's guard, which has already checked that the
    user may see the process and that the task belongs to it, and hands both
    over as it loaded them (``TaskPage``).
    """

    template_name = "workflows/task_page.html"
    viewset: Any = None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.page = request._regflow_task_page  # type: ignore[attr-defined]
        self.task, self.process = self.page.task, self.page.process
        self.viewset.record_read(process=self.process, request=request)
        return super().get(request, *args, **kwargs)

    def actions(self) -> dict[str, str]:
        """URLs of what the user may do with this task: claim it, open it, release it."""
        task, node, user = self.task, self.task.flow_task, self.request.user
        if getattr(node, "assign_view", None) is None or not self.viewset.may_act(user):
            return {}  # a gateway, a timer, an end: nothing for a person to do
        args = [task.process_id, task.pk]
        if self.page.can_assign(user):
            return {"claim": node.reverse("assign", args=args)}
        if task.status in {STATUS.ASSIGNED, STATUS.STARTED} and task.owner_id == user.pk:
            return {"open": node.reverse("execute", args=args), "release": node.reverse("unassign", args=args)}
        return {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.viewset.process_page_context(process=self.process, user=self.request.user))
        node = self.task.flow_task
        context.update(
            task=self.task,
            title=node.task_title,
            state=task_state_message(self.task),
            finished=self.task.status in FINISHED_TASK_STATUSES,
            actions=self.actions(),
            summary_template=self.viewset.summary_template_name,
            styles_template=self.viewset.styles_template_name,
            process_url=self.viewset.reverse("process_detail", args=[self.process.pk]),
            queue_url=self.viewset.reverse("queue"),
        )
        return context
