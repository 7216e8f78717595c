"""Model permissions read in one query per request, and the user with their profile.

Django's ModelBackend reads a user's own permissions and their groups' in two queries, and viewflow asks
for one of them on every page of a procedure (the flow's view permission). Here both come from one UNION;
the answers are ModelBackend's in every case (tests/permissions/test_backends.py compares them).

Every page's header shows the user's printed name, from their profile: the user of a request is read with it
(``get_user``), one query rather than two.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class ModelPermissionBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        try:
            user = get_user_model()._default_manager.select_related("profile").get(pk=user_id)
        except (get_user_model().DoesNotExist, ValueError, TypeError):
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            fields = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                rows = Permission.objects.values_list(*fields).order_by()
            else:
                own = Permission.objects.filter(user=user_obj).values_list(*fields).order_by()
                rows = own.union(Permission.objects.filter(group__user=user_obj).values_list(*fields).order_by())
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache
