"""The two anchor pages of ``make bench`` (docs/performance.md), mounted only with REGFLOW_BENCH_ANCHORS=true.

- a bare Django view behind the whole middleware stack (session, login, CSRF, CSP...): the ceiling
  for any page of the same server;
- viewflow's stock process list (DashboardProcessListView) of a procedure, over the same data: what
  the framework's own page costs. It lists every case of the flow, unscoped, hence superusers only.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from permissions.access import superuser_only


@superuser_only
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
