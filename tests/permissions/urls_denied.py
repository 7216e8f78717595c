"""A URLconf for the denial-logging tests: a view that turns an access refusal into a 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from permissions.access import access_facility_for_user


def facility_probe(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        access_facility_for_user(user=request.user, pk=pk)
    except Http404:
        raise PermissionDenied from None
    return HttpResponse("ok")


urlpatterns = [path("facility/<int:pk>/", facility_probe, name="facility_probe")]
