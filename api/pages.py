"""The facility director's pages: the facility's API clients (create, rotate, revoke) and webhooks.

Only a facility's directors see them (404 for anyone else); a new or rotated secret is shown once, on the
page that answers the POST, and is stored only hashed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.pagination import keyset_page
from permissions.access import deny
from permissions.models import Facility

from . import services
from .forms import ClientForm, RevokeForm, WebhookForm
from .selectors import clients_for_user, deliveries_for_user, directed_facility_ids, webhooks_for_user


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render in the app's shell: viewflow's base template reads the site off the resolver match."""
    from project.urls import site

    if request.resolver_match is not None:
        request.resolver_match.site = site  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


def _facilities(request: HttpRequest) -> Any:
    facility_ids = directed_facility_ids(request.user)
    if not facility_ids:
        raise deny(user=request.user, route="api.clients", obj="api")
    return Facility.objects.filter(pk__in=facility_ids).order_by("name")


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    facilities = _facilities(request)
    return {
        "clients": clients_for_user(request.user).order_by("-pk")[:200],
        "webhooks": webhooks_for_user(request.user).order_by("-pk")[:200],
        "client_form": extra.pop("client_form", None) or ClientForm(facilities=facilities),
        "webhook_form": extra.pop("webhook_form", None) or WebhookForm(facilities=facilities),
        "revoke_form": RevokeForm(),
        **extra,
    }


def _apply(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_safe
def clients(request: HttpRequest) -> HttpResponse:
    return _page(request, "api/clients.html", _context(request))


@require_POST
def client_create(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST, facilities=_facilities(request))
    if form.is_valid():
        try:
            account, secret = services.api_client_create(
                actor=request.user,
                facility=form.cleaned_data["facility"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                request=request,
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            return _page(request, "api/secret.html", {"account": account, "secret": secret, "kind": "client"})
    return _page(request, "api/clients.html", _context(request, client_form=form), status=400)


def _client(request: HttpRequest, pk: int) -> Any:
    account = clients_for_user(request.user).filter(pk=pk).first()
    if account is None:
        raise deny(user=request.user, route="api.client", obj=f"api.serviceaccount:{pk}")
    return account


@require_POST
def client_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    account = _client(request, pk)
    try:
        secret = services.api_client_rotate(actor=request.user, account=account, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("api:clients"))
    return _page(request, "api/secret.html", {"account": account, "secret": secret, "kind": "client"})


@require_POST
def client_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    account = _client(request, pk)
    form = RevokeForm(request.POST)
    if form.is_valid():
        services.api_client_revoke(
            actor=request.user, account=account, reason=form.cleaned_data["reason"], request=request
        )
        messages.success(request, _("The client %(name)s is revoked.") % {"name": account.name})
    else:
        messages.error(request, _("Give a reason to revoke a client."))
    return HttpResponseRedirect(reverse("api:clients"))


@require_POST
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST, facilities=_facilities(request))
    if form.is_valid():
        try:
            subscription, secret = services.webhook_create(
                actor=request.user,
                facility=form.cleaned_data["facility"],
                url=form.cleaned_data["url"],
                request=request,
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            return _page(
                request, "api/secret.html", {"subscription": subscription, "secret": secret, "kind": "webhook"}
            )
    return _page(request, "api/clients.html", _context(request, webhook_form=form), status=400)


@require_POST
def webhook_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = webhooks_for_user(request.user).filter(pk=pk).first()
    if subscription is None:
        raise deny(user=request.user, route="api.webhook", obj=f"api.webhooksubscription:{pk}")
    services.webhook_revoke(actor=request.user, subscription=subscription, request=request)
    messages.success(request, _("The webhook is removed."))
    return HttpResponseRedirect(reverse("api:clients"))


@require_safe
def deliveries(request: HttpRequest) -> HttpResponse:
    _facilities(request)
    page = keyset_page(deliveries_for_user(request.user), request.GET, key="pk", per_page=50)
    return _page(request, "api/deliveries.html", {"page": page, "deliveries": page.rows})
