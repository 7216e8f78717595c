"""Workflow nodes shared by every procedure: claiming tasks and the four-eyes rule.

Every signing step of every procedure is a ``SigningView``. Its can_assign and
can_execute refuse, on top of viewflow's role and scope check:

- anyone who already signed this case at another step (nobody signs twice), and,
  for a step that runs only once (``repeatable=False``, e.g. a panel seat),
  anyone who already signed at this step;
- anyone who holds another open task of the same step on the case (a panel
  expert cannot claim two seats);
- for approval steps (the default), whoever entered or amended the case;
- for bureau steps (``bureau=True``), whoever entered or amended the case and
  every staff member of the submitting facility;
- anyone the step's ``eligible(user)`` callable refuses (e.g. a panel seat
  needs a deputy chief physician or above).

The process model (coerced) provides the data through ``FourEyesSubject``.
Viewflow's own check covers only the task's permission; the cookbook's
duties-separation sample compares with the previous task only.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Protocol

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow import flow
from viewflow.workflow.base import Edge
from viewflow.workflow.flow.utils import wrap_view
from viewflow.workflow.flow.views import AssignTaskView
from viewflow.workflow.status import STATUS

from audit.models import Signature
from audit.services import audit_record, object_ref
from permissions.access import current_request_access, staff_facility_ids
from permissions.models import RoleAssignment
from permissions.roles import ROLE_SPECS
from workflows.events import notify

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


class FourEyesSubject(Protocol):
    """What a process model exposes so that SigningView can apply the four-eyes rule."""

    def four_eyes_entered_by(self) -> set[int]:
        """Ids of the users who entered or amended the record."""

    def four_eyes_facility_id(self) -> int | None:
        """The submitting facility, whose staff never sign a bureau step."""

    # For deciding a whole list at once (workflows.takeability):
    four_eyes_facility_field: str  # the field holding the submitting facility

    @classmethod
    def four_eyes_entered_condition(cls, *, user_pk: int, case_pk: Any) -> Any:
        """A condition (Q or Exists), for rows whose ``case_pk`` expression (an OuterRef) holds a case pk,
        that holds when the user entered or amended that case: four_eyes_entered_by, in SQL."""


def task_candidates(task: Any) -> list[Any]:
    """Users who could claim ``task`` now: the role and scope it asks for, minus the node's own refusals.

    Decided for all of them at once (workflows.takeability.assignable_users): a fixed number of queries
    however many people hold the role.
    """
    from .takeability import assignable_users

    permission, scope = task.owner_permission, task.owner_permission_obj
    if not permission or scope is None:
        return []
    roles = [role for role, spec in ROLE_SPECS.items() if permission in spec.object_permissions]
    field = "facility" if scope._meta.model_name == "facility" else "jurisdiction"
    user_ids = RoleAssignment.objects.active().filter(role__in=roles, **{f"{field}_id": scope.pk}).values("user_id")
    users = (
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .exclude(profile__is_service_account=True)  # a system's account takes no task
        .select_related("profile")
        .order_by("pk")
    )
    return assignable_users(task, list(users))


def task_url(task: Any) -> str:
    return task.flow_task.reverse("index", args=[task.process_id, task.pk])


def task_announce(*, task: Any) -> None:
    """Tell exactly the users who could take a new task that it is there (never broadcast)."""
    candidates = task_candidates(task)
    if candidates:
        notify(recipients=candidates, kind="task.available", url=task_url(task), obj=task.process)


@transaction.atomic
def task_claim(*, activation: Any, user: Any, request: HttpRequest | None = None) -> None:
    """Assign a task to the user who claims it; the other candidates learn it is taken."""
    task = activation.task
    others = [candidate for candidate in task_candidates(task) if candidate.pk != user.pk]
    activation.assign(user)
    process = task.process.coerced
    audit_record(
        actor=user,
        action="task.claim",
        obj=process,
        changes={"task": task.pk, "step": task.flow_task.name},
        request=request,
    )
    notify(recipients=[user], kind="task.assigned", url=task_url(task), obj=process)
    if others:
        notify(recipients=others, kind="task.taken", url=task_url(task), obj=process)


class ClaimTaskView(AssignTaskView):
    """Viewflow's assign page, going through task_claim so that claims are audited and announced."""

    success_message = _("You claimed task {task} of case {process}: it is yours until you finish or release it.")

    def form_valid(self, *args: Any, **kwargs: Any) -> Any:
        task_claim(activation=self.request.activation, user=self.request.user, request=self.request)
        return super(AssignTaskView, self).form_valid(*args, **kwargs)

    def get_success_url(self) -> str:
        # Claiming is the first half of doing: open the task at once.
        task = self.request.activation.task
        return str(task.flow_task.reverse("execute", args=[task.process_id, task.pk]))


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def wrap_execute_view(flow_task: Any, origin_view: Any) -> Any:
    """viewflow's ``wrap_view`` for a step's page, reading the task the viewset's guard loaded on a read.

    The guard (workflows.viewsets) has loaded the URL's task, checked that it belongs to the URL's process and
    step, and put the process it checked access to in the task's place (``TaskPage``); viewflow would load the
    task, its base process and the case again. A change (POST) goes through viewflow's own wrapper, which loads
    them under the case's lock.
    """
    stock = wrap_view(flow_task, origin_view)

    @wraps(origin_view)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        page = getattr(request, "_regflow_task_page", None)
        if request.method not in SAFE_METHODS or page is None or page.task.pk != kwargs.get("task_pk"):
            return stock(request, *args, **kwargs)
        task = page.task
        try:
            request.activation = flow_task.activation_class(task)  # type: ignore[attr-defined]
            if not flow_task.can_execute(request.user, task=task):
                raise PermissionDenied
            request.activation.start(request)  # type: ignore[attr-defined]
            return origin_view(request, *args, **kwargs)
        except TransitionNotAllowed as error:
            raise PermissionDenied(",".join(error.args)) from None

    return view


