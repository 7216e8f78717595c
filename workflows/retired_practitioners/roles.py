"""Model permissions the roles need for retired-practitioner cases (object scope comes from permissions.roles)."""

from permissions.roles import Role, register_model_permissions

VIEW_CASES = "retired_practitioners.view_practitionercase"
FILE_CASES = "retired_practitioners.add_practitionercase"

for _role in Role.values:
    register_model_permissions(_role, VIEW_CASES)
register_model_permissions(Role.FACILITY_CLERK, FILE_CASES)
register_model_permissions(Role.FACILITY_DIRECTOR, FILE_CASES)
