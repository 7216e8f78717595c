"""Passwords are hashed with argon2id (project/hashers.py); PBKDF2 hashes from before upgrade at login."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import RequestFactory

import project.settings as project_settings
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ARGON2_PREFIX = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture
def production_hashers(settings: Any) -> None:
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # the suite itself runs on MD5, for speed


def test_new_passwords_are_argon2id_at_the_chosen_cost(production_hashers: None) -> None:
    encoded = make_password(PASSWORD)
    assert encoded.startswith(ARGON2_PREFIX)
    assert identify_hasher(encoded).algorithm == "argon2"


def test_a_pbkdf2_hash_is_upgraded_at_login_and_then_left_alone(
    production_hashers: None, world: Any, client: Any
) -> None:
    user = world.clerk
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith(ARGON2_PREFIX)
    upgraded = user.password
    request = RequestFactory().post("/")
    # A signature re-authenticates the same way (audit.services.signature_password_check).
    assert authenticate(request, username=user.username, password=PASSWORD) is not None
    user.refresh_from_db()
    assert user.password == upgraded  # no rehash at every check
    assert authenticate(request, username=user.username, password=PASSWORD + "x") is None
