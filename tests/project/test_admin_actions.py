"""Admin actions on a malformed selection: refused with a message, never a 500, nothing deleted."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client: Any) -> Any:
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("selected", ["{{ 7*7 }}", "9" * 30, "1\x00", "²"])
@pytest.mark.parametrize("changelist", ["admin:auth_group_changelist", "admin:auth_user_changelist"])
def test_a_malformed_selection_is_refused_and_nothing_is_deleted(
    admin_client_: Any, changelist: str, selected: str
) -> None:
    Group.objects.create(name="kept")
    response = admin_client_.post(
        reverse(changelist), {"action": "delete_selected", "_selected_action": [selected], "index": "0"}, follow=True
    )
    assert response.status_code == 200
    assert "nothing was changed" in response.content.decode()
    assert Group.objects.filter(name="kept").exists()


def test_a_well_formed_selection_still_reaches_the_action(admin_client_: Any) -> None:
    group = Group.objects.create(name="to delete")
    response = admin_client_.post(
        reverse("admin:auth_group_changelist"),
        {"action": "delete_selected", "_selected_action": [str(group.pk)], "index": "0"},
    )
    assert response.status_code == 200 and "Are you sure" in response.content.decode()  # the confirmation page
