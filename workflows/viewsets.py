"""A FlowAppViewset that only ever shows what the user may see.

Viewflow's built-in list, detail, dashboard and task pages show every process
of a flow to anyone with the model-level view permission, and its task URLs
lock the process named in the URL while loading the task by its own id. This
viewset closes both gaps for every procedure:

- every URL that names a process runs the procedure's access function first
  (outsiders get 404, as if the case did not exist), and a task URL whose
  process id does not match the task's is refused with 404;
- the case list, inbox, queue, archive and task list are filtered by the
  procedure's ``visible_processes``; the queue also drops tasks the user could
  not claim (four-eyes), sorts by deadline and offers bulk claiming.

A procedure subclasses it and sets ``visible_processes``, ``access_process``,
``queue_rows`` (where steps have deadlines) and its ``process_detail_view_class``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connections, transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from django.views.decorators.cache import never_cache
from viewflow import viewprop
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.flow.viewset import FlowAppViewset
from viewflow.workflow.status import STATUS

from core.pagination import keyset_page

from .nodes import SAFE_METHODS, task_claim
from .services import task_release
from .takeability import held_steps, takeable_tasks
from .views import FINISHED_TASK_STATUSES, TaskPage, TaskPageView

MENU_COUNT_CAP = 99

BUSY_MESSAGE = gettext_lazy("Someone else is working on this case right now. Please try again in a moment.")


# Pages that only show things: any other method is refused before viewflow's
# redirect views answer it with a 302.
READ_ONLY_URL_NAMES = frozenset({"index", "detail", "process_detail", "process_chart", "chart"})


# Task URLs whose viewflow page renders every field of the process: ours is served instead (GET).
TASK_PAGE_URL_NAMES = frozenset({"detail", "assign", "unassign"})
# Task URLs that, once the step is finished, say who finished it and when instead of refusing.
FINISHED_PAGE_URL_NAMES = frozenset({"execute", "assign", "unassign"})


def _task_page_allowed(name: str | None, node: Any, user: Any, page: TaskPage) -> bool:
    """Who may see our page at a task URL: the same people viewflow lets see its page there."""
    task = page.task
    if name == "assign":
        return page.can_assign(user)
    if name == "unassign":
        return bool(task.owner_id is not None and node.can_unassign(user, task))
    check = getattr(node, f"can_{'view' if name == 'detail' else name}", None)
    return bool(check is not None and check(user, task))


def _task_page(
    viewset: ScopedFlowAppViewset, name: str | None, node: Any, request: HttpRequest, page: TaskPage, **kwargs: Any
) -> HttpResponse | None:
    """Our answer at a task URL where viewflow would render the process generically; None to let viewflow answer."""
    if request.method in SAFE_METHODS:
        if name in FINISHED_PAGE_URL_NAMES and page.task.status in FINISHED_TASK_STATUSES:
            # An old link, or Back after signing: say who finished the step, not "forbidden".
            return viewset.task_page_view(request, **kwargs)
        if name in TASK_PAGE_URL_NAMES:
            if not _task_page_allowed(name, node, request.user, page):
                raise PermissionDenied
            return viewset.task_page_view(request, **kwargs)
    elif name == "unassign":
        return viewset.task_release_view(request, **kwargs)
    return None


def _guard(viewset: ScopedFlowAppViewset, callback: Any, name: str | None, node: Any) -> Any:
    @wraps(callback)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unsafe = request.method not in SAFE_METHODS
        if unsafe and name in viewset.read_only_url_names:
            return HttpResponseNotAllowed(sorted(SAFE_METHODS))
        process_pk = kwargs.get("process_pk")
        if process_pk is not None:
            # A change needs write access (inspectors read only); a read needs read access.
            process = viewset.access_process(user=request.user, pk=process_pk, write=unsafe)
            if not unsafe:
                # What a read of the process's pages reuses rather than loads again (TaskPage, CaseTaskView.case).
                # A change reads the process again under its lock.
                request._regflow_process = process  # type: ignore[attr-defined]
            task_pk = kwargs.get("task_pk")
            if task_pk is not None:
                # The task must belong to the URL's process and to the URL's step.
                manager = viewset._flow_class.task_class._default_manager
                tasks = manager.filter(pk=task_pk, process_id=process_pk).select_related("owner__profile")
                if node is not None:
                    tasks = tasks.filter(flow_task=node)
                task = tasks.first()
                if task is None:
                    raise Http404
                page = TaskPage(task=task, process=process)
                request._regflow_task_page = page  # type: ignore[attr-defined]
                answer = _task_page(viewset, name, node, request, page, **kwargs)
                if answer is not None:
                    return answer
        try:
            return callback(request, *args, **kwargs)
        except FlowLockFailed:
            # The lock gave up after its retries: another request holds the case.
            messages.warning(request, BUSY_MESSAGE)
            return HttpResponseRedirect(request.get_full_path())

    return guarded


def _guard_patterns(viewset: ScopedFlowAppViewset, patterns: list[Any], node: Any = None) -> None:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            # Each flow node's URLs sit under a namespace named after the node.
            child = (
                viewset._flow_class.instance.node(pattern.namespace, no_obsolete=True) if pattern.namespace else None
            )
            _guard_patterns(viewset, pattern.url_patterns, child or node)
        elif isinstance(pattern, URLPattern) and not getattr(pattern.callback, "_regflow_guarded", False):
            # A case's pages show a patient's name or ID: no copy in any cache, nor in the browser's history.
            guarded = never_cache(_guard(viewset, pattern.callback, pattern.name, node))
            guarded._regflow_guarded = True  # type: ignore[attr-defined]
            pattern.callback = guarded


class ScopedViewMixin:
    viewset: Any = None
    flow_class: Any = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.flow_class.instance.has_view_permission(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["viewset"] = self.viewset
        context["flow_class"] = self.flow_class
        context["start_nodes"] = self.flow_class.get_start_nodes(self.request.user)  # type: ignore[attr-defined]
        # The viewset's URL namespace, for {% url namespace|add:":process_detail" pk %} in the shared templates.
        context["namespace"] = self.request.resolver_match.namespace  # type: ignore[attr-defined]
        return context


class KeysetListMixin:
    """A ListView paged by its rows' pk, newest first (core.pagination): no COUNT, same cost at any depth."""

    request: HttpRequest
    object_list: Any

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        keyset = keyset_page(self.object_list, self.request.GET)
        return super().get_context_data(object_list=keyset.rows, keyset=keyset, **kwargs)  # type: ignore[misc]


