"""Who may see the restricted fields of a termination case: the table, declared once.

Everyone who may open a case sees its facility, stage, gestation, pathway,
documents and signatures, and the resident ID masked. The fields below are
restricted further. The columns are the roles a user holds *on the case*
(selectors.case_roles, through permissions.access.case_roles_for_user): a clerk of another facility holds
none. Reasons, field by field:

- patient name: the people who enter, review, decide and inspect the case; the
  expert panel judges the medical grounds and does not need the name;
- full resident ID: the facility that entered it (and amends it); everyone
  else reads the masked form;
- ID digest: the audit trail's pseudonym for the person (it links one woman's
  requests without her number), read by the bureau and inspectors in the trail;
- certificate token: the secret half of the verification link printed as the QR
  code, for the facility that prints the certificate and the bureau that issued it;
- fetal sex and complications (recorded after the procedure): the performing
  facility, the bureau of its county and inspectors (domain rule: never the panel).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from permissions.roles import Role
from workflows.visibility import FieldVisibility, RestrictedField

FACILITY = frozenset({Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR})
BUREAU = frozenset({Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR})
INSPECTOR = frozenset({Role.INSPECTOR})

VISIBILITY = FieldVisibility(
    [
        RestrictedField("patient_name", _("Patient name"), FACILITY | BUREAU | INSPECTOR),
        RestrictedField("resident_id", _("Full resident ID number"), FACILITY),
        RestrictedField("resident_id_digest", _("Resident ID digest"), BUREAU | INSPECTOR),
        RestrictedField("certificate_token", _("Certificate verification token"), FACILITY | BUREAU),
        RestrictedField("fetal_sex", _("Fetal sex"), FACILITY | BUREAU | INSPECTOR),
        RestrictedField("complications", _("Complications"), FACILITY | BUREAU | INSPECTOR),
    ]
)
