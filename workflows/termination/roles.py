"""Model permissions the roles need for termination cases (object scope comes from permissions.roles)."""

from permissions.roles import Role, register_model_permissions

VIEW_CASES = "termination.view_terminationcase"
SUBMIT_CASES = "termination.add_terminationcase"

for _role in Role.values:
    register_model_permissions(_role, VIEW_CASES)
register_model_permissions(Role.FACILITY_CLERK, SUBMIT_CASES)
register_model_permissions(Role.FACILITY_DIRECTOR, SUBMIT_CASES)
