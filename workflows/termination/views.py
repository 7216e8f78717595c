"""Pages of the termination procedure. Each validates input and calls one service."""

from __future__ import annotations

import hmac
import re
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic
from django.views.decorators.http import require_GET

from permissions.access import (
    access_termination_case_for_user,
    access_termination_document_for_user,
    staff_facility_ids,
)
from permissions.roles import Role
from permissions.selectors import facilities_for_user

from . import selectors, services
from .forms import (
    AmendForm,
    DecisionForm,
    DocumentFormSet,
    OpinionForm,
    RecordForm,
    SubmitForm,
    WithdrawForm,
)
from .models import Decision, Stage, TerminationCase


def _apply_errors(form: Any, error: ValidationError) -> None:
    """Put a service's refusal on the form, on the field it names when the form has that field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def case_detail_url(case: TerminationCase | int) -> str:
    from .flows import TerminationFlow

    pk = case if isinstance(case, int) else case.pk
    return str(TerminationFlow.instance.reverse("process_detail", args=[pk]))


class ActivationMixin:
    request: HttpRequest

    @property
    def activation(self) -> Any:
        """The task activation viewflow's node wrapper put on the request."""
        return self.request.activation  # type: ignore[attr-defined]


class SubmitView(ActivationMixin, generic.TemplateView):
    """Start node: a clerk (or director) of a designated facility enters the request."""

    template_name = "termination/submit.html"

    def facilities(self) -> Any:
        staff = facilities_for_user(self.request.user)
        return staff.filter(designated_for_termination=True, is_active=True).order_by("name")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", SubmitForm(facilities=self.facilities()))
        context.setdefault("document_forms", DocumentFormSet(prefix="documents"))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SubmitForm(request.POST, facilities=self.facilities())
        documents: Any = DocumentFormSet(request.POST, request.FILES, prefix="documents")
        if form.is_valid() and documents.is_valid():
            data = dict(form.cleaned_data)
            facility = data.pop("facility")
            try:
                case = services.termination_submit(
                    activation=self.activation,
                    user=request.user,
                    facility=facility,
                    data=data,
                    documents=documents.documents(),
                    request=request,
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Request #%(pk)s submitted.") % {"pk": case.pk})
                return HttpResponseRedirect(case_detail_url(case))
        return self.render_to_response(self.get_context_data(form=form, document_forms=documents))


class TaskView(ActivationMixin, generic.TemplateView):
    """A task page: the case summary on top, the step's form below. Subclasses call one service."""

    template_name = "termination/task.html"
    title = ""

    @property
    def case(self) -> TerminationCase:
        if not hasattr(self, "_case"):
            self._case = TerminationCase.objects.select_related("facility", "county").get(pk=self.activation.process.pk)
        return self._case

    def make_form(self, data: Any = None, files: Any = None) -> Any:
        raise NotImplementedError

    def perform(self, form: Any) -> None:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        selectors.case_read_audit(case=self.case, request=request)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.make_form())
        context.update(
            selectors.case_page_context(case=self.case, user=self.request.user),
            task=self.activation.task,
            title=self.activation.flow_task.task_title,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST, request.FILES)
        extra = self.extra_forms(request)
        if form.is_valid() and all(f.is_valid() for f in extra.values()):
            try:
                self.perform(form)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Done: case #%(pk)s.") % {"pk": self.case.pk})
                return HttpResponseRedirect(case_detail_url(self.case))
        return self.render_to_response(self.get_context_data(form=form, **extra))

    def extra_forms(self, request: HttpRequest) -> dict[str, Any]:
        return {}


