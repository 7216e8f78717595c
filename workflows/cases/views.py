"""The pages every procedure's cases share. Each validates input and calls one service.

A procedure's start pages subclass ``CaseStartView`` (a form, and ``submit`` calling the service that
opens the case), its task views ``CaseTaskView`` (a form, and ``perform`` calling one of its services);
its viewset subclasses ``workflows.cases.viewsets.CaseViewset``, which serves the case
page, withdrawal, document download and the printable certificate from here. The public
verification page (``certificate_verify``) answers for every procedure's certificates.
"""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from django.views.decorators.http import require_GET
from viewflow.workflow.exceptions import FlowLockFailed

from documents.validators import SCAN_TYPES
from documents.views import document_response
from permissions.access import access_case_document_for_user, access_case_for_user, staff_facility_ids
from permissions.roles import FACILITY_ROLES

from ..nodes import SAFE_METHODS
from ..viewsets import BUSY_MESSAGE
from .forms import DecisionForm, WithdrawForm
from .registry import procedure_of
from .selectors import case_page_context, case_read_audit, case_tasks, verified_certificate
from .services import case_withdraw


def guard_checked_case(request: HttpRequest, *, model: Any, pk: Any) -> Any | None:
    """The case ``pk`` as the viewset's guard loaded it (with its facility and county) for a read's access check
    and left on the request; None for a change (POST), which reads it again under the case's lock."""
    checked = getattr(request, "_regflow_process", None)
    if request.method in SAFE_METHODS and isinstance(checked, model) and str(checked.pk) == str(pk):
        return checked
    return None


def case_checked_for_read(request: HttpRequest, *, model: Any, pk: Any) -> Any:
    """The case a read (GET) of ``pk`` shows: the guard's (``guard_checked_case``), else loaded and checked here."""
    checked = guard_checked_case(request, model=model, pk=pk)
    return checked if checked is not None else access_case_for_user(user=request.user, model=model, pk=pk)


def apply_errors(form: Any, error: ValidationError) -> None:
    """Put a service's refusal on the form, on the field it names when the form has that field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def case_detail_url(case: Any) -> str:
    return str(case.flow_class.instance.reverse("process_detail", args=[case.pk]))


class ActivationMixin:
    request: HttpRequest

    @property
    def activation(self) -> Any:
        """The task activation viewflow's node wrapper put on the request."""
        return self.request.activation  # type: ignore[attr-defined]


class CaseFormView(ActivationMixin, generic.TemplateView):
    """A page of the procedure's form, handed to one of its services by ``submit``; the case's page after.

    ``extra_forms`` are the forms sent with the main one (a formset), under the names the template reads;
    ``success_message`` takes the case's ``pk``.
    """

    success_message: Any = gettext_lazy("Done: case #%(pk)s.")

    def make_form(self, data: Any = None, files: Any = None) -> Any:
        raise NotImplementedError

    def extra_forms(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    def submit(self, form: Any, extra: dict[str, Any]) -> Any:
        """One service call with the valid forms; returns the case. Its refusal is a ValidationError."""
        raise NotImplementedError

    def invalid_context(self, request: HttpRequest, extra: dict[str, Any]) -> dict[str, Any]:
        """What a refused form's page adds (the procedure's documents formset names the scans to attach again)."""
        return extra

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "form" not in context:  # a refused POST brings its own: build the blank one only when it does not
            context["form"] = self.make_form()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST, request.FILES)
        extra = self.extra_forms(request)
        if form.is_valid() and all(f.is_valid() for f in extra.values()):
            try:
                case = self.submit(form, extra)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, self.success_message % {"pk": case.pk})
                return HttpResponseRedirect(case_detail_url(case))
        return self.render_to_response(self.get_context_data(form=form, **self.invalid_context(request, extra)))


