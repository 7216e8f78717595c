"""Pages of the retired-practitioner registry. Each validates input and calls one service.

Task pages, the case page, withdrawal and document downloads are the kit's
(workflows.cases.views); this module holds the forms' calls into services, the
two start pages, a practitioner's page and the county register.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from permissions.access import bureau_county_ids, staff_facility_ids
from permissions.models import Jurisdiction
from permissions.selectors import facilities_for_user
from workflows.cases.exports import EXPORT_KINDS, export_response
from workflows.cases.views import (
    CaseDecisionView,
    CaseStartView,
    CaseTaskView,
    CaseWithdrawView,
)
from workflows.viewsets import ScopedViewMixin

from . import selectors, services
from .forms import (
    AmendForm,
    CrossCheckForm,
    FileForm,
    FollowUpForm,
    RecordEventForm,
    RegisterFilterForm,
    TakeOverForm,
)
from .models import Decision, PractitionerCase, RetiredPractitioner
from .visibility import VISIBILITY

REGISTER_PAGE_SIZE = 25


def page_context(*, case: Any, user: Any) -> dict[str, Any]:
    """What this procedure's templates add to the kit's case context (Procedure.page_context)."""
    from .flows import RetiredPractitionerFlow

    flow = RetiredPractitionerFlow.instance
    return {
        "entry": case.practitioner,
        "entry_url": flow.reverse("practitioner", args=[case.practitioner_id]),
    }


# --- Start pages ------------------------------------------------------------------------


class FileView(CaseStartView):
    """Start: a clerk (or director) of the former facility files a retirement."""

    template_name = "retired_practitioners/file.html"
    success_message = gettext_lazy("Retirement filed: case #%(pk)s.")

    def facilities(self) -> Any:
        return facilities_for_user(self.request.user).filter(is_active=True).select_related("county").order_by("name")

    def make_form(self, data: Any = None, files: Any = None) -> FileForm:
        return FileForm(data, files, facilities=self.facilities())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["deadlines"] = [
            (f, services.retirement_filing_deadline_days(county_id=f.county_id)) for f in self.facilities()
        ]
        return context

    def submit(self, form: Any, extra: dict[str, Any]) -> PractitionerCase:
        data = dict(form.cleaned_data)
        return services.practitioner_file(
            activation=self.activation,
            user=self.request.user,
            facility=data.pop("facility"),
            pledge=data.pop("pledge"),
            data=data,
            request=self.request,
        )


class RecordEventView(CaseStartView):
    """Start: the home county's officer records a re-employment, a move or a death (``?practitioner=<pk>``)."""

    template_name = "retired_practitioners/record_event.html"
    success_message = gettext_lazy("Event recorded: case #%(pk)s.")

    def make_form(self, data: Any = None, files: Any = None) -> RecordEventForm:
        initial = {"practitioner": self.request.GET.get("practitioner")} if data is None else None
        return RecordEventForm(
            data,
            files,
            initial=initial,
            request=self.request,
            case=None,
            practitioners=selectors.event_practitioners(user=self.request.user),
        )

    def submit(self, form: Any, extra: dict[str, Any]) -> PractitionerCase:
        data = dict(form.cleaned_data)
        return services.practitioner_event_record(
            activation=self.activation,
            user=self.request.user,
            entry=data.pop("practitioner"),
            kind=data.pop("kind"),
            document=data.pop("document"),
            data=data,
            request=self.request,
        )


# --- Task pages ------------------------------------------------------------------------


class SignFilingView(CaseDecisionView):
    decisions = [Decision.FORWARD, Decision.RETURN]
    service = services.practitioner_sign_filing


class VerifyView(CaseDecisionView):
    decisions = [Decision.APPROVE, Decision.RETURN]
    service = services.practitioner_verify


def _entry_initial(entry: RetiredPractitioner, fields: Any) -> dict[str, Any]:
    return {field: getattr(entry, field) for field in fields}


