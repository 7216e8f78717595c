"""The one place that decides who may see or change what.

Views, exports and consumers call these functions; they never call has_perm
or guardian themselves. An object outside the user's scope raises Http404,
the same answer as an object that does not exist, so existence never leaks.
Procedures register their access rule (case_access_register, through
workflows.cases.registry), built on the scope helpers below.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.http import Http404

from .models import Facility, Jurisdiction, RoleAssignment
from .roles import BUREAU_ROLES, FACILITY_ROLES, Role
from .selectors import counties_within

denied_log = logging.getLogger("regflow.access.denied")


@dataclass
class RequestAccessState:
    """What the denial log needs to know about the request being served.

    permissions.middleware.DeniedRequestLogMiddleware sets it per request, so
    that an access function deep in a view can name the route, and so that a
    refusal already logged here is not logged again when it becomes a 403.
    """

    route: str = ""
    obj: str = ""
    logged: bool = False
    # The user's scope (roles, facilities, counties), read once per request: every list page asks for it
    # several times (the page, the menu's counters, the header). Never kept beyond the request.
    scope_cache: dict[tuple[Any, ...], frozenset[Any]] = field(default_factory=dict)


current_request_access: ContextVar[RequestAccessState | None] = ContextVar("current_request_access", default=None)


def log_denied(*, user: Any, route: str = "", obj: str = "") -> None:
    """One structured line per refusal: who, where, which object, when (UTC).

    Only ids go in the line: the user's primary key, the route name and an
    object reference such as ``termination.process:12``. Never names, ID
    numbers or anything typed by a user. While a request is being served the
    route is the resolved URL name (``route`` is then only a fallback, for
    consumers and commands), and the object defaults to the URL's ids.
    """
    state = current_request_access.get()
    if state is not None:
        if state.logged:  # one line per refused request, however many checks refused it
            return
        route = state.route or route
        obj = obj or state.obj
        state.logged = True
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    denied_log.warning(
        "access_denied user_id=%s route=%s object=%s at=%s",
        user_id if user_id is not None else "-",
        route or "-",
        obj or "-",
        datetime.now(UTC).isoformat(timespec="seconds"),
        extra={"user_id": user_id, "route": route, "object": obj},
    )


def deny(*, user: Any, route: str = "", obj: str = "") -> Http404:
    """Log the refusal and return the 404 to raise: outsiders cannot tell "hidden" from "absent"."""
    log_denied(user=user, route=route, obj=obj)
    return Http404()


def _per_request(user: Any, key: tuple[Any, ...], compute: Any) -> set[Any]:
    """``compute()`` once per request and user (a fresh set each call: callers may change theirs)."""
    state = current_request_access.get()
    user_pk = getattr(user, "pk", None)
    if state is None or user_pk is None:
        return set(compute())
    cache_key = (user_pk, *key)
    if cache_key not in state.scope_cache:
        state.scope_cache[cache_key] = frozenset(compute())
    return set(state.scope_cache[cache_key])


def scope_changed() -> None:
    """Forget the scope read in this request (after a role was granted or revoked in it)."""
    state = current_request_access.get()
    if state is not None:
        state.scope_cache.clear()


def is_active_user(user: Any) -> bool:
    """A signed-in user whose account is active: anyone else has no scope at all."""
    return bool(user and user.is_authenticated and user.is_active)


def user_assignments(user: Any) -> list[RoleAssignment]:
    """The user's active role assignments (facility and jurisdiction joined), read once per request.

    One query feeds every scope helper below and the page header (permissions.selectors.user_header_context).
    """
    if getattr(user, "pk", None) is None:
        return []
    rows = _per_request(
        user,
        ("assignments",),
        lambda: RoleAssignment.objects.active().filter(user=user).select_related("facility", "jurisdiction"),
    )
    return sorted(rows, key=lambda assignment: assignment.pk)


def _assignments(user: Any) -> list[tuple[str, int | None, int | None]]:
    return [(a.role, a.facility_id, a.jurisdiction_id) for a in user_assignments(user)]


def user_roles(user: Any) -> set[str]:
    if not is_active_user(user):
        return set()
    return {role for role, _facility, _jurisdiction in _assignments(user)}


def staff_facility_ids(user: Any, *, roles: set[str] | None = None) -> set[int]:
    """Facilities where the user works as clerk or director."""
    return {
        facility_id
        for role, facility_id, _jurisdiction in _assignments(user)
        if facility_id is not None and (not roles or role in roles)
    }


def _jurisdiction_ids(user: Any, roles: set[str] | frozenset[str]) -> set[int]:
    return {
        jurisdiction_id
        for role, _facility, jurisdiction_id in _assignments(user)
        if jurisdiction_id is not None and role in roles
    }


def bureau_county_ids(user: Any, *, roles: set[str] | None = None) -> set[int]:
    """Counties whose bureau the user acts for."""
    return _jurisdiction_ids(user, roles or {Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR})


def inspected_county_ids(user: Any) -> set[int]:
    """Counties an inspector covers: the county granted, or every county of a city granted."""
    granted = _jurisdiction_ids(user, {Role.INSPECTOR})
    if not granted:
        return set()
    return _per_request(
        user,
        ("inspected",),
        lambda: counties_within(Jurisdiction.objects.filter(pk__in=granted)).values_list("pk", flat=True),
    )


def panel_county_ids(user: Any) -> set[int]:
    return _jurisdiction_ids(user, {Role.EXPERT})


def supervised_county_ids(user: Any) -> set[int]:
    """Counties where the user makes the bureau's on-site checks."""
    return _jurisdiction_ids(user, {Role.SUPERVISOR})


