"""The one place that decides who may see or change what.

Views, exports and consumers call these functions; they never call has_perm
or guardian themselves. An object outside the user's scope raises Http404,
the same answer as an object that does not exist, so existence never leaks.
Procedures add access functions for their own records here, built on the
scope helpers below.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404
from django.utils import timezone

from .models import Facility, Jurisdiction
from .roles import Role
from .selectors import active_assignments, counties_within, jurisdictions_for_user

denied_log = logging.getLogger("regflow.access.denied")


def log_denied(*, user: Any, route: str, obj: str) -> None:
    """One structured line per refusal: who, where, which object, when. No personal data."""
    denied_log.warning(
        "access_denied user_id=%s route=%s object=%s at=%s",
        getattr(user, "pk", None),
        route,
        obj,
        timezone.now().isoformat(),
    )


def deny(*, user: Any, route: str = "", obj: str = "") -> Http404:
    log_denied(user=user, route=route, obj=obj)
    return Http404()


def user_roles(user: Any) -> set[str]:
    if not (user and user.is_authenticated and user.is_active):
        return set()
    return set(active_assignments(user).values_list("role", flat=True))


def staff_facility_ids(user: Any, *, roles: set[str] | None = None) -> set[int]:
    """Facilities where the user works as clerk or director."""
    qs = active_assignments(user).filter(facility__isnull=False)
    if roles:
        qs = qs.filter(role__in=roles)
    return set(qs.values_list("facility_id", flat=True))


def bureau_county_ids(user: Any, *, roles: set[str] | None = None) -> set[int]:
    """Counties whose bureau the user acts for."""
    wanted = roles or {Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}
    return set(jurisdictions_for_user(user, roles=wanted).values_list("pk", flat=True))


def inspected_county_ids(user: Any) -> set[int]:
    """Counties an inspector covers: the county granted, or every county of a city granted."""
    granted = jurisdictions_for_user(user, roles={Role.INSPECTOR})
    return set(counties_within(granted).values_list("pk", flat=True))


def panel_county_ids(user: Any) -> set[int]:
    return set(jurisdictions_for_user(user, roles={Role.EXPERT}).values_list("pk", flat=True))


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


# --- Procedures ---------------------------------------------------------------
# Each procedure appends its own section below (access_<thing>_for_user and
# the queryset of records a user may see). Generic helpers stay above.