class CaseDocumentsMixin:
    """A form page that files scans too: the procedure's ``document_formset`` (``cases.forms.case_document_formset``)
    goes with the form as ``document_forms``; a refused page names the scans to attach again."""

    document_formset: Any = None

    def extra_forms(self, request: HttpRequest) -> dict[str, Any]:
        if not hasattr(self, "_document_forms"):
            self._document_forms = self.document_formset(request.POST, request.FILES, prefix="documents")
        return {**super().extra_forms(request), "document_forms": self._document_forms}  # type: ignore[misc]

    def documents(self) -> list[dict[str, Any]]:
        """The valid formset's documents, as the kit's case_documents_add takes them."""
        return list(self._document_forms.documents())

    def invalid_context(self, request: HttpRequest, extra: dict[str, Any]) -> dict[str, Any]:
        extra = super().invalid_context(request, extra)  # type: ignore[misc]
        return {**extra, "attach_again": extra["document_forms"].scans_to_attach_again(request.FILES)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("document_forms", self.document_formset(prefix="documents"))
        return super().get_context_data(**kwargs)  # type: ignore[misc, no-any-return]


def form_initial(record: Any, form_class: Any) -> dict[str, Any]:
    """A form's initial values from the record's model fields of the same names (an amendment starts from them)."""
    names = {field.name for field in record._meta.concrete_fields}
    return {name: getattr(record, name) for name in form_class.base_fields if name in names}


class CaseStartView(CaseFormView):
    """A start page: ``submit`` opens the case (the start node's service) and returns it."""


class CaseTaskView(CaseFormView):
    """A task page: the step's form on top, the case summary and trail below. Subclasses call one service."""

    template_name = "cases/task.html"

    @property
    def case(self) -> Any:
        if not hasattr(self, "_case"):
            # A read reuses the case the viewset's guard loaded for its access check; a change (POST) reads it
            # again, under the case's lock.
            model, pk = self.activation.flow_class.process_class, self.activation.process.pk
            checked = guard_checked_case(self.request, model=model, pk=pk)
            if checked is None:
                checked = model._default_manager.select_related("facility", "county").get(pk=pk)
            self._case = checked
        return self._case

    def perform(self, form: Any) -> None:
        raise NotImplementedError

    def submit(self, form: Any, extra: dict[str, Any]) -> Any:
        self.perform(form)
        return self.case

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        case_read_audit(case=self.case, request=request)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            case_page_context(case=self.case, user=self.request.user),
            task=self.activation.task,
            title=self.activation.flow_task.task_title,
            release_url=self.activation.flow_task.reverse("unassign", args=[self.case.pk, self.activation.task.pk]),
        )
        return context


class CaseDecisionView(CaseTaskView):
    """A signed decision among ``decisions``, handed to ``service`` (a procedure's <case>_review / _decide)."""

    decisions: list[str] = []
    service: Any = None

    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return DecisionForm(data, request=self.request, case=self.case, decisions=self.decisions)

    def perform(self, form: Any) -> None:
        type(self).service(
            activation=self.activation,
            user=self.request.user,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            request=self.request,
        )


# --- Case pages (reached through the scoped viewset, which has checked access already) ---


class CaseDetailView(generic.TemplateView):
    template_name = "cases/case_detail.html"
    viewset: Any = None
    flow_class: Any = None

    @property
    def case_model(self) -> Any:
        return self.flow_class.process_class

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        case = case_checked_for_read(self.request, model=self.case_model, pk=self.kwargs["process_pk"])
        case_read_audit(case=case, request=self.request)
        context.update(case_page_context(case=case, user=self.request.user))
        context["tasks"] = case_tasks(case=case, user=self.request.user)
        context["withdraw_form"] = WithdrawForm()
        context["can_withdraw"] = self.can_withdraw(case)
        return context

    def can_withdraw(self, case: Any) -> bool:
        return case.stage in case.WITHDRAWABLE_STAGES and case.facility_id in staff_facility_ids(self.request.user)