def access_facility_for_user(*, user: Any, pk: int, write: bool = False) -> Facility:
    """A facility is visible to its own staff and to the bureau and inspectors of its county."""
    try:
        facility = Facility.objects.select_related("county").get(pk=pk)
    except (Facility.DoesNotExist, ValueError, TypeError):
        raise deny(user=user, route="facility", obj=f"facility:{pk}") from None
    allowed = facility.pk in staff_facility_ids(user)
    if not write:
        allowed = allowed or facility.county_id in bureau_county_ids(user) | inspected_county_ids(user)
    if not allowed:
        raise deny(user=user, route="facility", obj=f"facility:{pk}")
    return facility


def access_county_for_user(*, user: Any, pk: int, write: bool = False) -> Jurisdiction:
    counties = bureau_county_ids(user) if write else bureau_county_ids(user) | inspected_county_ids(user)
    if pk not in counties:
        raise deny(user=user, route="county", obj=f"jurisdiction:{pk}")
    return Jurisdiction.objects.get(pk=pk)


def access_notification_for_user(*, user: Any, pk: Any, write: bool = False) -> Any:
    """A notification belongs to its recipient alone, for reading and for marking as read."""
    from workflows.models import Notification

    try:
        return Notification.objects.get(pk=pk, recipient_id=user.pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise deny(user=user, route="notification", obj=f"notification:{pk}") from None


def admin_site_permitted(request: Any) -> bool:
    """Who may open the Django admin: active superusers only.

    The admin lists every county's records, so it is for the system's
    administrators, who hold no jurisdiction. Staff status alone carries no
    scope and must not open it. Installed as admin.site.has_permission.
    """
    user = getattr(request, "user", None)
    allowed = bool(user is not None and user.is_active and user.is_superuser)
    if not allowed and user is not None and user.is_authenticated:
        log_denied(user=user, route="admin", obj="admin")
    return allowed


# --- Procedures' cases --------------------------------------------------------
# Each procedure states its access rule once, as a queryset filter built on the
# scope helpers above, and registers it through workflows.cases.registry (which
# calls case_access_register). Nothing here knows any procedure.


@dataclass(frozen=True)
class CaseAccessRule:
    visible: Callable[..., Any]  # visible(user, *, write=False) -> QuerySet of the case model
    roles: Callable[..., set[str]] | None = None  # roles(*, user, case) -> the roles through which the user sees it
    document_model: type[Any] | None = None


_CASE_RULES: dict[type[Any], CaseAccessRule] = {}


def case_access_register(
    *,
    model: type[Any],
    visible: Callable[..., Any],
    roles: Callable[..., set[str]] | None = None,
    document_model: type[Any] | None = None,
) -> None:
    """A procedure's access rule for its case model (and the document model filed with its cases)."""
    _CASE_RULES[model] = CaseAccessRule(visible=visible, roles=roles, document_model=document_model)


def _rule(model: type[Any]) -> CaseAccessRule:
    try:
        return _CASE_RULES[model]
    except KeyError:
        raise LookupError(f"no access rule registered for {model.__name__}") from None


def _document_rule(document_model: type[Any]) -> tuple[type[Any], CaseAccessRule]:
    for model, rule in _CASE_RULES.items():
        if rule.document_model is document_model:
            return model, rule
    raise LookupError(f"no access rule registered for documents {document_model.__name__}")


def cases_for_user(user: Any, *, model: type[Any], write: bool = False) -> Any:
    """The cases of ``model`` the user may see (or, with write=True, act on); none for an inactive user."""
    if not is_active_user(user):
        return model._default_manager.none()
    return _rule(model).visible(user, write=write)


def access_case_for_user(*, user: Any, model: type[Any], pk: Any, write: bool = False) -> Any:
    """One case the user may see (or act on); 404 to anyone else, logged."""
    try:
        return cases_for_user(user, model=model, write=write).select_related("facility", "county").get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        app_label = model._meta.app_label
        raise deny(user=user, route=f"{app_label}.case", obj=f"{app_label}.case:{pk}") from None


def access_case_document_for_user(*, user: Any, model: type[Any], pk: Any, write: bool = False) -> Any:
    """A document filed with a case: visible to whoever may see its case; 404 to anyone else."""
    case_model, _unused = _document_rule(model)
    app_label = case_model._meta.app_label
    try:
        document = model._default_manager.select_related("case").get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise deny(user=user, route=f"{app_label}.document", obj=f"{app_label}.document:{pk}") from None
    access_case_for_user(user=user, model=case_model, pk=document.case_id, write=write)
    return document


def case_roles_for_user(*, user: Any, case: Any) -> set[str]:
    """The roles through which the user sees this case (which fields they may see follows from these)."""
    if not is_active_user(user):
        return set()
    roles = _rule(type(case)).roles
    return roles(user=user, case=case) if roles is not None else set()


def case_roles_by_scope(*, user: Any, case: Any, experts: bool) -> set[str]:
    """The usual rule: staff of the case's facility, the bureau and inspectors of its county, and the
    experts of its county's panel when ``experts`` (the procedure says whether this case goes to its panel)."""
    if not is_active_user(user):
        return set()
    roles: set[str] = set()
    for role, facility_id, jurisdiction_id in _assignments(user):
        if (
            (role in FACILITY_ROLES and facility_id == case.facility_id)
            or (role in BUREAU_ROLES and jurisdiction_id == case.county_id)
            or (role == Role.EXPERT and jurisdiction_id == case.county_id and experts)
        ):
            roles.add(role)
    if case.county_id in inspected_county_ids(user):
        roles.add(Role.INSPECTOR)
    return roles


OVERSIGHT_BUREAU_ROLES = frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR, Role.SUPERVISOR})


