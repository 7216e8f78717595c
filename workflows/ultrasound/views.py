"""Pages of the ultrasound registry. Each validates input and calls one service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import generic
from django.views.decorators.http import require_GET
from viewflow.workflow.exceptions import FlowLockFailed

from documents.views import document_response
from permissions.access import bureau_county_ids, staff_facility_ids
from permissions.models import Jurisdiction, RoleAssignment
from permissions.roles import Role
from permissions.selectors import facilities_for_user
from workflows.viewsets import BUSY_MESSAGE, ScopedViewMixin

from . import selectors, services
from .forms import (
    AmendForm,
    AmendmentFileForm,
    CheckForm,
    DecisionForm,
    FileForm,
    RegistryFilterForm,
    RenewForm,
    ReviewForm,
    ScheduleCheckForm,
    WithdrawForm,
    operator_formset,
)
from .models import (
    ONSITE_CHECK_REQUIRED,
    WITHDRAWABLE_STAGES,
    CaseKind,
    Decision,
    DeviceStatus,
    DocumentType,
    UltrasoundCase,
    UltrasoundDevice,
    UltrasoundDocument,
)
from .visibility import case_visible_fields


def apply_errors(form: Any, error: ValidationError) -> None:
    """Put a service's refusal on the form, on the field it names when the form has that field."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def case_url(case: UltrasoundCase | int) -> str:
    from .flows import UltrasoundRegistrationFlow

    pk = case if isinstance(case, int) else case.pk
    return str(UltrasoundRegistrationFlow.instance.reverse("process_detail", args=[pk]))


def supervisors_of(county_id: int) -> Any:
    ids = RoleAssignment.objects.filter(
        role=Role.SUPERVISOR, jurisdiction_id=county_id, revoked_at__isnull=True
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=ids, is_active=True).select_related("profile").order_by("pk")


def case_page_context(*, case: UltrasoundCase, user: Any) -> dict[str, Any]:
    from .flows import UltrasoundRegistrationFlow

    flow = UltrasoundRegistrationFlow.instance
    device = case.device
    documents = list(case.documents.order_by("pk"))
    for document in documents:
        document.url = flow.reverse("document", args=[case.pk, document.pk])
    return {
        "case": case,
        "device": device,
        "operators": list(device.active_operators()),
        "proposed_operators": case.proposed.get("operators", []),
        "documents": documents,
        "check": getattr(case, "onsite_check", None),
        "see": case_visible_fields(user=user, case=case),
        **selectors.case_trail(case=case),
        "case_url": flow.reverse("process_detail", args=[case.pk]),
        "device_url": flow.reverse("device", args=[device.pk]),
        "withdraw_url": flow.reverse("withdraw", args=[case.pk]),
    }


class ActivationMixin:
    request: HttpRequest

    @property
    def activation(self) -> Any:
        return self.request.activation  # type: ignore[attr-defined]


# --- Start pages ------------------------------------------------------------------------