class ScopedProcessListView(KeysetListMixin, ScopedViewMixin, generic.ListView):
    """The cases the user may see, newest first (by id: the order of creation, served by (county, id) indexes)."""

    template_name = "workflows/process_list.html"
    title = gettext_lazy("Cases")

    def get_queryset(self) -> QuerySet[Any]:
        return self.viewset.visible_processes(self.request.user).order_by("-pk")


class ScopedTaskListView(KeysetListMixin, ScopedViewMixin, generic.ListView):
    """Inbox, archive and the all-tasks list: viewflow's querysets, cut down to visible processes, newest first."""

    template_name = "workflows/task_list.html"
    kind = "tasks"
    title = gettext_lazy("Tasks")

    def base_queryset(self) -> QuerySet[Any]:
        manager = self.flow_class.task_class._default_manager
        user = self.request.user
        if self.kind == "inbox":
            return inbox_tasks(self.viewset, user)
        if self.kind == "archive":
            return manager.archive([self.flow_class], user)
        return manager.filter(process__flow_class=self.flow_class, flow_task_type="HUMAN")

    def get_queryset(self) -> QuerySet[Any]:
        visible = self.viewset.visible_processes(self.request.user).values("pk")
        return self.base_queryset().filter(process_id__in=visible).select_related("process", "owner").order_by("-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        context["kind"] = self.kind
        return context


QueueCursor = tuple[datetime, datetime, int]  # (queue_due, created, pk) of the last row shown


def queue_key(task: Any) -> QueueCursor:
    """A queue row's place: earliest deadline first (no deadline: ``FAR_FUTURE``, last), then oldest, then id."""
    return task.queue_due, task.created, task.pk


def undated_queue_rows(tasks: QuerySet[Any], *, after: QueueCursor | None, limit: int) -> list[Any]:
    """The first ``limit`` of ``tasks``, steps without a deadline, in queue order after ``after``: oldest first."""
    if after is not None:
        due, created, pk = after
        if due > FAR_FUTURE:
            return []
        if due == FAR_FUTURE:
            tasks = tasks.filter(Q(created__gt=created) | Q(created=created, pk__gt=pk))
    rows = list(tasks.order_by("created", "pk")[:limit])
    for task in rows:
        task.queue_deadline, task.queue_due = None, FAR_FUTURE
    return rows


def inbox_tasks(viewset: ScopedFlowAppViewset, user: Any) -> QuerySet[Any]:
    """The inbox's rows: tasks the user holds, on processes the user may see."""
    visible = viewset.visible_processes(user).values("pk")
    return viewset._flow_class.task_class._default_manager.inbox([viewset._flow_class], user).filter(
        process_id__in=visible
    )


class MenuCounts:
    """The counters of viewflow's menu template (``{{ user_inbox.count }}``, ``{{ user_queue.count }}``).

    Each counts at most ``MENU_COUNT_CAP`` rows ("99+" beyond): the menu's number costs the same on a queue
    of a hundred thousand tasks as on a queue of ten. They are computed only when the menu shows one, and
    then all together, in one query (one round trip to the database on every page of a procedure, not
    one per counter).
    """

    def __init__(self, **querysets: Any) -> None:
        self._querysets = querysets
        self._values: dict[str, int | str] | None = None

    def __getitem__(self, name: str) -> MenuCount:
        return MenuCount(self, name)

    def value(self, name: str) -> int | str:
        if self._values is None:
            found = capped_counts(self._querysets, MENU_COUNT_CAP + 1)
            self._values = {key: shown_count(n) for key, n in found.items()}
        return self._values[name]


class MenuCount:
    """One of ``MenuCounts``, as the menu template reads it: ``.count``."""

    def __init__(self, counts: MenuCounts, name: str) -> None:
        self._counts, self._name = counts, name

    def count(self) -> int | str:
        return self._counts.value(self._name)


def shown_count(n: int) -> int | str:
    """A count as a list's heading shows it: up to MENU_COUNT_CAP, "99+" beyond."""
    return f"{MENU_COUNT_CAP}+" if n > MENU_COUNT_CAP else n


def capped_count(queryset: QuerySet[Any]) -> int | str:
    """How many rows ``queryset`` has, as ``shown_count`` shows it: one query that stops counting past the cap."""
    return shown_count(capped_counts({"rows": queryset}, MENU_COUNT_CAP + 1)["rows"])


def capped_counts(querysets: dict[str, QuerySet[Any]], cap: int) -> dict[str, int]:
    """``min(qs.count(), cap)`` for each queryset, in one ``SELECT`` of scalar subqueries."""
    found = dict.fromkeys(querysets, 0)
    parts: list[str] = []
    params: list[Any] = []
    names: list[str] = []
    for name, queryset in querysets.items():
        capped = queryset.order_by().values("pk")[:cap]
        try:
            sql, sql_params = capped.query.get_compiler(using=capped.db).as_sql()
        except EmptyResultSet:  # manager.none(), an empty IN list: nothing to count
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608 - the ORM's own SQL, parameters bound
        params.extend(sql_params)
        names.append(name)
    if parts:
        with connections[next(iter(querysets.values())).db].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            found.update(zip(names, cursor.fetchone(), strict=True))
    return found


class DeadlineQueueView(ScopedViewMixin, generic.TemplateView):
    """One queue across cases: tasks the user may claim, earliest deadline first, with the time left.

    Paged by key (``?after=`` the last row's deadline, creation time and id), never by an exact count: a
    page costs the same number of queries, and about the same time, at any depth and any queue length.
    """

    template_name = "workflows/queue.html"
    title = gettext_lazy("Queue")
    paginate_by = 50

    def page(self) -> tuple[list[Any], str]:
        """The page's tasks and the ``after`` cursor of the next page ("" on the last page)."""
        after = _parse_queue_cursor(self.request.GET.get("after", ""))
        rows = self.viewset.queue_rows(self.request, after=after, limit=self.paginate_by + 1)
        if len(rows) <= self.paginate_by:
            return rows, ""
        rows = rows[: self.paginate_by]
        due, created, pk = queue_key(rows[-1])
        return rows, f"{_micros(due)}.{_micros(created)}.{pk}"

    def rows(self) -> list[dict[str, Any]]:
        now = timezone.now()
        tasks, self.next_cursor = self.page()
        return [
            {
                "task": task,
                "deadline": task.queue_deadline,
                "overdue": task.queue_deadline is not None and task.queue_deadline <= now,
                "left": (task.queue_deadline - now) if task.queue_deadline is not None else None,
                "summary": self.viewset.task_summary(task),
            }
            for task in tasks
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rows"] = self.rows()
        context["next_cursor"] = self.next_cursor
        context["title"] = self.title
        return context


FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _parse_queue_cursor(value: str) -> tuple[datetime, datetime, int] | None:
    """``due.created.pk`` in microseconds since the epoch and an id; anything else is the first page."""
    parts = value.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
        return None
    try:
        due, created = (_EPOCH + timedelta(microseconds=int(p)) for p in parts[:2])
    except OverflowError:
        return None
    return due, created, int(parts[2])


class BulkClaimView(ScopedViewMixin, generic.View):
    """Claim several queue tasks at once. Tasks taken meanwhile by someone else are reported, not fatal."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        manager = self.flow_class.task_class._default_manager
        if not self.viewset.may_act(request.user):
            raise PermissionDenied  # read-only roles (inspectors) claim nothing
        visible = self.viewset.visible_processes(request.user, write=True).values("pk")
        # ASCII digits only ("²".isdigit() is true, int() refuses it), and within a bigint.
        ids = [int(pk) for pk in request.POST.getlist("tasks") if pk.isascii() and pk.isdigit() and len(pk) <= 18]
        tasks = manager.filter(pk__in=ids, process__flow_class=self.flow_class, process_id__in=visible)
        claimed, missed, busy = 0, 0, 0
        for task in tasks:
            try:
                # One transaction per task: a task someone else took does not undo the others.
                with transaction.atomic(), task.activation() as activation:
                    task = activation.task
                    if task.status != STATUS.NEW or not task.flow_task.can_assign(request.user, task):
                        missed += 1
                        continue
                    task_claim(activation=activation, user=request.user, request=request)
                    claimed += 1
            except FlowLockFailed:
                busy += 1  # another request holds that case: nothing was changed on it
        missed += len(set(ids) - {t.pk for t in tasks})
        if claimed:
            messages.success(request, _("%(count)d task(s) claimed.") % {"count": claimed})
        if missed:
            messages.warning(
                request,
                _("%(count)d task(s) could not be claimed: taken by someone else or not yours to take.")
                % {"count": missed},
            )
        if busy:
            messages.warning(request, BUSY_MESSAGE)
        return HttpResponseRedirect(self.viewset.reverse("queue"))


class ReleaseTaskView(ScopedViewMixin, generic.View):
    """Hand a claimed task back to the queue (POST to the task's unassign URL), from the task's page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        task = self.flow_class.task_class._default_manager.get(pk=kwargs["task_pk"], process_id=kwargs["process_pk"])
        try:
            with transaction.atomic(), task.activation() as activation:
                task = activation.task
                if task.status != STATUS.ASSIGNED or task.owner_id != request.user.pk:
                    raise PermissionDenied  # only the holder, before finishing it
                task_release(activation=activation, user=request.user, request=request)
        except FlowLockFailed:
            messages.warning(request, BUSY_MESSAGE)  # nothing changed: back to the task
            return HttpResponseRedirect(task.flow_task.reverse("execute", args=[task.process_id, task.pk]))
        messages.success(
            request,
            _("You released “%(step)s” of case #%(pk)s: it is back in the queue.")
            % {"step": task.flow_task.task_title, "pk": task.process_id},
        )
        return HttpResponseRedirect(self.viewset.reverse("queue"))


class ScopedFlowAppViewset(FlowAppViewset):
    """Row-level scoping for a procedure's pages. Subclasses provide the access rules."""

    process_list_view_class = ScopedProcessListView
    queue_view_class = DeadlineQueueView
    read_only_url_names: frozenset[str] = READ_ONLY_URL_NAMES

    def visible_processes(self, user: Any, *, write: bool = False) -> QuerySet[Any]:
        """Processes the user may see (write=False) or act on (write=True)."""
        raise NotImplementedError

    def access_process(self, *, user: Any, pk: int, write: bool = False) -> Any:
        """Return the process or raise Http404 (write=True: only if the user may act on it)."""
        raise NotImplementedError

    def may_act(self, user: Any) -> bool:
        """Whether the user holds any role that may change a process (False for read-only roles)."""
        return True

    def queue_rows(self, request: HttpRequest, *, after: QueueCursor | None, limit: int) -> list[Any]:
        """The queue's first ``limit`` tasks after ``after`` (``queue_key`` order), each with ``queue_deadline``
        (None: no deadline) and ``queue_due`` (the deadline or ``FAR_FUTURE``). Here no step has a deadline."""
        steps = held_steps(self._flow_class, request.user)
        if not steps:
            return []
        tasks = self.queue_tasks(request)
        return undated_queue_rows(tasks.filter(flow_task__in=steps), after=after, limit=limit)

    def queue_tasks(self, request: HttpRequest) -> QuerySet[Any]:
        """The tasks the queue may show, with what its rows read (``process_related``) and nothing it does not:
        a procedure's encrypted fields are deferred (``process_deferred``)."""
        tasks = self.request_takeable_tasks(request).select_related("process", *self.process_related())
        return tasks.defer(*self.process_deferred())

    def process_related(self) -> list[str]:
        """select_related paths that load the procedure's process (and what task_summary reads) with a task."""
        return []

    def process_deferred(self) -> list[str]:
        """Paths under ``process_related`` that a list of tasks never reads (the procedure's patient data)."""
        return []

    def task_summary(self, task: Any) -> str:
        return str(task.process.coerced)

    # --- What a task page shows (workflows.views.TaskPageView) ---

    summary_template_name: str | None = None  # the procedure's case summary, restricted by its visibility table
    styles_template_name: str | None = None

    def process_page_context(self, *, process: Any, user: Any) -> dict[str, Any]:
        """Context for ``summary_template_name``: only what ``user`` may see of ``process``."""
        raise NotImplementedError

    def record_read(self, *, process: Any, request: HttpRequest) -> None:
        """Log a read of the record by an oversight role (``record.read``), as the case page does."""
        raise NotImplementedError

    @viewprop
    def task_page_view(self) -> Any:
        return TaskPageView.as_view(viewset=self)

    @viewprop
    def task_release_view(self) -> Any:
        return self.scoped(ReleaseTaskView)

    # --- The menu's counters: exactly the rows the inbox and the queue show (capped) ---

    def get_context_data(self, request: HttpRequest) -> dict[str, Any]:
        counts = MenuCounts(
            inbox=inbox_tasks(self, request.user),
            queue=self.request_takeable_tasks(request),
        )
        return {"user_inbox": counts["inbox"], "user_queue": counts["queue"]}

    def request_takeable_tasks(self, request: HttpRequest) -> QuerySet[Any]:
        """The tasks the request's user may claim, on processes they may see (``takeable_tasks``), built once per
        request: the queue page and the menu's counter read the same rows, and the condition is the dearest part
        of either to build. A queryset is never evaluated here; each reader clones it."""
        built = request.__dict__.setdefault("_regflow_takeable", {})
        if self._flow_class not in built:
            built[self._flow_class] = takeable_tasks(
                self._flow_class, request.user, visible=self.visible_processes(request.user)
            )
        return built[self._flow_class]

    def scoped(self, view_class: Any, **kwargs: Any) -> Any:
        return view_class.as_view(viewset=self, flow_class=self._flow_class, **kwargs)

    @property
    def index_path(self) -> Any:
        return path("", self.scoped(self.process_list_view_class), name="index")

    @viewprop
    def process_list_view(self) -> Any:
        return self.scoped(self.process_list_view_class)

    @viewprop
    def task_list_view(self) -> Any:
        return self.scoped(ScopedTaskListView, kind="tasks", title=gettext_lazy("All tasks"))

    @viewprop
    def inbox_view(self) -> Any:
        return self.scoped(ScopedTaskListView, kind="inbox", title=gettext_lazy("Inbox"))

    @viewprop
    def archive_view(self) -> Any:
        return self.scoped(ScopedTaskListView, kind="archive", title=gettext_lazy("Archive"))

    @viewprop
    def queue_view(self) -> Any:
        return self.scoped(self.queue_view_class)

    @viewprop
    def tasks_assign_view(self) -> Any:
        return self.scoped(BulkClaimView)

    @property
    def bench_stock_list_path(self) -> Any:
        """viewflow's stock process list, unscoped: an anchor of ``make bench`` (project/bench.py), superusers."""
        if not settings.REGFLOW_BENCH_ANCHORS:
            return None
        from viewflow.workflow.flow.views import DashboardProcessListView

        from permissions.access import superuser_only

        kwargs = self.filter_kwargs(DashboardProcessListView, flow_class=self._flow_class, viewset=self)
        return path("bench/stock-list/", superuser_only(DashboardProcessListView.as_view(**kwargs)), name="bench_stock")

    @property
    def process_cancel_path(self) -> Any:
        return None  # cases end through their own services (withdrawal), never by an admin cancel

    @property
    def tasks_unassign_path(self) -> Any:
        return None

    def _get_urls(self) -> list[Any]:
        patterns = super()._get_urls()
        _guard_patterns(self, patterns)
        return patterns
