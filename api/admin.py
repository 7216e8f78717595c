"""The API's records are managed by facility directors on their pages (api.pages), audited; not in the admin.

django-oauth-toolkit registers its models with the admin: unregistered here, so that no secret or token is
created, read or changed outside the audited services.
"""

from __future__ import annotations

from django.contrib import admin
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

for model in (
    get_application_model(),
    get_access_token_model(),
    get_grant_model(),
    get_id_token_model(),
    get_refresh_token_model(),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
