"""The two anchor pages of ``make bench`` (docs/performance.md), mounted only with REGFLOW_BENCH_ANCHORS=true.

- a bare Django view behind the whole middleware stack (session, login, CSRF, CSP...): the ceiling
  for any page of the same server;
- viewflow's stock process list (DashboardProcessListView) of a procedure, over the same data: what
  the framework's own page costs. It lists every case of the flow, unscoped, hence superusers only.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def superuser_only(view: Any) -> Any:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (request.user.is_active and request.user.is_superuser):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@superuser_only
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
