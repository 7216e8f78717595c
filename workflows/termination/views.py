"""Pages of the termination procedure. Each validates input and calls one service."""

from __future__ import annotations

import hmac
import re
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
from django.views import generic
from django.views.decorators.http import require_GET
from viewflow.workflow.exceptions import FlowLockFailed

from documents.validators import SCAN_TYPES
from documents.views import document_response
from permissions.access import access_case_document_for_user, access_case_for_user, staff_facility_ids
from permissions.roles import Role
from permissions.selectors import facilities_for_user
from workflows.viewsets import BUSY_MESSAGE

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
from .models import (
    REQUIRED_DOCUMENTS,
    Decision,
    DocumentType,
    Pathway,
    Stage,
    TerminationCase,
    TerminationDocument,
    required_documents,
)


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


def scans_to_attach_again(documents: Any, files: Any) -> list[dict[str, Any]]:
    """Rows whose scan was sent with a refused form: browsers cannot keep a file input, so the page names them.

    Unvalidated uploads are never stored to spare the clerk this; each row is marked
    (``form.attach_again``) and the list heads the documents table.
    """
    rows = []
    for index, form in enumerate(documents.forms):
        upload = files.get(f"{documents.prefix}-{index}-file")
        form.attach_again = ""
        if upload is None:
            continue
        form.attach_again = (upload.name or "")[:100]
        doc_type = form.data.get(f"{documents.prefix}-{index}-doc_type", "")
        label = DocumentType(doc_type).label if doc_type in DocumentType.values else ""
        rows.append({"row": index + 1, "type": label, "name": form.attach_again})
    return rows


def request_rules(facilities: Any) -> dict[str, Any]:
    """What the request page shows as the clerk fills it in, from the rules services.py enforces.

    Each facility's county threshold and designated gestation, and the documents
    each pathway needs (an emergency adds its clinical record). Rendered with
    json_script for submit.js: the server's rule stays the only source.
    """
    pathway_documents = {
        pathway: [str(DocumentType(doc).label) for doc in required_documents(pathway=pathway, emergency=False)]
        for pathway in REQUIRED_DOCUMENTS
    }
    return {
        "facilities": {
            str(facility.pk): {
                "county": facility.county.name,
                "threshold": getattr(getattr(facility.county, "config", None), "gestational_threshold_weeks", None),
                "max_weeks": facility.designated_max_weeks,
            }
            for facility in facilities.select_related("county__config")
        },
        "pathways": pathway_documents,
        "pathway_labels": {value: str(label) for value, label in Pathway.choices},
        "emergency_document": str(DocumentType.EMERGENCY_RECORD.label),
        # The same sentences the page renders before the script runs, with %(name)s placeholders.
        "words": {
            "threshold": _("%(county)s: a certificate is needed from %(weeks)s weeks of gestation."),
            "designated": _("Your facility is designated up to %(weeks)s weeks."),
            "choose_facility": _("Choose the facility to see its county's threshold."),
            "choose_pathway": _("Choose a pathway to see the documents it needs."),
        },
    }


class SubmitView(ActivationMixin, generic.TemplateView):
    """Start node: a clerk (or director) of a designated facility enters the request."""

    template_name = "termination/submit.html"

    def facilities(self) -> Any:
        staff = facilities_for_user(self.request.user)
        return staff.filter(designated_for_termination=True, is_active=True).order_by("name")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        facilities = self.facilities()
        context.setdefault("form", SubmitForm(facilities=facilities))
        context.setdefault("document_forms", DocumentFormSet(prefix="documents"))
        rules = request_rules(facilities)
        context["request_rules"] = rules
        only = list(rules["facilities"].values())
        context["single_facility_rules"] = only[0] if len(only) == 1 else None
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
        attach_again = scans_to_attach_again(documents, request.FILES)
        return self.render_to_response(
            self.get_context_data(form=form, document_forms=documents, attach_again=attach_again)
        )


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
            release_url=self.activation.flow_task.reverse("unassign", args=[self.case.pk, self.activation.task.pk]),
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
        if "document_forms" in extra:
            extra["attach_again"] = scans_to_attach_again(extra["document_forms"], request.FILES)
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
        case = access_case_for_user(user=self.request.user, model=TerminationCase, pk=self.kwargs["process_pk"])
        selectors.case_read_audit(case=case, request=self.request)
        context.update(selectors.case_page_context(case=case, user=self.request.user))
        context["tasks"] = selectors.case_tasks(case=case, user=self.request.user)
        context["withdraw_form"] = WithdrawForm()
        context["can_withdraw"] = self.can_withdraw(case)
        return context

    def can_withdraw(self, case: TerminationCase) -> bool:
        return case.stage in case.WITHDRAWABLE_STAGES and case.facility_id in staff_facility_ids(self.request.user)


class WithdrawView(CaseDetailView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        case = access_case_for_user(user=request.user, model=TerminationCase, pk=kwargs["process_pk"], write=True)
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


@require_GET
def document_download(request: HttpRequest, process_pk: int, document_pk: int) -> HttpResponse:
    """Send a scan as an attachment, only to those who may see the case; a lost or damaged scan gets our own page."""
    document = access_case_document_for_user(user=request.user, model=TerminationDocument, pk=document_pk)
    if document.case_id != process_pk:
        raise Http404
    extension = SCAN_TYPES.get(document.content_type, "bin")
    return document_response(
        request,
        document=document,
        filename=f"case-{document.case_id}-document-{document.pk}.{extension}",
        back_url=case_detail_url(document.case_id),
    )


def verification_url(request: HttpRequest | None, case: TerminationCase) -> str:
    path = reverse("termination_verify", args=[case.certificate_number, case.certificate_token])
    return request.build_absolute_uri(path) if request is not None else path


def certificate_qr_svg(url: str) -> str:
    """The QR code of a verification URL as inline SVG that scans at any printed size.

    One unit per module in a viewBox, with no width or height, so that CSS scales the whole code (a fixed
    size in pixels would crop it instead); the four-module quiet zone that scanners need is drawn white.
    """
    return segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff")


@require_GET
def certificate_view(request: HttpRequest, process_pk: int) -> HttpResponse:
    case = access_case_for_user(user=request.user, model=TerminationCase, pk=process_pk)
    if not case.certificate_number:
        raise Http404
    selectors.case_read_audit(case=case, request=request)
    url = verification_url(request, case)
    qr_svg = certificate_qr_svg(url)
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