def owner_permission_held(user: Any, perm: str, obj: Any) -> bool:
    """viewflow's ``user.has_perm(perm, obj=obj) or user.has_perm(perm)``, the object's part (guardian's) read from
    the user's object permissions as the queue reads them (``takeability.object_permissions``: one query, kept for
    the request and shared with the menu's queue counter) rather than by guardian's two queries on every call."""
    from .takeability import object_permissions

    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if obj is not None:
        content_type = ContentType.objects.get_for_model(obj)
        if str(obj.pk) in object_permissions(user).get((content_type.pk, perm), ()):
            return True
    return bool(user.has_perm(perm))


class RegflowView(flow.View):
    """A user task whose claims are audited and announced."""

    assign_view_class = ClaimTaskView
    is_signing_step = False

    def can_assign(self, user: Any, task: Any) -> bool:
        """viewflow's check; while a request is served, its permission part through ``owner_permission_held``."""
        simple = task.owner_id or user is None or user.is_anonymous or not task.owner_permission
        if simple or current_request_access.get() is None:
            return bool(super().can_assign(user, task))
        scope = self._owner_permission_obj
        return owner_permission_held(user, task.owner_permission, scope(task.process) if callable(scope) else scope)

    @property
    def view_path(self) -> Any:
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/",
            wrap_execute_view(self, self.view),
            name="execute",
        )


class SigningView(RegflowView):
    """A user task completed by an electronic signature, under the case-wide four-eyes rule."""

    is_signing_step = True

    def __init__(
        self,
        view: Any,
        *,
        step: str | None = None,
        bureau: bool = False,
        approval: bool = True,
        repeatable: bool = False,
        eligible: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(view, **kwargs)
        self._eligible = eligible
        self._signing_step = step
        self.bureau = bureau
        self.approval = approval or bureau
        self.repeatable = repeatable

    @property
    def signing_step(self) -> str:
        """The name signatures of this node carry; two nodes may share one (a decision and its escalation)."""
        return self._signing_step or self.name

    def four_eyes_refusal(self, user: Any, task: Any) -> str | None:
        """Why the user may not sign this task, or None. Reasons are short codes for logs and tests."""
        if user is None or not user.is_authenticated:
            return "anonymous"
        if self._eligible is not None and not self._eligible(user):
            return "not_eligible"
        subject = task.process.coerced
        object_type, object_id = object_ref(subject)
        signed = Signature.objects.filter(object_type=object_type, object_id=object_id, signer_id=user.pk)
        if signed.exclude(step=self.signing_step).exists():
            return "signed_another_step"
        if not self.repeatable and signed.filter(step=self.signing_step).exists():
            return "signed_this_step"
        holds_another = (
            task.__class__._default_manager.filter(
                process_id=task.process_id, flow_task=self, owner_id=user.pk, status__in=OPEN_TASK_STATUSES
            )
            .exclude(pk=task.pk)
            .exists()
        )
        if holds_another:
            return "holds_another_seat"
        if self.approval and user.pk in subject.four_eyes_entered_by():
            return "entered_the_case"
        if self.bureau:
            facility_id = subject.four_eyes_facility_id()
            if facility_id is not None and facility_id in staff_facility_ids(user):
                return "staff_of_submitting_facility"
        return None

    def can_assign(self, user: Any, task: Any) -> bool:
        return super().can_assign(user, task) and self.four_eyes_refusal(user, task) is None

    def can_execute(self, user: Any, task: Any) -> bool:
        return super().can_execute(user, task) and self.four_eyes_refusal(user, task) is None


def open_tasks(process: Any) -> Any:
    """Tasks of a process that still wait for someone or something."""
    return process.task_set.filter(Q(status__in=OPEN_TASK_STATUSES) | Q(status=STATUS.SCHEDULED)).select_related(
        "owner"
    )


class If(flow.If):
    """viewflow's exclusive gateway, with its chart captions ("yes"/"no") in the reader's language."""

    def _outgoing(self) -> Any:
        yield Edge(src=self, dst=self._on_true, edge_class="cond_true", label=pgettext_lazy("flow chart", "yes"))
        yield Edge(src=self, dst=self._on_false, edge_class="cond_false", label=pgettext_lazy("flow chart", "no"))