def oversight_county_ids(user: Any) -> set[int]:
    """Counties whose records the user reads for the bureau (officers, directors, its supervisors) or inspects;
    none for an inactive user."""
    if not is_active_user(user):
        return set()
    return bureau_county_ids(user, roles=set(OVERSIGHT_BUREAU_ROLES)) | inspected_county_ids(user)


def case_read_is_oversight(*, user: Any, case: Any) -> bool:
    """A read of a record by the bureau (officer, director, supervisor) or an inspector, which the trail logs."""
    return case.county_id in oversight_county_ids(user)


# --- Audit -----------------------------------------------------------------------
# Bureau officers, bureau directors and inspectors read the trail of the counties
# they oversee (an inspector granted a city, every county in it); nobody else
# reads it, and nobody writes through these views. Events are filtered by the
# county recorded on each event, so this needs no knowledge of any procedure.


def audit_county_ids_for_user(user: Any) -> set[int]:
    """Counties whose audit trail the user may read."""
    if not is_active_user(user):
        return set()
    return bureau_county_ids(user) | inspected_county_ids(user)


def audit_events_for_user(user: Any) -> Any:
    """The audit events the user may read: those recorded in a county the user oversees."""
    from audit.models import AuditEvent

    counties = audit_county_ids_for_user(user)
    if not counties:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(county_id__in=counties)


def access_audit_search_for_user(*, user: Any, write: bool = False) -> set[int]:
    """The counties a trail search may cover; 404 for anyone without any, and for every write."""
    counties = audit_county_ids_for_user(user)
    if write or not counties:
        raise deny(user=user, route="audit.search", obj="audit")
    return counties


# What audit_record writes: 'app_label.model' and a pk of at most 64 printable characters.
_OBJECT_TYPE = re.compile(r"[a-z][a-z0-9_]{0,49}\.[a-z][a-z0-9_]{0,49}")


def is_record_ref(object_type: str, object_id: str) -> bool:
    """Whether the pair can name a record at all (no NUL or other control character, no over-long value)."""
    return bool(_OBJECT_TYPE.fullmatch(object_type)) and 0 < len(object_id) <= 64 and object_id.isprintable()


def access_audit_trail_for_user(*, user: Any, object_type: str, object_id: str, write: bool = False) -> set[int]:
    """The counties whose events of one record the user may read; 404 when there are none, and for every write."""
    from audit.models import AuditEvent

    ref = f"{object_type}:{object_id}"[:120]
    counties = audit_county_ids_for_user(user)
    if write or not counties or not is_record_ref(object_type, object_id):
        raise deny(user=user, route="audit.trail", obj=ref)
    visible = AuditEvent.objects.filter(object_type=object_type, object_id=object_id, county_id__in=counties)
    if not visible.exists():
        raise deny(user=user, route="audit.trail", obj=ref)
    return counties


def superuser_only(view: Any) -> Any:
    """A view for active superusers only (the benchmark's anchor pages); anyone else gets a 404."""
    from functools import wraps

    @wraps(view)
    def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
        if not (request.user.is_active and request.user.is_superuser):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
