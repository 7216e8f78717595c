"""The bulletin's pages: the review and signing steps, the sex-ratio analysis, the bulletin's exports.

The bulletin itself is shown on the kit's case page (templates/bulletins/_summary.html), always as it is
published: small counts as "<5". The analysis is the bureau's working view of the live counts.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic

from workflows.cases.selectors import case_read_audit
from workflows.cases.views import CaseDecisionView, CaseTaskView, case_checked_for_read
from workflows.viewsets import ScopedViewMixin

from . import exports, selectors, services, srb
from .forms import AnalysisForm, ReviewForm
from .models import Bulletin, Decision


class ReviewView(CaseTaskView):
    template_name = "bulletins/task.html"

    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return ReviewForm(data)

    def perform(self, form: Any) -> None:
        services.bulletin_review(
            activation=self.activation,
            user=self.request.user,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            request=self.request,
        )


class SignView(CaseDecisionView):
    template_name = "bulletins/task.html"
    decisions = [Decision.APPROVE, Decision.RETURN]
    service = services.bulletin_sign


# --- The analysis --------------------------------------------------------------------------------


class AnalysisView(ScopedViewMixin, generic.TemplateView):
    """The sex ratio at birth of a county's units (or a director's own facility) by month, quarter or year.

    Counts always beside the ratio; the 95% and 99.8% intervals and the flag; a funnel plot of the units over
    the whole span and the time series of the county (or the facility) with its interval band.
    """

    template_name = "bulletins/analysis.html"
    paginate_by = 50

    def scopes(self) -> tuple[selectors.AnalysisScope, list[tuple[str, str]]]:
        scope = selectors.analysis_scope(self.request.user)
        if scope.empty:
            raise PermissionDenied
        choices = [(f"county:{c.pk}", c.name) for c in scope.counties]
        choices += [(f"facility:{f.pk}", f.name) for f in scope.facilities]
        return scope, choices

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope, choices = self.scopes()
        last_month = services.month_add(timezone.localdate().replace(day=1), -1)
        data = {"scope": choices[0][0], "unit": "facility", "period": srb.MONTH, **request.GET.dict()}
        form = AnalysisForm(data, scopes=choices, default_end=last_month)
        context: dict[str, Any] = {"form": form, "units": selectors.UNIT_LABELS, "flag_labels": selectors.FLAG_LABELS}
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(**context), status=400)
        context.update(self.analysis(form.cleaned_data, scope))
        return self.render_to_response(self.get_context_data(**context))

    def analysis(self, data: dict[str, Any], scope: selectors.AnalysisScope) -> dict[str, Any]:
        kind, pk = data["scope"].split(":")
        start, end = data["start"], services.month_add(data["end"], 1)
        if kind == "county":
            county = next(c for c in scope.counties if str(c.pk) == pk)
            counts = selectors.counts_for(county=county, start=start, end=end)
            unit, title = data["unit"], county.name
        else:
            facility = next(f for f in scope.facilities if str(f.pk) == pk)
            counts = [
                c
                for c in selectors.counts_for(county=facility.county, start=start, end=end)
                if c.facility_id == facility.pk
            ]
            unit, title = "facility", facility.name
        names = self.unit_names(kind, pk, scope)
        rows = selectors.rows_of(counts, unit=unit, period=data["period"], names=names, county_name=title)
        page = Paginator(rows, self.paginate_by).get_page(self.request.GET.get("page"))
        whole = self.whole_span(counts, names, start, kind)
        series_unit = "county" if kind == "county" else "facility"
        series_rows = selectors.rows_of(counts, unit=series_unit, period=data["period"], names=names, county_name=title)
        funnel, left_out = selectors.funnel_svg(
            whole, title=_("%(name)s: units against the control limits") % {"name": title}, published=False
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            "title": title,
            "page_obj": page,
            "rows": page.object_list,
            "unit": unit,
            "start": start,
            "end": data["end"],
            "flagged": [row for row in rows if row.cell.flag],
            "funnel_svg": funnel,
            "funnel_left_out": left_out,
            "series_svg": selectors.series_svg(
                series_rows, title=_("%(name)s: sex ratio at birth by period") % {"name": title}, published=False
            ),
            "query": query.urlencode(),
        }

    def unit_names(self, kind: str, pk: str, scope: selectors.AnalysisScope) -> dict[Any, str]:
        from permissions.models import Facility

        if kind == "county":
            facilities = Facility.objects.filter(county_id=int(pk)).select_related("township")
        else:
            facilities = Facility.objects.filter(pk=int(pk)).select_related("township")
        names: dict[Any, str] = {f.pk: f.name for f in facilities}
        names.update({f.township_id: f.township.name for f in facilities if f.township is not None})
        return names

    def whole_span(self, counts: list[Any], names: dict[Any, str], start: datetime.date, kind: str) -> list[Any]:
        """Facilities and townships over the whole span asked for (one point each on the funnel plot)."""
        span = [_Spanned(c, start) for c in counts]
        rows = selectors.rows_of(span, unit="facility", period=srb.MONTH, names=names)
        if kind == "county":
            rows += selectors.rows_of(span, unit="township", period=srb.MONTH, names=names)
        return rows


class _Spanned:
    """A count moved to the span's first month, so that aggregating by month sums the whole span."""

    def __init__(self, count: Any, start: datetime.date) -> None:
        self.facility_id, self.township_id = count.facility_id, count.township_id
        self.boys, self.girls, self.month = count.boys, count.girls, start


# --- The bulletin's exports ---------------------------------------------------------------------


class ExportView(generic.View):
    """The bulletin as a PDF (fonts embedded, charts as images) or an Excel file: small counts as "<5"."""

    viewset: Any = None
    flow_class: Any = None

    def get(self, request: HttpRequest, process_pk: int, fmt: str) -> HttpResponse:
        if fmt not in {"pdf", "xlsx"}:
            raise Http404
        bulletin = case_checked_for_read(request, model=Bulletin, pk=process_pk)
        case_read_audit(case=bulletin, request=request)
        view = selectors.bulletin_view(bulletin)
        if fmt == "pdf":
            return exports.bulletin_pdf_response(view)
        return exports.bulletin_xlsx_response(view)
