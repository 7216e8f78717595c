"""Inspector tools: a search across the trail of one's jurisdiction, a per-record timeline, and their exports.

Read-only: every view answers GET (and HEAD) only. Access is decided in
permissions/access.py; anyone outside the bureau and inspector roles of the
record's county gets 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.pagination import keyset_page
from permissions.access import access_audit_search_for_user, access_audit_trail_for_user, audit_events_for_user

from .exports import events_csv_response, events_pdf_response, trail_csv_response, trail_pdf_response
from .forms import AuditSearchForm
from .models import AuditEvent
from .selectors import ObjectTrail, events_check, object_for_ref, object_trail
from .services import audit_read, audit_record

PAGE_SIZE = 50
PDF_MAX_EVENTS = 5000


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render in the app's shell: viewflow's base template reads the site (menu, colours) off the resolver match."""
    from project.urls import site

    if request.resolver_match is not None:
        request.resolver_match.site = site  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


def _search(request: HttpRequest) -> tuple[AuditSearchForm, QuerySet[AuditEvent]]:
    county_ids = access_audit_search_for_user(user=request.user)
    visible = audit_events_for_user(request.user)
    form = AuditSearchForm(request.GET or None, county_ids=county_ids, events=visible)
    if form.is_bound and form.is_valid():
        events = form.filter(visible)
    elif form.is_bound:
        events = visible.none()
    else:
        events = visible
    return form, events.order_by("-sequence")


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    form, events = _search(request)
    # Paged by the event's sequence (newest first): no COUNT over a county's years of trail.
    page = keyset_page(events, request.GET, key="sequence", per_page=PAGE_SIZE)
    rows = page.rows
    check = events_check(sorted(rows, key=lambda e: e.sequence))
    query = request.GET.copy()
    for name in ("page", "before", "after"):
        query.pop(name, None)
    context = {"form": form, "page": page, "events": rows, "check": check, "query": query.urlencode()}
    return _page(request, "audit/search.html", context)


def _export_record(request: HttpRequest, *, kind: str, form: AuditSearchForm, count: int) -> None:
    """An export of many people's records is itself worth a line in the trail (filters only, no personal data)."""
    filters = {name: str(value) for name, value in form.cleaned_data.items() if value not in (None, "")}
    audit_record(
        actor=request.user,
        action=f"audit.export_{kind}",
        object_type="audit.search",
        changes={"filters": filters, "events": count},
        request=request,
    )


@require_safe
def search_csv(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    form, events = _search(request)
    if form.is_bound and not form.is_valid():
        return _page(request, "audit/search.html", {"form": form, "events": []}, status=400)
    if not form.is_bound:
        form = AuditSearchForm({}, county_ids=form.county_ids, events=events)
        form.is_valid()
    _export_record(request, kind="csv", form=form, count=events.count())
    return events_csv_response(events.iterator(chunk_size=2000))


@require_safe
def search_pdf(request: HttpRequest) -> HttpResponse:
    form, events = _search(request)
    if form.is_bound and not form.is_valid():
        return _page(request, "audit/search.html", {"form": form, "events": []}, status=400)
    if not form.is_bound:
        form = AuditSearchForm({}, county_ids=form.county_ids, events=events)
        form.is_valid()
    total = events.count()
    rows = sorted(events[:PDF_MAX_EVENTS], key=lambda e: e.sequence)
    _export_record(request, kind="pdf", form=form, count=total)
    return events_pdf_response(rows, total=total, filters=form.summary(), request=request)


def _trail(request: HttpRequest, object_type: str, object_id: str) -> ObjectTrail:
    county_ids = access_audit_trail_for_user(user=request.user, object_type=object_type, object_id=object_id)
    obj = object_for_ref(object_type, object_id)
    if obj is not None:
        audit_read(user=request.user, obj=obj, request=request)
    return object_trail(obj=obj, object_type=object_type, object_id=object_id, county_ids=county_ids)


@require_safe
def trail(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    record_trail = _trail(request, object_type, object_id)
    return _page(request, "audit/trail.html", {"trail": record_trail})


@require_safe
def trail_csv(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    return trail_csv_response(_trail(request, object_type, object_id))


@require_safe
def trail_pdf(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    return trail_pdf_response(_trail(request, object_type, object_id), request=request)