class OpinionView(TaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return OpinionForm(data, request=self.request, case=self.case)

    def perform(self, form: Any) -> None:
        services.termination_opinion(
            activation=self.activation,
            user=self.request.user,
            agrees=form.cleaned_data["agrees"],
            reason=form.cleaned_data["reason"],
            request=self.request,
        )


class ReviewView(TaskView):
    decisions: list[str] = [Decision.FORWARD, Decision.RETURN, Decision.REJECT]

    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return DecisionForm(data, request=self.request, case=self.case, decisions=self.decisions)

    def perform(self, form: Any) -> None:
        services.termination_review(
            activation=self.activation,
            user=self.request.user,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            request=self.request,
        )


class DecideView(ReviewView):
    decisions: list[str] = [Decision.APPROVE, Decision.RETURN, Decision.REJECT]

    def perform(self, form: Any) -> None:
        services.termination_decide(
            activation=self.activation,
            user=self.request.user,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            request=self.request,
        )


class AmendView(TaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        case = self.case
        initial = {
            "patient_name": case.patient_name,
            "resident_id": case.resident_id,
            "marital_status": case.marital_status,
            "gestational_weeks": case.gestational_weeks,
            "gestational_days": case.gestational_days,
            "lmp_date": case.lmp_date,
            "pathway": case.pathway,
            "emergency_justification": case.emergency_justification,
        }
        return AmendForm(data, initial=initial)

    def extra_forms(self, request: HttpRequest) -> dict[str, Any]:
        if not hasattr(self, "_documents"):
            self._documents: Any = DocumentFormSet(request.POST, request.FILES, prefix="documents")
        return {"document_forms": self._documents}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("document_forms", DocumentFormSet(prefix="documents"))
        return super().get_context_data(**kwargs)

    def perform(self, form: Any) -> None:
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        services.termination_amend(
            activation=self.activation,
            user=self.request.user,
            data=data,
            documents=self._documents.documents(),
            reason=reason,
            request=self.request,
        )


class RecordView(TaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return RecordForm(data, request=self.request, case=self.case)

    def perform(self, form: Any) -> None:
        services.termination_record_procedure(
            activation=self.activation, user=self.request.user, data=form.cleaned_data, request=self.request
        )


# --- Case pages (reached through the scoped viewset, which has checked access already) ---


class CaseDetailView(generic.TemplateView):
    template_name = "termination/case_detail.html"
    viewset: Any = None
    flow_class: Any = None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        case = access_termination_case_for_user(user=self.request.user, pk=self.kwargs["process_pk"])
        selectors.case_read_audit(case=case, request=self.request)
        context.update(selectors.case_page_context(case=case, user=self.request.user))
        context["tasks"] = selectors.case_tasks(case=case, user=self.request.user)
        context["withdraw_form"] = WithdrawForm()
        context["can_withdraw"] = self.can_withdraw(case)
        return context

    def can_withdraw(self, case: TerminationCase) -> bool:
        return case.stage in {Stage.PANEL, Stage.FACILITY_REVIEW, Stage.RETURNED, Stage.BUREAU_REVIEW} and (
            case.facility_id in staff_facility_ids(self.request.user)
        )


class WithdrawView(CaseDetailView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        case = access_termination_case_for_user(user=request.user, pk=kwargs["process_pk"], write=True)
        if case.facility_id not in staff_facility_ids(
            request.user, roles={Role.FACILITY_CLERK, Role.FACILITY_DIRECTOR}
        ):
            raise PermissionDenied
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.termination_withdraw(
                    case=case, user=request.user, reason=form.cleaned_data["reason"], request=request
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Request #%(pk)s withdrawn.") % {"pk": case.pk})
                return HttpResponseRedirect(case_detail_url(case))
        context = self.get_context_data(**kwargs)
        context["withdraw_form"] = form
        return self.render_to_response(context, status=400)


@require_GET
def document_download(request: HttpRequest, process_pk: int, document_pk: int) -> FileResponse:
    """Stream a scan as an attachment, only to those who may see the case."""
    document = access_termination_document_for_user(user=request.user, pk=document_pk)
    if document.case_id != process_pk:
        raise Http404
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(document.content_type, "bin")
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"case-{document.case_id}-document-{document.pk}.{extension}",
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def verification_url(request: HttpRequest | None, case: TerminationCase) -> str:
    path = reverse("termination_verify", args=[case.certificate_number, case.certificate_token])
    return request.build_absolute_uri(path) if request is not None else path


@require_GET
def certificate_view(request: HttpRequest, process_pk: int) -> HttpResponse:
    case = access_termination_case_for_user(user=request.user, pk=process_pk)
    if not case.certificate_number:
        raise Http404
    url = verification_url(request, case)
    qr_svg = segno.make(url, error="m").svg_inline(scale=4, omitsize=False)
    context = selectors.case_page_context(case=case, user=request.user)
    context.update(qr_svg=qr_svg, verification_url=url)
    return render(request, "termination/certificate.html", context)


# "<county code>-<year>-<serial>" as services._next_certificate_number writes it; the token is token_urlsafe.
_CERTIFICATE_NUMBER = re.compile(r"[0-9]{6,12}-[0-9]{4}-[0-9]{6,12}")
_CERTIFICATE_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@login_not_required
@require_GET
def certificate_verify(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """Public: certificate number, facility, status and validity. Nothing about the patient."""
    case = None
    # Parsed strictly before the database sees them: ASCII only (a non-ASCII token would make compare_digest
    # raise), no NUL, nothing longer than the columns.
    if _CERTIFICATE_NUMBER.fullmatch(number) and _CERTIFICATE_TOKEN.fullmatch(token):
        case = TerminationCase.objects.select_related("facility").filter(certificate_number=number).first()
    if case is None or not case.certificate_token or not hmac.compare_digest(case.certificate_token, token):
        return render(request, "termination/verify.html", {"found": False}, status=404)
    now = timezone.now()
    if case.stage == Stage.COMPLETED:
        status = _("Used: the procedure has been recorded")
    elif case.stage == Stage.EXPIRED or (case.certificate_valid_until and case.certificate_valid_until < now):
        status = _("Expired")
    elif case.stage == Stage.APPROVED:
        status = _("Valid")
    else:
        status = _("Not valid")
    return render(
        request,
        "termination/verify.html",
        {"found": True, "case": case, "status": status, "valid": case.stage == Stage.APPROVED and status == _("Valid")},
    )
