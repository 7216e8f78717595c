"""Granting and revoking roles, and changing county rules. All audited."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from audit.services import audit_record, model_changes

from .access import scope_changed
from .models import Facility, Jurisdiction, RoleAssignment
from .roles import ROLE_MODEL_PERMISSIONS, ROLE_SPECS, Role
from .signals import access_changed

CountyRules = TypeVar("CountyRules", bound=Any)  # a model with county, RULE_FIELDS and AUDIT_ACTION


def role_groups_sync(*, using: str = "default") -> None:
    """Make each role's group hold exactly the model permissions declared for it (one read of the permissions)."""
    declared = {dotted for wanted in ROLE_MODEL_PERMISSIONS.values() for dotted in wanted}
    codenames = {dotted.split(".", 1)[1] for dotted in declared}
    existing = {
        f"{perm.content_type.app_label}.{perm.codename}": perm
        for perm in Permission.objects.using(using).filter(codename__in=codenames).select_related("content_type")
    }
    for role in Role.values:
        group, _created = Group.objects.using(using).get_or_create(name=role)
        # A permission is absent until its app has migrated.
        wanted = sorted(ROLE_MODEL_PERMISSIONS.get(role, set()))
        group.permissions.set([existing[dotted] for dotted in wanted if dotted in existing])


def role_scope_validate(*, role: str, facility: Facility | None, jurisdiction: Jurisdiction | None) -> None:
    spec = ROLE_SPECS[role]
    if spec.scope == "facility":
        if facility is None or jurisdiction is not None:
            raise ValidationError(_("This role is held at a facility."))
    else:
        if jurisdiction is None or facility is not None:
            raise ValidationError(_("This role is held for a jurisdiction."))
        if jurisdiction.level not in spec.scope_levels:
            raise ValidationError(_("This role cannot be held at that level of jurisdiction."))


@transaction.atomic
def role_grant(
    *,
    actor: Any,
    user: Any,
    role: str,
    facility: Facility | None = None,
    jurisdiction: Jurisdiction | None = None,
    request: HttpRequest | None = None,
) -> RoleAssignment:
    role_scope_validate(role=role, facility=facility, jurisdiction=jurisdiction)
    assignment = RoleAssignment.objects.create(
        user=user, role=role, facility=facility, jurisdiction=jurisdiction, granted_by=actor
    )
    user.groups.add(Group.objects.get(name=role))
    scope = facility or jurisdiction
    for perm in ROLE_SPECS[role].object_permissions:
        assign_perm(perm, user, scope)
    audit_record(
        actor=actor,
        action="role.grant",
        obj=assignment,
        changes={"user": user.pk, "role": role, "scope": f"{scope._meta.model_name}:{scope.pk}"},  # type: ignore[union-attr]
        request=request,
    )
    scope_changed()  # this request's cached scope no longer holds
    transaction.on_commit(lambda: access_changed.send(sender=RoleAssignment, user_id=user.pk))
    return assignment


@transaction.atomic
def role_revoke(*, actor: Any, assignment: RoleAssignment, reason: str, request: HttpRequest | None = None) -> None:
    if not reason.strip():
        raise ValidationError(_("A reason is required."))
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.revoked_at is not None:
        return
    assignment.revoked_at = timezone.now()
    assignment.save(update_fields=["revoked_at"])
    user, scope, role = assignment.user, assignment.scope, assignment.role
    still_held = RoleAssignment.objects.active().filter(user=user, role=role)
    if not still_held.exists():
        user.groups.remove(Group.objects.get(name=role))
    # Remove each object permission unless another live assignment grants it on the same scope.
    for perm in ROLE_SPECS[role].object_permissions:
        others = RoleAssignment.objects.active().filter(
            user=user,
            role__in=[r for r, spec in ROLE_SPECS.items() if perm in spec.object_permissions],
            facility=assignment.facility,
            jurisdiction=assignment.jurisdiction,
        )
        if not others.exists():
            remove_perm(perm, user, scope)
    audit_record(
        actor=actor,
        action="role.revoke",
        obj=assignment,
        changes={"user": user.pk, "role": role, "revoked_at": [None, assignment.revoked_at]},
        reason=reason,
        request=request,
    )
    scope_changed()  # this request's cached scope no longer holds
    transaction.on_commit(lambda: access_changed.send(sender=RoleAssignment, user_id=user.pk))


@transaction.atomic
def county_rules_update(
    *, actor: Any, rules: CountyRules, values: dict[str, Any], reason: str, request: HttpRequest | None = None
) -> CountyRules:
    """Change one county's rules: CountyConfig, or a procedure's own rules model (one row per county,
    its RULE_FIELDS and AUDIT_ACTION). A reason is required: these rules decide who may be treated."""
    if not reason.strip():
        raise ValidationError(_("A reason is required."))
    current = type(rules).objects.select_for_update().get(pk=rules.pk)
    fields = list(current.RULE_FIELDS)
    before = model_to_dict(current, fields=fields)
    for field, value in values.items():
        if field not in fields:
            raise ValidationError(_("Unknown setting: %(field)s") % {"field": field})
        setattr(current, field, value)
    current.full_clean()
    current.save()
    changes = model_changes(before, model_to_dict(current, fields=fields))
    if changes:
        audit_record(
            actor=actor,
            action=f"{current.AUDIT_ACTION}.update",
            obj=current,
            changes=changes,
            reason=reason,
            request=request,
        )
    return current


@transaction.atomic
def county_rules_create(
    *, actor: Any, model: type[CountyRules], county: Jurisdiction, request: HttpRequest | None = None, **values: Any
) -> CountyRules:
    rules = model(county=county, **values)
    rules.full_clean()
    rules.save()
    audit_record(
        actor=actor,
        action=f"{rules.AUDIT_ACTION}.create",
        obj=rules,
        changes=model_to_dict(rules, fields=list(rules.RULE_FIELDS)),
        request=request,
    )
    return rules
