"""Who may see what of a monthly birth report: the table, declared once.

Everyone who may open a report sees the facility-month counts (by sex and outcome), its stage,
signatures and trail. Individual entries (time of delivery, weight, the mother's township, whether
a digest of her resident ID is stored) are for the reporting facility's own staff only: the
township health centre, the bureau and inspectors work on aggregates (docs/births.md).
The mother's resident ID itself is shown to nobody: only its keyed digest is stored.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from permissions.roles import Role
from workflows.visibility import FieldVisibility, RestrictedField

FACILITY = frozenset({Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR})

VISIBILITY = FieldVisibility(
    [
        RestrictedField("entries", _("Individual register entries"), FACILITY),
        RestrictedField("late_reasons", _("Reasons given for late entries"), FACILITY),
    ]
)
