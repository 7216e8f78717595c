"""Model permissions the roles need for birth reporting (object scope comes from permissions.roles)."""

from permissions.roles import Role, register_model_permissions

VIEW_REPORTS = "births.view_monthlybirthreport"
PREPARE_REPORTS = "births.add_monthlybirthreport"

for _role in Role.values:
    register_model_permissions(_role, VIEW_REPORTS)
register_model_permissions(Role.FACILITY_CLERK, PREPARE_REPORTS)
register_model_permissions(Role.FACILITY_DIRECTOR, PREPARE_REPORTS)
