"""Pages of birth reporting. Each validates input and calls one service.

Entries (list, one at a time, upload) are the reporting facility's own: only its staff reach them.
The register of reports shows facility-month counts to everyone in scope; no page above the
facility shows an individual entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.workflow.exceptions import FlowLockFailed

from core.pagination import keyset_page
from workflows.cases.views import (
    ActivationMixin,
    CaseDecisionView,
    CaseStartView,
    CaseTaskView,
    apply_errors,
    case_detail_url,
)
from workflows.viewsets import BUSY_MESSAGE, ScopedViewMixin

from . import selectors, services, upload
from .forms import AmendForm, ConfirmUploadForm, EntryForm, PrepareForm, UploadForm
from .models import Decision, EntryKind, MonthlyBirthReport, Outcome, Sex, Stage
from .visibility import VISIBILITY


def page_context(*, case: MonthlyBirthReport, user: Any) -> dict[str, Any]:
    """What the report's templates add to the kit's case page: the counts, and the entries for the facility only."""
    see = VISIBILITY.visible(selectors.report_roles(user=user, case=case))
    counts = case.counts if case.signed_at else selectors.entry_counts(case.entries())
    correction = MonthlyBirthReport.objects.filter(corrects=case).only("pk", "stage").first()
    may_correct = (
        case.is_current and correction is None and selectors.facility_choices(user).filter(pk=case.facility_id).exists()
    )
    return {
        "count_table": selectors.count_table(counts),
        "count_extras": selectors.count_extras(counts),
        "sexes": Sex.choices,
        "counts_signed": bool(case.signed_at) and case.stage != Stage.SIGNING,
        "entries": list(services.entries_of(case)) if see["entries"] else [],
        "correction": correction,
        "check_overdue": case.stage == Stage.TOWNSHIP_CHECK and timezone.localdate() > case.check_due_on,
        "correction_url": case_detail_url(correction) if correction else "",
        "corrects_url": case.flow_class.instance.reverse("process_detail", args=[case.corrects_id])
        if case.corrects_id
        else "",
        "correct_url": f"{case.flow_class.correct.reverse('execute')}?report={case.pk}" if may_correct else "",
    }


# --- Start and task pages ----------------------------------------------------------------


class PrepareView(CaseStartView):
    """Start: a clerk or director of a delivery facility opens the report of a month that is over."""

    template_name = "births/prepare.html"
    success_message = gettext_lazy("Report opened: #%(pk)s.")

    def make_form(self, data: Any = None, files: Any = None) -> PrepareForm:
        return PrepareForm(data, facilities=selectors.facility_choices(self.request.user), today=timezone.localdate())

    def submit(self, form: Any, extra: dict[str, Any]) -> MonthlyBirthReport:
        return services.births_report_prepare(
            activation=self.activation,
            user=self.request.user,
            facility=form.cleaned_data["facility"],
            month=form.cleaned_data["month"],
            request=self.request,
        )


class CorrectView(ActivationMixin, generic.TemplateView):
    """Start: the facility's staff correct an accepted report (from its page): one entry replaced, or entries
    added afterwards, always with a reason. The correction goes through the month's steps again."""

    template_name = "births/correct.html"

    @cached_property
    def report(self) -> MonthlyBirthReport:
        """The accepted report named in the address: one of the user's facilities', or no such page."""
        try:
            pk = int(self.request.GET.get("report") or self.request.POST.get("report") or "")
        except ValueError:
            raise Http404 from None
        facilities = selectors.facility_choices(self.request.user)
        return get_object_or_404(MonthlyBirthReport.objects.select_related("facility"), pk=pk, facility__in=facilities)

    def make_form(self, data: Any = None) -> AmendForm:
        return AmendForm(data, entries=self.report.entries().order_by("occurred_at", "pk"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "form" not in context:  # a refused POST brings its own
            context["form"] = self.make_form()
        try:
            services.correctable_report(report=self.report)
        except ValidationError as refusal:
            context["refusal"] = refusal.messages[0]
        return {**context, "report": self.report, "report_url": case_detail_url(self.report)}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                correction = services.births_correct(
                    activation=self.activation,
                    user=request.user,
                    report=self.report,
                    entry=form.cleaned_data["entry"],
                    data=form.corrections(),
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ValidationError as error:
                apply_errors(form, error)
            except FlowLockFailed:
                form.add_error(None, BUSY_MESSAGE)
            else:
                messages.success(request, _("Correction opened: #%(pk)s.") % {"pk": correction.pk})
                return HttpResponseRedirect(case_detail_url(correction))
        return self.render_to_response(self.get_context_data(form=form), status=200)


class DecisionTaskView(CaseDecisionView):
    template_name = "births/task.html"


class SignView(DecisionTaskView):
    decisions = [Decision.FORWARD, Decision.RETURN]
    service = services.births_sign


class TownshipCheckView(DecisionTaskView):
    decisions = [Decision.FORWARD, Decision.RETURN]
    service = services.births_township_check


class AcceptView(DecisionTaskView):
    decisions = [Decision.APPROVE, Decision.RETURN]
    service = services.births_accept


class AmendView(CaseTaskView):
    """The facility corrects a returned register: one entry replaced with a reason, or a reason alone."""

    template_name = "births/task.html"

    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return AmendForm(data, entries=self.case.entries().order_by("occurred_at", "pk"))

    def perform(self, form: Any) -> None:
        services.births_amend(
            activation=self.activation,
            user=self.request.user,
            entry=form.cleaned_data["entry"],
            data=form.corrections(),
            reason=form.cleaned_data["reason"],
            request=self.request,
        )


# --- Entries (the facility's own staff) --------------------------------------------------------


class FacilityStaffMixin(ScopedViewMixin):
    request: HttpRequest

    def facilities(self) -> Any:
        facilities = selectors.facility_choices(self.request.user)
        if not facilities:
            raise PermissionDenied
        return facilities


class EntryListView(FacilityStaffMixin, generic.TemplateView):
    """The facility's entries, newest first, paged by key: a fixed number of queries."""

    template_name = "births/entries.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        self.facilities()
        entries = selectors.entries_for_user(self.request.user).select_related("facility", "mother_township")
        page = keyset_page(entries, self.request.GET)
        flow = self.flow_class.instance
        context.update(
            keyset=page,
            entries=page.rows,
            new_url=flow.reverse("entry_new"),
            upload_url=flow.reverse("upload"),
            register_url=flow.reverse("register"),
        )
        return context


class EntryCreateView(FacilityStaffMixin, generic.TemplateView):
    template_name = "births/entry_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "form" not in context:  # a refused POST brings its own
            context["form"] = EntryForm(facilities=self.facilities())
        context["entries_url"] = self.flow_class.instance.reverse("entries")
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = EntryForm(request.POST, facilities=self.facilities())
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                entry = services.births_entry_create(
                    user=request.user, facility=data.pop("facility"), data=data, request=request
                )
            except ValidationError as error:
                apply_errors(form, error)
            except FlowLockFailed:
                form.add_error(None, BUSY_MESSAGE)
            else:
                note = _(" It is flagged as late.") if entry.is_late else ""
                messages.success(request, _("Entry #%(pk)s recorded.") % {"pk": entry.pk} + note)
                return HttpResponseRedirect(self.flow_class.instance.reverse("entries"))
        return self.render_to_response(self.get_context_data(form=form), status=200)


class UploadView(FacilityStaffMixin, generic.TemplateView):
    """Upload, preview with every row's errors, confirm: all rows are saved in one transaction, or none."""

    template_name = "births/upload.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "form" not in context:  # a refused POST brings its own
            context["form"] = UploadForm(facilities=self.facilities())
        context.update(
            columns=[upload.COLUMN_LABELS[code] for code in upload.COLUMNS],
            choices=[
                (_("Kind of event"), EntryKind.choices),
                (_("Infant sex"), Sex.choices),
                (_("Outcome"), Outcome.choices),
            ],
            entries_url=self.flow_class.instance.reverse("entries"),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "payload" in request.POST:
            return self.confirm(request)
        form = UploadForm(request.POST, request.FILES, facilities=self.facilities())
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        facility = form.cleaned_data["facility"]
        try:
            rows = upload.parse(form.cleaned_data["file"])
        except upload.UploadError as error:
            form.add_error("file", str(error))
            return self.render_to_response(self.get_context_data(form=form))
        errors = [
            (row, upload.COLUMN_LABELS.get(column, column), message)
            for row, column, message in services.upload_rows_check(facility=facility, rows=rows, now=timezone.now())
        ]
        preview = [self.preview_row(number, row) for number, row in enumerate(rows, start=2)]
        context = self.get_context_data(form=form, preview=preview, row_errors=errors, facility=facility)
        if not errors:
            context["confirm_form"] = ConfirmUploadForm(
                initial={
                    "payload": upload.payload_dump(
                        facility_id=facility.pk, user_id=int(request.user.pk or 0), rows=rows
                    )
                }
            )
        return self.render_to_response(context)

    @staticmethod
    def preview_row(number: int, row: dict[str, Any]) -> dict[str, Any]:
        """What the preview shows of a row: never the resident ID."""
        occurred: dt.datetime | None = row.get("occurred_at")
        return {
            "number": number,
            "kind": dict(EntryKind.choices).get(row.get("kind", ""), ""),
            "occurred_at": timezone.localtime(occurred).strftime("%Y-%m-%d %H:%M") if occurred else "",
            "sex": dict(Sex.choices).get(row.get("sex", ""), ""),
            "weight": row.get("birth_weight_grams"),
            "outcome": dict(Outcome.choices).get(row.get("outcome", ""), ""),
            "township": row.get("mother_township") or "",
        }

    def confirm(self, request: HttpRequest) -> HttpResponse:
        facilities = self.facilities()
        form = ConfirmUploadForm(request.POST)
        try:
            if not form.is_valid():
                raise signing.BadSignature
            facility_id, rows = upload.payload_load(
                form.cleaned_data["payload"], facility_ids={f.pk for f in facilities}, user_id=int(request.user.pk or 0)
            )
            facility = next(f for f in facilities if f.pk == facility_id)
            saved = services.births_entries_upload(user=request.user, facility=facility, rows=rows, request=request)
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            messages.error(request, _("This preview has expired or was altered: upload the file again."))
            return HttpResponseRedirect(self.flow_class.instance.reverse("upload"))
        except ValidationError as error:
            messages.error(request, _("Nothing was saved: ") + " ".join(error.messages[:20]))
            return HttpResponseRedirect(self.flow_class.instance.reverse("upload"))
        except FlowLockFailed:
            messages.warning(request, BUSY_MESSAGE)
            return HttpResponseRedirect(self.flow_class.instance.reverse("upload"))
        messages.success(request, _("%(count)d entries saved.") % {"count": len(saved)})
        return HttpResponseRedirect(self.flow_class.instance.reverse("entries"))


# --- The register of reports: counts only, for every role in scope -------------------------------


class RegisterView(ScopedViewMixin, generic.TemplateView):
    """Facility-month counts by sex and outcome (``?month=YYYY-MM``), paged by key. Never an entry."""

    template_name = "births/register.html"

    def month(self) -> dt.date | None:
        raw = self.request.GET.get("month", "")
        try:
            return dt.datetime.strptime(raw, "%Y-%m").date() if raw else None
        except ValueError:
            return None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        month = self.month()
        page = keyset_page(selectors.register_reports(self.request.user, month=month), self.request.GET)
        flow = self.flow_class.instance
        for report in page.rows:
            report.url = flow.reverse("process_detail", args=[report.pk])
            report.table = selectors.count_table(report.counts)
            report.live = sum(report.table[0]["cells"]) if report.counts else None
        user = self.request.user
        context.update(
            keyset=page,
            reports=page.rows,
            month=month,
            sexes=Sex.choices,
            prepare_url=flow.prepare.reverse("execute") if flow.prepare.can_execute(user) else "",
            entries_url=flow.reverse("entries") if selectors.facility_choices(user).exists() else "",
        )
        return context
