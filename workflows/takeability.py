"""Who may take which task, decided for a whole list at once.

``SigningView.can_assign`` answers for one user and one task: viewflow's
object-permission check (guardian ``has_perm`` on the task's scope, which
loads the case and its facility or county), then the four-eyes rule (the
user's signatures on the case, the seats they hold, whether they entered or
amended it, whether they work at the submitting facility). Asked row by row
that is nine queries per row of a queue. Here the same rules are one query
for a list of tasks, and a fixed handful for the candidates of one task:

- ``takeable_tasks(flow_class, user)``: the tasks ``user`` may claim now, as a
  queryset (permission predicates that an index serves, four-eyes refusals as
  correlated subqueries per signing step). The queue, its menu counter and the
  workspace read it; it pages with a key, never with an exact count.
- ``assignable_users(task, users)``: the users among ``users`` who may claim
  ``task`` (the candidates told of a new task), from one load of each fact.

Both keep the per-task decision exactly: tests/permissions/test_takeability.py
compares them with ``can_assign`` over a varied scene. The procedure declares
what the rule needs through its process model (``workflows.nodes.FourEyesSubject``):
``four_eyes_entered_condition`` and ``four_eyes_facility_field``.

The scope a task was created with (``owner_permission_obj_pk``) is the scope
``can_assign`` computes again from the case: a case's facility and county are
fixed when it is submitted, before its first task exists.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from viewflow.workflow.status import STATUS

from audit.models import Signature

from .nodes import OPEN_TASK_STATUSES, SigningView


def object_permissions(user: Any) -> dict[tuple[int, str], set[str]]:
    """(content type id, "app_label.codename") -> object pks, for the user directly and through groups.

    What guardian's ``has_perm(perm, obj)`` consults, loaded once per request (one query: the user's own and
    their groups' rows, ``UNION ALL``).
    """
    cached = getattr(user, "_regflow_object_perms", None)
    if cached is not None:
        return cached
    from guardian.models import GroupObjectPermission, UserObjectPermission

    perms: dict[tuple[int, str], set[str]] = defaultdict(set)
    fields = ("content_type_id", "permission__content_type__app_label", "permission__codename", "object_pk")
    if user.is_active:
        rows = UserObjectPermission.objects.filter(user_id=user.pk).values_list(*fields)
        rows = rows.union(GroupObjectPermission.objects.filter(group__user=user).values_list(*fields), all=True)
        for content_type_id, app_label, codename, object_pk in rows:
            perms[(content_type_id, f"{app_label}.{codename}")].add(object_pk)
    user._regflow_object_perms = perms
    return perms


def permitted_q(user: Any) -> Q:
    """Tasks whose owner permission the user holds: viewflow's check, as predicates an index serves.

    viewflow's own queue compares ``owner_permission || '_' || owner_permission_obj_pk`` with a list, which
    no index serves; here each permission is an equality and each scope an IN list.
    """
    allowed = Q(owner_permission__isnull=True) | Q(owner_permission="")
    if user.is_superuser and user.is_active:
        return Q()
    global_perms = user.get_all_permissions()  # model-level: empty for inactive users
    if global_perms:
        allowed |= Q(owner_permission__in=sorted(global_perms))
    for (content_type_id, perm), pks in sorted(object_permissions(user).items()):
        allowed |= Q(
            owner_permission=perm,
            owner_permission_content_type_id=content_type_id,
            owner_permission_obj_pk__in=sorted(pks),
        )
    return allowed


def may_hold_step(user: Any, node: Any) -> bool:
    """Whether ``user`` holds the permission of ``node``'s tasks anywhere, as ``permitted_q`` reads it (False: no
    task of the step can be theirs to take, and a list may skip the step). A permission computed per task
    (a callable) cannot be told in advance: True."""
    perm = getattr(node, "_owner_permission", None)
    if not isinstance(perm, str) or not perm or (user.is_superuser and user.is_active):
        return True
    return perm in user.get_all_permissions() or any(held == perm for _type, held in object_permissions(user))


def held_steps(flow_class: Any, user: Any) -> list[Any]:
    """The human steps of ``flow_class`` whose tasks ``user`` may hold the permission for (``may_hold_step``):
    a list can leave the others out before it asks the database anything."""
    return [node for node in flow_class.instance.nodes() if node.task_type == "HUMAN" and may_hold_step(user, node)]


def _signing_nodes(flow_class: Any) -> list[SigningView]:
    return [node for node in flow_class.instance.nodes() if isinstance(node, SigningView)]


def four_eyes_refused_q(flow_class: Any, user: Any, *, staff_facilities: set[int] | None = None) -> Q:
    """Tasks of ``flow_class`` that ``SigningView.four_eyes_refusal`` refuses ``user``, as one condition.

    Every part is correlated on the task's own row (its case, its pk, its step), so the database checks it
    only for the tasks the other filters leave, through the signature, audit and task indexes. Each rule is
    one subquery for all the steps it applies to (the steps named in an ``IN`` list beside it), not one per
    step: the condition is built on every page that shows the queue's counter, and each subquery costs
    the ORM a whole query to build and PostgreSQL a subplan.
    """
    from permissions.access import staff_facility_ids

    model = flow_class.process_class
    object_type = f"{model._meta.app_label}.{model._meta.model_name}"
    case_pk = OuterRef("process_id")
    signed = Signature.objects.filter(object_type=object_type, object_id=Cast(case_pk, CharField()), signer_id=user.pk)
    if staff_facilities is None:
        staff_facilities = staff_facility_ids(user)
    facility_field = getattr(model, "four_eyes_facility_field", None)
    nodes = _signing_nodes(flow_class)
    ineligible = [node for node in nodes if node._eligible is not None and not node._eligible(user)]
    nodes = [node for node in nodes if node not in ineligible]
    refused = Q(flow_task__in=ineligible) if ineligible else Q(pk__in=[])
    if not nodes:
        return refused
    # A signature on the case at another step; at any step, this one included, where the step signs once.
    once = [node for node in nodes if not node.repeatable]
    if once:
        refused |= Q(flow_task__in=once) & Q(Exists(signed))
    by_step: dict[str, list[SigningView]] = defaultdict(list)
    for node in nodes:
        if node.repeatable:
            by_step[node.signing_step].append(node)
    for step, step_nodes in sorted(by_step.items()):
        refused |= Q(flow_task__in=step_nodes) & Q(Exists(signed.exclude(step=step)))
    # Another open task of the same step on the case, held by the user (a second panel seat).
    holds_another = (
        flow_class.task_class._default_manager.filter(
            process_id=case_pk, flow_task=OuterRef("flow_task"), owner_id=user.pk, status__in=OPEN_TASK_STATUSES
        )
        .exclude(pk=OuterRef("pk"))
        .values("pk")
    )
    refused |= Q(flow_task__in=nodes) & Q(Exists(holds_another))
    approving = [node for node in nodes if node.approval]
    if approving:
        refused |= Q(flow_task__in=approving) & model.four_eyes_entered_condition(user_pk=user.pk, case_pk=case_pk)
    bureau = [node for node in nodes if node.bureau]
    if bureau and staff_facilities and facility_field:
        at_facility = model._default_manager.filter(pk=case_pk, **{f"{facility_field}__in": staff_facilities})
        refused |= Q(flow_task__in=bureau) & Q(Exists(at_facility))
    return refused


def takeable_q(flow_class: Any, user: Any) -> Q:
    """The condition on a task of ``flow_class``'s human steps that ``user`` may claim it now (``can_assign``).

    For a list that also shows other tasks (the workspace: the ones the user holds, or may take), as one
    predicate of the same query rather than ``pk IN (takeable tasks)``: PostgreSQL cannot serve an ``OR``
    with an ``IN (subquery)`` branch from an index and reads the whole task table, each time.
    """
    return Q(status=STATUS.NEW, owner__isnull=True) & permitted_q(user) & ~four_eyes_refused_q(flow_class, user)


def takeable_tasks(flow_class: Any, user: Any, *, visible: QuerySet[Any] | None = None) -> QuerySet[Any]:
    """The tasks of ``flow_class`` that ``user`` may claim now (``can_assign``), optionally on ``visible`` cases."""
    manager = flow_class.task_class._default_manager
    if user is None or not user.is_authenticated:
        return manager.none()
    tasks = manager.filter(process__flow_class=flow_class, flow_task_type="HUMAN").filter(takeable_q(flow_class, user))
    if visible is not None:
        tasks = tasks.filter(process_id__in=visible.values("pk"))
    return tasks


def assignable_users(task: Any, users: list[Any]) -> list[Any]:
    """The users among ``users`` who may claim ``task`` now, exactly as ``can_assign`` would say one by one.

    A fixed number of queries whatever the number of users: the guardian permissions on the task's scope,
    the case's signatures, the seats held on it, who entered it and who works at its facility.
    """
    node = task.flow_task
    users = [user for user in users if user is not None and user.is_authenticated]
    if task.owner_id or not users:
        return []
    if task.owner_permission:
        users = _with_permission(task, users)
    if not isinstance(node, SigningView) or not users:
        return users
    subject = task.process.coerced
    model = type(subject)
    object_type = f"{model._meta.app_label}.{model._meta.model_name}"
    pks = [user.pk for user in users]
    signed: dict[int, set[str]] = defaultdict(set)
    for signer_id, step in Signature.objects.filter(
        object_type=object_type, object_id=str(subject.pk), signer_id__in=pks
    ).values_list("signer_id", "step"):
        signed[signer_id].add(step)
    holders = set(
        task.__class__._default_manager.filter(
            process_id=task.process_id, flow_task=node, owner_id__in=pks, status__in=OPEN_TASK_STATUSES
        )
        .exclude(pk=task.pk)
        .values_list("owner_id", flat=True)
    )
    entered = subject.four_eyes_entered_by() if node.approval else set()
    facility_staff: set[int] = set()
    if node.bureau:
        from permissions.models import RoleAssignment

        facility_id = subject.four_eyes_facility_id()
        if facility_id is not None:
            facility_staff = set(
                RoleAssignment.objects.filter(
                    user_id__in=pks, facility_id=facility_id, revoked_at__isnull=True
                ).values_list("user_id", flat=True)
            )
    chosen = []
    for user in users:
        steps = signed[user.pk]
        if node._eligible is not None and not node._eligible(user):
            continue
        if steps - {node.signing_step} or (not node.repeatable and node.signing_step in steps):
            continue
        if user.pk in holders or user.pk in entered or user.pk in facility_staff:
            continue
        chosen.append(user)
    return chosen


def _with_permission(task: Any, users: list[Any]) -> list[Any]:
    """The users who hold the task's permission on its scope (guardian) or everywhere (model permission)."""
    from django.contrib.auth.models import Permission
    from guardian.models import GroupObjectPermission, UserObjectPermission

    node, perm = task.flow_task, task.owner_permission
    scope = node._owner_permission_obj
    obj = scope(task.process) if callable(scope) else scope
    app_label, codename = perm.split(".", 1)
    pks = [user.pk for user in users if user.is_active]
    holders: set[int] = set()
    if obj is not None:
        content_type = ContentType.objects.get_for_model(obj)
        on_object = {"content_type": content_type, "object_pk": str(obj.pk), "permission__codename": codename}
        holders |= set(
            UserObjectPermission.objects.filter(user_id__in=pks, **on_object).values_list("user_id", flat=True)
        )
        holders |= set(
            GroupObjectPermission.objects.filter(group__user__in=pks, **on_object).values_list("group__user", flat=True)
        )
    model_level = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    holders |= set(model_level.filter(user__in=pks).values_list("user", flat=True))
    holders |= set(model_level.filter(group__user__in=pks).values_list("group__user", flat=True))
    return [user for user in users if user.is_active and (user.is_superuser or user.pk in holders)]