class AmendView(CaseTaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        entry = self.case.practitioner
        initial = _entry_initial(entry, (*services.ENTRY_FIELDS, "home_township", "employer"))
        return AmendForm(data, files, initial=initial)

    def perform(self, form: Any) -> None:
        data = dict(form.cleaned_data)
        services.practitioner_amend(
            activation=self.activation,
            user=self.request.user,
            pledge=data.pop("pledge"),
            data=data,
            request=self.request,
        )


class FollowUpView(CaseTaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        entry = self.case.practitioner
        initial = _entry_initial(
            entry, ("home_township", "address", "contact", "activity", "employer", "activity_note")
        )
        return FollowUpForm(data, files, initial=initial, request=self.request, case=self.case)

    def perform(self, form: Any) -> None:
        data = dict(form.cleaned_data)
        services.practitioner_follow_up(
            activation=self.activation,
            user=self.request.user,
            pledge=data.pop("pledge"),
            data=data,
            request=self.request,
        )


class TakeOverView(CaseTaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return TakeOverForm(data, request=self.request, case=self.case)

    def perform(self, form: Any) -> None:
        services.practitioner_take_over(
            activation=self.activation,
            user=self.request.user,
            address=form.cleaned_data["address"],
            request=self.request,
        )


class CrossCheckView(CaseTaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return CrossCheckForm(data, request=self.request, case=self.case)

    def perform(self, form: Any) -> None:
        services.practitioner_cross_check_review(
            activation=self.activation,
            user=self.request.user,
            findings=form.cleaned_data["findings"],
            request=self.request,
        )


class WithdrawView(CaseWithdrawView):
    def withdraw(self, *, case: Any, reason: str) -> Any:
        return services.practitioner_withdraw(case=case, user=self.request.user, reason=reason, request=self.request)


# --- A practitioner's page and the county register (through the scoped viewset) ---------------


class PractitionerDetailView(ScopedViewMixin, generic.TemplateView):
    """One practitioner: their entry, and every case about them the user may see."""

    template_name = "retired_practitioners/practitioner_detail.html"
    viewset: Any = None
    flow_class: Any = None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        entry = selectors.access_practitioner_for_user(user=user, pk=self.kwargs["practitioner_pk"])
        flow = self.flow_class.instance
        history = selectors.practitioner_history(entry=entry, user=user)
        for case in history:
            case.url = flow.reverse("process_detail", args=[case.pk])
        may_act = entry.status == "on_file" and entry.county_id in bureau_county_ids(user)
        sees_contact = entry.county_id in selectors.register_county_ids(user) or entry.former_facility_id in (
            staff_facility_ids(user)
        )
        context.update(
            entry=entry,
            history=history,
            see={"address": sees_contact},
            event_url=(flow.record_event.reverse("execute") + f"?practitioner={entry.pk}") if may_act else "",
            register_url=flow.reverse("register") + f"?county={entry.county_id}",
        )
        return context


class RegisterView(ScopedViewMixin, generic.TemplateView):
    """The register of one county (``?county=<pk>``): filters, keyset pages (``?after=<id>``), CSV and Excel."""

    template_name = "retired_practitioners/register.html"
    viewset: Any = None
    flow_class: Any = None

    def county(self) -> Jurisdiction:
        counties = selectors.register_county_ids(self.request.user)
        raw = self.request.GET.get("county", "")
        if not raw and len(counties) == 1:
            raw = str(next(iter(counties)))
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18) or int(raw) not in counties:
            raise Http404
        return Jurisdiction.objects.get(pk=int(raw))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        county = self.county()
        form = RegisterFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        entries = selectors.register_entries(county_id=county.pk, filters=filters)
        export = request.GET.get("export")
        if export in EXPORT_KINDS:
            return export_response(
                kind=export,
                header=[label for _key, label in selectors.EXPORT_COLUMNS],
                rows=selectors.register_rows(entries),
                filename=f"retired-practitioners-{county.code}",
                title=_("Register"),
            )
        raw_after = request.GET.get("after", "")
        after = int(raw_after) if raw_after.isascii() and raw_after.isdigit() and len(raw_after) <= 18 else None
        rows, next_after = selectors.register_page(entries, after=after, size=REGISTER_PAGE_SIZE)
        for entry in rows:
            entry.url = self.flow_class.instance.reverse("practitioner", args=[entry.pk])
        query = request.GET.copy()
        for key in ("after", "export"):
            query.pop(key, None)
        return self.render_to_response(
            self.get_context_data(
                county=county,
                counties=selectors.register_counties(user=request.user),
                filter_form=form,
                entries=rows,
                next_after=next_after,
                first_page=after is None,
                query=query.urlencode(),
                visibility=VISIBILITY,
            )
        )
