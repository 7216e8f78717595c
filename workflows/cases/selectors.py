"""Reads for every procedure's case pages: what a user may see of a case, its open steps, its trail."""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Window
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import Signature
from audit.selectors import object_trail
from audit.services import audit_read, object_ref
from permissions.access import (
    audit_county_ids_for_user,
    case_read_is_oversight,
    case_roles_for_user,
    cases_for_user,
)

from ..nodes import SigningView, open_tasks, task_url
from ..takeability import takeable_q
from ..visibility import Visible, redact_changes
from ..workspace import SECTION_LIMIT, Cell, Section
from .registry import procedure_of


def case_visible_fields(*, user: Any, case: Any) -> Visible:
    """What this user may see of this case, from its procedure's visibility table."""
    return procedure_of(case).visibility.visible(case_roles_for_user(user=user, case=case))


def case_page_context(*, case: Any, user: Any) -> dict[str, Any]:
    """Everything a case page shows: documents, signatures with their validity, the audit timeline,
    and what the procedure adds (Procedure.page_context)."""
    procedure = procedure_of(case)
    trail = object_trail(obj=case)
    flow = case.flow_class.instance
    see = case_visible_fields(user=user, case=case)
    documents = getattr(case, "documents", None)
    documents = list(documents.select_related("uploaded_by__profile").order_by("pk")) if documents else []
    for document in documents:
        document.url = flow.reverse("document", args=[case.pk, document.pk])
    context = {
        "case": case,
        "procedure": procedure,
        "documents": documents,
        "signatures": trail.signatures,
        # The timeline shows each change; a restricted field's value only to those the table allows.
        "events": redact_changes(
            trail.events,
            [field for field in procedure.visibility.fields if not see[field]],
            placeholder=str(_("hidden")),
        ),
        "trail_check": trail.check,
        # Restricted fields, from the visibility table: templates show a field only when see.<field>.
        "see": see,
        "chart_url": flow.reverse("process_chart", args=[case.pk]),
        "case_url": flow.reverse("process_detail", args=[case.pk]),
        "withdraw_url": flow.reverse("withdraw", args=[case.pk]),
        "certificate_url": (
            flow.reverse("certificate", args=[case.pk]) if getattr(case, "certificate_number", None) else ""
        ),
        "procedure_templates": procedure.templates,
        # Bureau and inspectors also get the trail's own page and its PDF and CSV copies.
        "trail_ref": object_ref(case) if case.county_id in audit_county_ids_for_user(user) else None,
        "now": timezone.now(),
    }
    if procedure.page_context is not None:
        context.update(procedure.page_context(case=case, user=user))
    return context


def case_tasks(*, case: Any, user: Any) -> list[dict[str, Any]]:
    """The case's open steps that people act on, with what this user may do about each.

    Only human tasks: splits and joins, gateways and timers are the engine's business.
    """
    rows = []
    for task in open_tasks(case).filter(flow_task_type="HUMAN").order_by("pk"):
        node = task.flow_task
        can_execute = task.status == "ASSIGNED" and node.can_execute(user, task)
        can_claim = task.status == "NEW" and node.can_assign(user, task)
        rows.append(
            {
                "task": task,
                "title": node.task_title,
                "execute_url": node.reverse("execute", args=[case.pk, task.pk]) if can_execute else "",
                "claim_url": node.reverse("assign", args=[case.pk, task.pk]) if can_claim else "",
            }
        )
    return rows


def case_read_audit(*, case: Any, request: HttpRequest) -> None:
    """Bureau and inspector reads of a patient record go into the audit trail."""
    if case_read_is_oversight(user=request.user, case=case):
        audit_read(user=request.user, obj=case, request=request)


def cases_by_certificate(model: type[Any], number: str) -> list[int]:
    """The case that issued certificate ``number`` (for the audit search): a unique, indexed column."""
    return list(model._default_manager.filter(certificate_number=number).values_list("pk", flat=True))


# --- The workspace's task lists --------------------------------------------------------------


