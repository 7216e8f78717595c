"""Model permissions the roles need for bulletins (object scope comes from permissions.roles).

Every role may open the bulletins' pages; what each sees is decided by selectors.bulletins_for_user and
selectors.analysis_scope. Nobody files a bulletin: the sweep compiles it.
"""

from permissions.roles import Role, register_model_permissions

VIEW_BULLETINS = "bulletins.view_bulletin"

for _role in Role.values:
    register_model_permissions(_role, VIEW_BULLETINS)