class FileView(ActivationMixin, generic.TemplateView):
    """Start: a clerk (or director) files a newly bought device."""

    template_name = "ultrasound/file.html"

    def facilities(self) -> Any:
        return facilities_for_user(self.request.user).filter(is_active=True).select_related("county").order_by("name")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", FileForm(facilities=self.facilities()))
        context.setdefault("operator_forms", operator_formset())
        context["deadlines"] = [
            (f, services.device_filing_deadline_days(county_id=f.county_id)) for f in self.facilities()
        ]
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = FileForm(request.POST, request.FILES, facilities=self.facilities())
        operators = operator_formset(request.POST)
        if form.is_valid() and operators.is_valid():
            data = dict(form.cleaned_data)
            documents: list[tuple[str, Any]] = [(DocumentType.UNDERTAKING, data.pop("undertaking"))]
            if data.get("pledges"):
                documents.append((DocumentType.PLEDGE, data["pledges"]))
            try:
                case = services.ultrasound_file(
                    activation=self.activation,
                    user=request.user,
                    facility=data.pop("facility"),
                    data=data,
                    operators=operators.operators(),
                    documents=documents,
                    request=request,
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Device filed: case #%(pk)s.") % {"pk": case.pk})
                return HttpResponseRedirect(case_url(case))
        return self.render_to_response(self.get_context_data(form=form, operator_forms=operators))


class AmendmentFileView(ActivationMixin, generic.TemplateView):
    """Start: the facility asks for a change to one of its registered devices (``?device=<pk>``)."""

    template_name = "ultrasound/file_amendment.html"

    def device(self) -> UltrasoundDevice:
        pk = self.request.GET.get("device") or self.request.POST.get("device")
        device = selectors.access_ultrasound_device_for_user(user=self.request.user, pk=pk)
        if device.facility_id not in staff_facility_ids(self.request.user):
            raise Http404
        return device

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        device = kwargs.get("device") or self.device()
        context["device"] = device
        context.setdefault("form", AmendmentFileForm(device=device))
        context.setdefault("operator_forms", operator_formset())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        device = self.device()
        form = AmendmentFileForm(request.POST, request.FILES, device=device)
        operators = operator_formset(request.POST)
        if form.is_valid() and operators.is_valid():
            data = dict(form.cleaned_data)
            attachment = data.pop("attachment")
            try:
                case = services.ultrasound_amendment_file(
                    activation=self.activation,
                    user=request.user,
                    device=device,
                    kind=data.pop("kind"),
                    data=data,
                    operators=operators.operators(),
                    documents=[(DocumentType.OTHER, attachment)] if attachment else [],
                    request=request,
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Change filed: case #%(pk)s.") % {"pk": case.pk})
                return HttpResponseRedirect(case_url(case))
        return self.render_to_response(self.get_context_data(form=form, operator_forms=operators, device=device))


class ScheduleCheckView(ActivationMixin, generic.TemplateView):
    """Start: a bureau officer sends a supervisor to a registered device of the county, unannounced."""

    template_name = "ultrasound/schedule_check.html"

    def make_form(self, data: Any = None) -> ScheduleCheckForm:
        counties = bureau_county_ids(self.request.user)
        devices = UltrasoundDevice.objects.registered().filter(county_id__in=counties).select_related("facility")
        supervisors = get_user_model().objects.filter(
            pk__in=RoleAssignment.objects.filter(
                role=Role.SUPERVISOR, jurisdiction_id__in=counties, revoked_at__isnull=True
            ).values("user_id"),
            is_active=True,
        )
        initial = {"device": self.request.GET.get("device")} if data is None else None
        return ScheduleCheckForm(data, initial=initial, devices=devices, supervisors=supervisors)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.make_form())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                case = services.ultrasound_check_schedule(
                    activation=self.activation,
                    user=request.user,
                    device=form.cleaned_data["device"],
                    supervisor=form.cleaned_data["supervisor"],
                    request=request,
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Check scheduled: case #%(pk)s.") % {"pk": case.pk})
                return HttpResponseRedirect(case_url(case))
        return self.render_to_response(self.get_context_data(form=form))


# --- Task pages ------------------------------------------------------------------------


class TaskView(ActivationMixin, generic.TemplateView):
    """A task page: the case on top, the step's form below. Subclasses call one service."""

    template_name = "ultrasound/task.html"

    @property
    def case(self) -> UltrasoundCase:
        if not hasattr(self, "_case"):
            self._case = UltrasoundCase.objects.select_related("facility", "county", "device").get(
                pk=self.activation.process.pk
            )
        return self._case

    def make_form(self, data: Any = None, files: Any = None) -> Any:
        raise NotImplementedError

    def perform(self, form: Any) -> None:
        raise NotImplementedError

    def extra_forms(self, data: Any = None) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        selectors.case_read_audit(case=self.case, request=request)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.make_form())
        for key, value in self.extra_forms().items():
            context.setdefault(key, value)
        context.update(
            case_page_context(case=self.case, user=self.request.user),
            task=self.activation.task,
            title=self.activation.flow_task.task_title,
            release_url=self.activation.flow_task.reverse("unassign", args=[self.case.pk, self.activation.task.pk]),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST, request.FILES)
        extra = self.extra_forms(request.POST)
        if form.is_valid() and all(f.is_valid() for f in extra.values()):
            try:
                self.perform(form, **extra)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Done: case #%(pk)s.") % {"pk": self.case.pk})
                return HttpResponseRedirect(case_url(self.case))
        return self.render_to_response(self.get_context_data(form=form, **extra))


class DecisionTaskView(TaskView):
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


class UndertakingView(DecisionTaskView):
    decisions = [Decision.FORWARD, Decision.RETURN]
    service = services.ultrasound_sign_undertaking


class DecideView(DecisionTaskView):
    decisions = [Decision.APPROVE, Decision.RETURN, Decision.REJECT]
    service = services.ultrasound_decide


class AcceptTransferView(DecisionTaskView):
    decisions = [Decision.APPROVE, Decision.REJECT]
    service = services.ultrasound_accept_transfer


class ReviewView(TaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        decisions: list[str] = [Decision.CHECK, Decision.RETURN]
        if self.case.kind not in ONSITE_CHECK_REQUIRED:
            decisions.insert(1, Decision.NO_CHECK)
        return ReviewForm(data, decisions=decisions, supervisors=supervisors_of(self.case.county_id))

    def perform(self, form: Any) -> None:
        services.ultrasound_review(
            activation=self.activation,
            user=self.request.user,
            decision=form.cleaned_data["decision"],
            supervisor=form.cleaned_data["supervisor"],
            reason=form.cleaned_data["reason"],
            request=self.request,
        )


class CheckView(TaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return CheckForm(data, files, request=self.request, case=self.case)

    def perform(self, form: Any) -> None:
        services.ultrasound_onsite_check(
            activation=self.activation,
            user=self.request.user,
            checklist=form.checklist(),
            findings=form.cleaned_data["findings"],
            photos=form.photos(),
            request=self.request,
        )


class RenewView(TaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return RenewForm(data, files, request=self.request, case=self.case)

    def perform(self, form: Any) -> None:
        services.ultrasound_renew_pledges(
            activation=self.activation,
            user=self.request.user,
            renewed_on=form.cleaned_data["renewed_on"],
            documents=[(DocumentType.PLEDGE, form.cleaned_data["pledges"])],
            request=self.request,
        )


class AmendView(TaskView):
    def make_form(self, data: Any = None, files: Any = None) -> Any:
        device, case = self.case.device, self.case
        initial = {field: getattr(device, field) for field in services.DEVICE_FIELDS}
        initial.update({k: v for k, v in case.proposed.items() if k in {"room", "responsible_person"}})
        return AmendForm(data, files, initial=initial, kind=case.kind)

    def extra_forms(self, data: Any = None) -> dict[str, Any]:
        if self.case.kind not in {CaseKind.REGISTRATION, CaseKind.OPERATOR_CHANGE, CaseKind.TRANSFER}:
            return {}
        if self.case.kind == CaseKind.REGISTRATION:
            current = [o.as_data() for o in self.case.device.active_operators()]
        else:
            current = self.case.proposed.get("operators", [])
        return {"operator_forms": operator_formset(data, initial=None if data is not None else current)}

    def perform(self, form: Any, operator_forms: Any = None) -> None:
        data = dict(form.cleaned_data)
        attachment = data.pop("attachment", None)
        services.ultrasound_amend(
            activation=self.activation,
            user=self.request.user,
            data=data,
            operators=operator_forms.operators() if operator_forms is not None else [],
            documents=[(DocumentType.OTHER, attachment)] if attachment else [],
            request=self.request,
        )


# --- Case and device pages (reached through the scoped viewset, which has checked access already) ---


class CaseDetailView(generic.TemplateView):
    template_name = "ultrasound/case_detail.html"
    viewset: Any = None
    flow_class: Any = None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from .flows import UltrasoundRegistrationFlow

        context = super().get_context_data(**kwargs)
        case = selectors.access_ultrasound_case_for_user(user=self.request.user, pk=self.kwargs["process_pk"])
        selectors.case_read_audit(case=case, request=self.request)
        context.update(case_page_context(case=case, user=self.request.user))
        context["tasks"] = selectors.case_tasks(case=case, user=self.request.user)
        context["chart_url"] = UltrasoundRegistrationFlow.instance.reverse("process_chart", args=[case.pk])
        context["withdraw_form"] = WithdrawForm()
        context["can_withdraw"] = case.stage in WITHDRAWABLE_STAGES and case.facility_id in staff_facility_ids(
            self.request.user
        )
        return context


class WithdrawView(CaseDetailView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        case = selectors.access_ultrasound_case_for_user(user=request.user, pk=kwargs["process_pk"], write=True)
        if case.facility_id not in staff_facility_ids(request.user):
            raise PermissionDenied
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.ultrasound_withdraw(
                    case=case, user=request.user, reason=form.cleaned_data["reason"], request=request
                )
            except ValidationError as error:
                apply_errors(form, error)
            except FlowLockFailed:
                messages.warning(request, BUSY_MESSAGE)
                return HttpResponseRedirect(case_url(case))
            else:
                messages.success(request, _("Filing #%(pk)s withdrawn.") % {"pk": case.pk})
                return HttpResponseRedirect(case_url(case))
        context = self.get_context_data(**kwargs)
        context["withdraw_form"] = form
        return self.render_to_response(context, status=400)


@require_GET
def document_download(request: HttpRequest, process_pk: int, document_pk: int) -> HttpResponse:
    case = selectors.access_ultrasound_case_for_user(user=request.user, pk=process_pk)
    document = UltrasoundDocument.objects.filter(pk=document_pk, case=case).first()
    if document is None:
        raise Http404
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(document.content_type, "bin")
    return document_response(
        request,
        document=document,
        filename=f"ultrasound-{case.pk}-document-{document.pk}.{extension}",
        back_url=case_url(case),
    )


class RegistryView(ScopedViewMixin, generic.TemplateView):
    """The registry of one county (``?county=<pk>``), or of every device the user may see: filters and pages."""

    template_name = "ultrasound/registry.html"
    viewset: Any = None
    flow_class: Any = None
    paginate_by = 25

    def county(self) -> Jurisdiction | None:
        raw = self.request.GET.get("county", "")
        if not raw:
            return None
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18) or int(raw) not in selectors.registry_county_ids(
            self.request.user
        ):
            raise Http404
        return Jurisdiction.objects.get(pk=int(raw))

    def devices(self) -> Any:
        county = self.county()
        facilities = selectors.registry_facilities(user=self.request.user)
        form = RegistryFilterForm(self.request.GET or None, facilities=facilities)
        filters = form.cleaned_data if form.is_valid() else {}
        devices = selectors.registry_devices(
            user=self.request.user, county_id=county.pk if county else None, filters=filters
        )
        return county, form, devices

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        county, form, devices = self.devices()
        export = request.GET.get("export")
        if export in {"csv", "xlsx"}:
            return registry_export(devices, export)
        page = Paginator(devices, self.paginate_by).get_page(request.GET.get("page"))
        for device in page.object_list:
            device.url = self.flow_class.instance.reverse("device", args=[device.pk])
        query = request.GET.copy()
        query.pop("page", None)
        return self.render_to_response(
            self.get_context_data(
                county=county,
                counties=selectors.registry_counties(user=request.user),
                filter_form=form,
                page_obj=page,
                devices=page.object_list,
                query=query.urlencode(),
            )
        )


def registry_export(devices: Any, kind: str) -> HttpResponse:
    if kind == "csv":
        response = HttpResponse(selectors.registry_csv(devices), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            selectors.registry_xlsx(devices),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="ultrasound-registry.{kind}"'
    return response


class DeviceDetailView(ScopedViewMixin, generic.TemplateView):
    """One device: its current state, operators, registration and the full history of its cases."""

    template_name = "ultrasound/device_detail.html"
    viewset: Any = None
    flow_class: Any = None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from .flows import UltrasoundRegistrationFlow

        context = super().get_context_data(**kwargs)
        user = self.request.user
        device = selectors.access_ultrasound_device_for_user(user=user, pk=self.kwargs["device_pk"])
        flow = UltrasoundRegistrationFlow.instance
        history = selectors.device_history(device=device, user=user)
        for case in history:
            case.url = flow.reverse("process_detail", args=[case.pk])
        context.update(
            device=device,
            operators=list(device.active_operators()),
            former_operators=list(device.operators.filter(removed_at__isnull=False)),
            history=history,
            checks=list(device.checks.select_related("supervisor__profile").order_by("pk")),
            can_amend=device.status == DeviceStatus.REGISTERED and device.facility_id in staff_facility_ids(user),
            can_schedule=device.status == DeviceStatus.REGISTERED and device.county_id in bureau_county_ids(user),
            amend_url=flow.file_amendment.reverse("execute") + f"?device={device.pk}",
            schedule_url=flow.schedule_check.reverse("execute") + f"?device={device.pk}",
            certificate_url=flow.reverse("certificate", args=[device.pk]) if device.registration_number else "",
        )
        return context


@require_GET
def certificate_view(request: HttpRequest, device_pk: int) -> HttpResponse:
    device = selectors.access_ultrasound_device_for_user(user=request.user, pk=device_pk)
    if not device.registration_number or device.county_id not in (
        bureau_county_ids(request.user) | {f.county_id for f in facilities_for_user(request.user)}
    ):
        raise Http404
    from workflows.cases.views import certificate_qr_context  # KIT

    context = {"device": device, "operators": list(device.active_operators())}
    context.update(
        certificate_qr_context(
            request=request, kind="ultrasound", number=device.registration_number, token=device.certificate_token
        )
    )
    return render(request, "ultrasound/certificate.html", context)