def case_tasks_waiting(*, flow_class: Any, case_model: type[Any], user: Any) -> QuerySet[Any]:
    """The flow's human tasks the user holds or may claim, on cases the user may see, in bulk.

    A task to claim passes the whole takeability rule (``takeable_q``: four-eyes included, correlated on its
    row). Of the tasks the user holds, the cases they entered are left out, and the steps the signatures'
    rule (SigningView.four_eyes_refusal) refuses them: a case they signed at another step, or at this one when
    the step signs once (a panel seat). That last check reads the user's signatures (years of an officer's
    work) and is asked of held tasks only: PostgreSQL evaluates it for no row when the user holds none.
    """
    from viewflow.workflow.models import Task

    case_type = f"{case_model._meta.app_label}.{case_model._meta.model_name}"
    signed = Signature.objects.filter(object_type=case_type, signer_id=user.pk).annotate(
        case_pk=Cast("object_id", BigIntegerField())
    )
    refused = Q(pk__in=[])
    for node in flow_class.instance.nodes():
        if isinstance(node, SigningView):
            steps = signed.exclude(step=node.signing_step) if node.repeatable else signed
            refused |= Q(flow_task=node, process_id__in=steps.values("case_pk"))
    visible = cases_for_user(user, model=case_model).values("pk")
    held = Q(owner=user, status="ASSIGNED")
    return (
        Task._default_manager.filter(process__flow_class=flow_class, flow_task_type="HUMAN", process_id__in=visible)
        .filter(held | takeable_q(flow_class, user))
        .exclude(**{f"process__{case_model._meta.model_name}__submitted_by": user})
        .exclude(held & refused)
    )


def one_per_step(tasks: Any, limit: int) -> list[Any]:
    """The first task of each step of each case: a panel's seats make one row (an expert takes one)."""
    seen, rows = set(), []
    for task in tasks[: limit * 3]:
        key = (task.process_id, task.flow_task)
        if key not in seen:
            seen.add(key)
            rows.append(task)
    return rows[:limit]


# "<county code>-<year>-<serial>" as services.number_draw writes it; the token is token_urlsafe.
# Parsed strictly before the database sees them: ASCII only (a non-ASCII token would make compare_digest
# raise), no NUL, nothing longer than the columns.
_CERTIFICATE_NUMBER = re.compile(r"[0-9]{6,12}-[0-9]{4}-[0-9]{6,12}")
_CERTIFICATE_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def verified_certificate(*, kind: str, number: str, token: str) -> Any:
    """What carries certificate ``number`` of ``kind`` when ``token`` is its token, else None (the public check:
    the page at /verify/ and the API's verification endpoint)."""
    from .registry import procedure_for_certificate

    procedure = procedure_for_certificate(kind)
    if procedure is None or not (_CERTIFICATE_NUMBER.fullmatch(number) and _CERTIFICATE_TOKEN.fullmatch(token)):
        return None
    holder = procedure.certificate_holder(number)
    if holder is None or not holder.certificate_token or not hmac.compare_digest(holder.certificate_token, token):
        return None
    return holder


# --- Workspace sections (workflows.workspace) ----------------------------------------------------
# Case numbers, facilities, stages and deadlines only: nothing restricted, so these rows need no read logging.


def workspace_section(
    records: Any, *, rows: Callable[[Any], list[list[Cell]]], limit: int = SECTION_LIMIT, **fields: Any
) -> Section:
    """A workspace section over ``records`` (a queryset, in its order): the first ``limit`` as rows, and their total.

    The total comes with the rows, a count over the whole list taken before the limit (``COUNT(*) OVER ()``):
    the query, which for a task section carries the whole takeability condition (the page's dearest to build,
    compile and run), runs once rather than once for the rows and again for a count.
    """
    first = list(records.annotate(section_total=Window(Count("pk")))[:limit])
    return Section(rows=rows(first), total=first[0].section_total if first else 0, **fields)


class StepDeadline(NamedTuple):
    """A step's deadline: the case's datetime ``field``, set while the step's task is open (a step's timer,
    ``case_due(field)``, asserts it), and the ``stage`` the case is at meanwhile (an index on the scope, the
    field and that stage serves the queue's walk: ``tasks_by_case_deadline``). A procedure declares its steps'
    as ``{node name: StepDeadline}`` (its viewset's ``task_deadlines``)."""

    field: str
    stage: str


