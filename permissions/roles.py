"""Role names and permission codenames, declared once.

A role is a Django group (which model permissions a user has) plus the
object permission it grants on its scope (where the user may use them).
Procedures add their model permissions to ROLE_MODEL_PERMISSIONS from their
own roles module (see workflows/termination/roles.py) through register_model_permissions.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FACILITY_CLERK = "facility_clerk", _("Facility clerk")
    FACILITY_DIRECTOR = "facility_director", _("Facility director")
    EXPERT = "expert", _("Expert panel member")
    BUREAU_OFFICER = "bureau_officer", _("Bureau officer")
    BUREAU_DIRECTOR = "bureau_director", _("Bureau director")
    INSPECTOR = "inspector", _("Inspector")
    # 卫生监督员: checks facilities on site for the county bureau and signs the findings; decides nothing.
    SUPERVISOR = "supervisor", _("Health supervision officer")


# Object permissions, as "app_label.codename". The app label is the label of
# the model the permission is assigned on (Facility, Jurisdiction): viewflow's
# queue matches nothing, silently, when the two differ.
WORK_AT_FACILITY = "permissions.work_at"
DIRECT_FACILITY = "permissions.direct"
ACT_FOR_BUREAU = "permissions.act_for_bureau"
DIRECT_BUREAU = "permissions.direct_bureau"
INSPECT = "permissions.inspect"
SIT_ON_PANEL = "permissions.sit_on_panel"
SUPERVISE = "permissions.supervise"


@dataclass(frozen=True)
class RoleSpec:
    scope: str  # "facility" or "jurisdiction"
    scope_levels: tuple[str, ...]  # jurisdiction levels allowed, for jurisdiction scopes
    object_permissions: tuple[str, ...]


ROLE_SPECS: dict[str, RoleSpec] = {
    Role.FACILITY_CLERK: RoleSpec("facility", (), (WORK_AT_FACILITY,)),
    Role.FACILITY_DIRECTOR: RoleSpec("facility", (), (WORK_AT_FACILITY, DIRECT_FACILITY)),
    Role.EXPERT: RoleSpec("jurisdiction", ("county",), (SIT_ON_PANEL,)),
    Role.BUREAU_OFFICER: RoleSpec("jurisdiction", ("county",), (ACT_FOR_BUREAU,)),
    Role.BUREAU_DIRECTOR: RoleSpec("jurisdiction", ("county",), (ACT_FOR_BUREAU, DIRECT_BUREAU)),
    Role.INSPECTOR: RoleSpec("jurisdiction", ("county", "city"), (INSPECT,)),
    Role.SUPERVISOR: RoleSpec("jurisdiction", ("county",), (SUPERVISE,)),
}

# Model-level permissions each role's group carries ("app_label.codename").
# Procedures extend this at import time of their roles module.
ROLE_MODEL_PERMISSIONS: dict[str, set[str]] = {role: set() for role in Role.values}

BUREAU_ROLES = frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR})
FACILITY_ROLES = frozenset({Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR})


def register_model_permissions(role: str, *perms: str) -> None:
    ROLE_MODEL_PERMISSIONS[role].update(perms)