class CaseWithdrawView(CaseDetailView):
    """The facility's clerk or director withdraws a request in one of its WITHDRAWABLE_STAGES."""

    http_method_names = ["post"]

    def withdraw(self, *, case: Any, reason: str) -> Any:
        """The withdrawal service; a procedure whose withdrawal does more overrides this with its own."""
        return case_withdraw(
            case=case,
            user=self.request.user,
            reason=reason,
            action=f"{case._meta.app_label}.withdraw",
            request=self.request,
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        case = access_case_for_user(user=request.user, model=self.case_model, pk=kwargs["process_pk"], write=True)
        if case.facility_id not in staff_facility_ids(request.user, roles=set(FACILITY_ROLES)):
            raise PermissionDenied
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                self.withdraw(case=case, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                apply_errors(form, error)
            except FlowLockFailed:
                # Another request holds the case (the bureau deciding it): nothing was changed; say so on the case.
                messages.warning(request, BUSY_MESSAGE)
                return HttpResponseRedirect(case_detail_url(case))
            else:
                messages.success(request, _("Request #%(pk)s withdrawn.") % {"pk": case.pk})
                return HttpResponseRedirect(case_detail_url(case))
        context = self.get_context_data(**kwargs)
        context["withdraw_form"] = form
        return self.render_to_response(context, status=400)


class CaseDocumentView(generic.View):
    """A scan as an attachment, only to those who may see the case; a lost or damaged scan gets our own page."""

    http_method_names = ["get"]
    viewset: Any = None
    flow_class: Any = None

    def get(self, request: HttpRequest, process_pk: int, document_pk: int) -> HttpResponse:
        model = procedure_of(self.flow_class.process_class).document_model
        if model is None:  # a procedure that files no documents
            raise Http404
        document = access_case_document_for_user(user=request.user, model=model, pk=document_pk)
        if document.case_id != process_pk:
            raise Http404
        extension = SCAN_TYPES.get(document.content_type, "bin")
        return document_response(
            request,
            document=document,
            filename=f"case-{document.case_id}-document-{document.pk}.{extension}",
            back_url=case_detail_url(document.case),
        )


def verification_url(request: HttpRequest | None, case: Any) -> str:
    """The public address of a certificate's verification page: what its QR code says."""
    kind = procedure_of(case).certificate_kind
    path = reverse("certificate_verify", args=[kind, case.certificate_number, case.certificate_token])
    return request.build_absolute_uri(path) if request is not None else path


def certificate_qr_svg(url: str) -> str:
    """The QR code of a verification URL as inline SVG that scans at any printed size.

    One unit per module in a viewBox, with no width or height, so that CSS scales the whole code (a fixed
    size in pixels would crop it instead); the four-module quiet zone that scanners need is drawn white.
    """
    return segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff")


class CertificateView(generic.View):
    """The printable certificate of a CertifiedCase, with the QR code of its verification page."""

    http_method_names = ["get"]
    viewset: Any = None
    flow_class: Any = None

    def get(self, request: HttpRequest, process_pk: int) -> HttpResponse:
        case = case_checked_for_read(request, model=self.flow_class.process_class, pk=process_pk)
        if not case.certificate_number:
            raise Http404
        case_read_audit(case=case, request=request)
        url = verification_url(request, case)
        context = case_page_context(case=case, user=request.user)
        context.update(qr_svg=certificate_qr_svg(url), verification_url=url)
        return render(request, "cases/certificate.html", context)


@login_not_required
@require_GET
def certificate_verify(request: HttpRequest, kind: str, number: str, token: str) -> HttpResponse:
    """Public, for every procedure's certificates: number, facility, status and validity. Nothing about the patient."""
    case = verified_certificate(kind=kind, number=number, token=token)
    if case is None:
        return render(request, "cases/verify.html", {"found": False}, status=404)
    status, valid = case.certificate_status(timezone.now())
    return render(request, "cases/verify.html", {"found": True, "case": case, "status": status, "valid": valid})