def step_deadline(task: Any, deadlines: dict[str, StepDeadline]) -> datetime | None:
    """``task``'s deadline by ``deadlines``: its case's field for its step, None for a step without one."""
    deadline = deadlines.get(task.flow_task.name)
    return getattr(task.process.coerced, deadline.field) if deadline else None


def tasks_by_case_deadline(
    tasks: QuerySet[Any],
    *,
    cases: QuerySet[Any],
    due_field: str,
    limit: int,
    after: tuple[datetime, datetime, int] | None = None,
) -> list[Any]:
    """The first ``limit`` of ``tasks`` in the order of their case's ``due_field``, then their creation and id
    (after ``after``, such a triple, if given), found by walking ``cases`` in deadline order, a batch at a time.
    Each task found carries its case's deadline as ``case_due``.

    ``cases`` must hold every case such a task can wait on (a procedure's stage for the step: ``StepDeadline``),
    and an index on the scope's column and ``due_field`` for that stage serves the walk. A task whose case has
    no deadline is not found here: a step with a deadline has it set while its task is open (``case_due``, the
    step's timer, asserts it). Ranking the tasks themselves would first check every candidate against the
    takeability rule (its four-eyes subqueries) and join it to its case, then sort them all to keep ten: a
    county's 2,694 open decisions at a million tasks, over 100 ms. Here the first batch is an index range of
    cases and the rule is checked for their tasks only; another batch, twice as large, is read only while the
    rows found fall short (cases refused to the user). A batch ends on a whole deadline (every case sharing the
    last one's deadline is in it), so tasks of cases due at the same moment are ordered among themselves.
    """
    case_name = cases.model._meta.model_name
    tasks = tasks.annotate(case_due=F(f"process__{case_name}__{due_field}")).order_by("case_due", "created", "pk")
    cases = cases.filter(**{f"{due_field}__isnull": False}).order_by(due_field, "pk")
    if after is not None:
        due, created, pk = after
        cases = cases.filter(**{f"{due_field}__gte": due})
        tasks = tasks.filter(
            Q(case_due__gt=due) | Q(case_due=due, created__gt=created) | Q(case_due=due, created=created, pk__gt=pk)
        )
    rows: list[Any] = []
    batch = 4 * limit
    while len(rows) < limit:
        found = list(cases.values_list("pk", due_field)[:batch])
        whole = len(found) < batch  # the rest of the walk is in this batch
        pks = [pk for pk, _due in found]
        if not whole:
            last = found[-1][1]
            pks = [pk for pk, due in found if due != last]
            pks += cases.filter(**{due_field: last}).values_list("pk", flat=True)
            cases = cases.filter(**{f"{due_field}__gt": last})
        if pks:
            rows += tasks.filter(process_id__in=pks)[: limit - len(rows)]
        if whole:
            break
        batch *= 2
    return rows


def case_cell(case: Any) -> Cell:
    """'Case #<pk>', linked to the case's page."""
    url = case.flow_class.instance.reverse("process_detail", args=[case.pk])
    return Cell(_("Case #%(pk)s") % {"pk": case.pk}, url=url)


def case_stage_cell(case: Any) -> Cell:
    """The case's stage, in bold when it is back with the facility (its RETURNED_STAGE)."""
    return Cell(case.get_stage_display(), strong=case.stage == case.RETURNED_STAGE)


def task_rows(tasks: Iterable[Any], *, deadline: Callable[[Any], Any]) -> list[list[Cell]]:
    """A row per task: its step (linked to the task), its case, the case's facility and ``deadline(task)``, in
    bold once passed. The tasks' cases and facilities are selected with them (``process__<case>__facility``)."""
    rows = []
    for task in tasks:
        case, due = task.process.coerced, deadline(task)
        rows.append(
            [
                Cell(task.flow_task.task_title, url=task_url(task)),
                case_cell(case),
                Cell(case.facility.name),
                Cell("—" if due is None else "", when=due, strong=due is not None and due <= timezone.now()),
            ]
        )
    return rows
