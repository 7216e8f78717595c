"""Reads about people and their scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import Facility, Jurisdiction, RoleAssignment


def active_assignments(user: Any) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.active().filter(user=user).select_related("facility", "jurisdiction")


def user_header_context(user: Any) -> dict[str, Any]:
    """Name, roles and scope for the page header. Cached on the user for the request."""
    cached = getattr(user, "_regflow_header", None)
    if cached is not None:
        return cached
    from .access import user_assignments  # access reads this module: imported here, not at the top

    profile = getattr(user, "profile", None)
    assignments = user_assignments(user)
    context = {
        "name": (profile.printed_name if profile else "") or user.get_full_name() or user.get_username(),
        "roles": sorted({a.get_role_display() for a in assignments}, key=str),
        "scopes": sorted({str(a.scope) for a in assignments}),
    }
    user._regflow_header = context
    return context


def facilities_for_user(user: Any, *, role: str | None = None) -> QuerySet[Facility]:
    qs = active_assignments(user).filter(facility__isnull=False)
    if role:
        qs = qs.filter(role=role)
    return Facility.objects.filter(pk__in=qs.values("facility_id"))


def counties_within(jurisdictions: QuerySet[Jurisdiction]) -> QuerySet[Jurisdiction]:
    """Counties that are, or lie inside, the given jurisdictions (a city covers its counties)."""
    ids = list(jurisdictions.values_list("pk", flat=True))
    return Jurisdiction.objects.filter(Q(pk__in=ids) | Q(parent_id__in=ids), level=Jurisdiction.Level.COUNTY)
