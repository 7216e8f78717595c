"""Pages of the ultrasound registry. Each validates input and calls one service."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from django.views.decorators.http import require_GET

from audit.selectors import object_trail
from permissions.access import bureau_county_ids, staff_facility_ids
from permissions.models import Jurisdiction, RoleAssignment
from permissions.roles import Role
from permissions.selectors import facilities_for_user
from workflows.cases.exports import EXPORT_KINDS, export_response
from workflows.cases.registry import procedure
from workflows.cases.views import (
    CaseDecisionView,
    CaseStartView,
    CaseTaskView,
    CaseWithdrawView,
    case_detail_url,
    certificate_qr_svg,
)
from workflows.viewsets import ScopedViewMixin

from . import selectors, services
from .forms import (
    AmendForm,
    AmendmentFileForm,
    CheckForm,
    FileForm,
    RegistryFilterForm,
    RenewForm,
    ReviewForm,
    ScheduleCheckForm,
    operator_formset,
)
from .models import (
    ONSITE_CHECK_REQUIRED,
    CaseKind,
    Decision,
    DeviceStatus,
    DocumentType,
    OnsiteCheck,
    UltrasoundCase,
    UltrasoundDevice,
)
from .visibility import VISIBILITY

case_url = case_detail_url


def supervisors_of(county_id: int) -> Any:
    ids = RoleAssignment.objects.filter(
        role=Role.SUPERVISOR, jurisdiction_id=county_id, revoked_at__isnull=True
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=ids, is_active=True).select_related("profile").order_by("pk")


def page_context(*, case: UltrasoundCase, user: Any) -> dict[str, Any]:
    """What the registry's templates add to the kit's case context: the device, its operators, the check."""
    from .flows import UltrasoundRegistrationFlow

    flow = UltrasoundRegistrationFlow.instance
    device = case.device
    if case.supervisor_id is not None:  # the summary names the supervisor: the user and profile in one read
        case.supervisor = get_user_model().objects.select_related("profile").get(pk=case.supervisor_id)
    return {
        "device": device,
        "operators": list(device.active_operators()),
        "proposed_operators": case.proposed.get("operators", []),
        # With the signature it shows, or None: a case has one check at most.
        "check": OnsiteCheck.objects.filter(case=case).select_related("signature").first(),
        "device_url": flow.reverse("device", args=[device.pk]),
    }


# --- Start pages ------------------------------------------------------------------------


class FileView(CaseStartView):
    """Start: a clerk (or director) files a newly bought device."""

    template_name = "ultrasound/file.html"
    success_message = gettext_lazy("Device filed: case #%(pk)s.")

    def facilities(self) -> Any:
        return facilities_for_user(self.request.user).filter(is_active=True).select_related("county").order_by("name")

    def make_form(self, data: Any = None, files: Any = None) -> FileForm:
        return FileForm(data, files, facilities=self.facilities())

    def extra_forms(self, request: HttpRequest) -> dict[str, Any]:
        return {"operator_forms": operator_formset(request.POST)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("operator_forms", operator_formset())
        context["deadlines"] = [
            (f, services.device_filing_deadline_days(county_id=f.county_id)) for f in self.facilities()
        ]
        return context

    def submit(self, form: Any, extra: dict[str, Any]) -> UltrasoundCase:
        data = dict(form.cleaned_data)
        documents: list[tuple[str, Any]] = [(DocumentType.UNDERTAKING, data.pop("undertaking"))]
        if data.get("pledges"):
            documents.append((DocumentType.PLEDGE, data["pledges"]))
        return services.ultrasound_file(
            activation=self.activation,
            user=self.request.user,
            facility=data.pop("facility"),
            data=data,
            operators=extra["operator_forms"].operators(),
            documents=documents,
            request=self.request,
        )


class AmendmentFileView(CaseStartView):
    """Start: the facility asks for a change to one of its registered devices (``?device=<pk>``)."""

    template_name = "ultrasound/file_amendment.html"
    success_message = gettext_lazy("Change filed: case #%(pk)s.")

    @cached_property
    def device(self) -> UltrasoundDevice:
        pk = self.request.GET.get("device") or self.request.POST.get("device")
        device = selectors.access_ultrasound_device_for_user(user=self.request.user, pk=pk)
        if device.facility_id not in staff_facility_ids(self.request.user):
            raise Http404
        return device

    def make_form(self, data: Any = None, files: Any = None) -> AmendmentFileForm:
        return AmendmentFileForm(data, files, device=self.device)

    def extra_forms(self, request: HttpRequest) -> dict[str, Any]:
        return {"operator_forms": operator_formset(request.POST)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["device"] = self.device
        context.setdefault("operator_forms", operator_formset())
        return context

    def submit(self, form: Any, extra: dict[str, Any]) -> UltrasoundCase:
        data = dict(form.cleaned_data)
        attachment = data.pop("attachment")
        return services.ultrasound_amendment_file(
            activation=self.activation,
            user=self.request.user,
            device=self.device,
            kind=data.pop("kind"),
            data=data,
            operators=extra["operator_forms"].operators(),
            documents=[(DocumentType.OTHER, attachment)] if attachment else [],
            request=self.request,
        )


class ScheduleCheckView(CaseStartView):
    """Start: a bureau officer sends a supervisor to a registered device of the county, unannounced."""

    template_name = "ultrasound/schedule_check.html"
    success_message = gettext_lazy("Check scheduled: case #%(pk)s.")

    def make_form(self, data: Any = None, files: Any = None) -> ScheduleCheckForm:
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

    def submit(self, form: Any, extra: dict[str, Any]) -> UltrasoundCase:
        return services.ultrasound_check_schedule(
            activation=self.activation,
            user=self.request.user,
            device=form.cleaned_data["device"],
            supervisor=form.cleaned_data["supervisor"],
            request=self.request,
        )


# --- Task pages ------------------------------------------------------------------------


class TaskView(CaseTaskView):
    template_name = "ultrasound/task.html"


class DecisionTaskView(CaseDecisionView):
    template_name = "ultrasound/task.html"


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
    """The clerk corrects a returned filing: the device's facts and operators, or the change asked for."""

    def make_form(self, data: Any = None, files: Any = None) -> Any:
        device, case = self.case.device, self.case
        initial = {field: getattr(device, field) for field in services.DEVICE_FIELDS}
        initial.update({k: v for k, v in case.proposed.items() if k in {"room", "responsible_person"}})
        return AmendForm(data, files, initial=initial, kind=case.kind)

    def lists_operators(self) -> bool:
        return self.case.kind in {CaseKind.REGISTRATION, CaseKind.OPERATOR_CHANGE, CaseKind.TRANSFER}

    def extra_forms(self, request: HttpRequest) -> dict[str, Any]:
        if not self.lists_operators():
            return {}
        self._operators = operator_formset(request.POST)
        return {"operator_forms": self._operators}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if "operator_forms" not in kwargs and self.lists_operators():
            if self.case.kind == CaseKind.REGISTRATION:
                current = [o.as_data() for o in self.case.device.active_operators()]
            else:
                current = self.case.proposed.get("operators", [])
            kwargs["operator_forms"] = operator_formset(initial=current)
        return super().get_context_data(**kwargs)

    def perform(self, form: Any) -> None:
        operators = getattr(self, "_operators", None)
        data = dict(form.cleaned_data)
        attachment = data.pop("attachment", None)
        services.ultrasound_amend(
            activation=self.activation,
            user=self.request.user,
            data=data,
            operators=operators.operators() if operators is not None else [],
            documents=[(DocumentType.OTHER, attachment)] if attachment else [],
            request=self.request,
        )


# --- Case and device pages (reached through the scoped viewset, which has checked access already) ---


class WithdrawView(CaseWithdrawView):
    def withdraw(self, *, case: Any, reason: str) -> Any:
        return services.ultrasound_withdraw(case=case, user=self.request.user, reason=reason, request=self.request)


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
        if export in EXPORT_KINDS:
            return export_response(
                kind=export,
                header=[label for _key, label in selectors.EXPORT_COLUMNS],
                rows=selectors.registry_rows(devices),
                filename="ultrasound-registry",
                title=_("Registry"),
            )
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
    """The printable registration certificate of a device, with the QR code of the public verification page."""
    device = selectors.access_ultrasound_device_for_user(user=request.user, pk=device_pk)
    registration = device.cases.filter(kind=CaseKind.REGISTRATION, stage="approved").first()
    if not device.registration_number or registration is None:
        raise Http404
    kind = services.REGISTRATION_KIND
    url = request.build_absolute_uri(
        reverse("certificate_verify", args=[kind, device.registration_number, device.certificate_token])
    )
    # The token (the QR code) is for the facility that holds the device and the bureau that registered it.
    see = VISIBILITY.visible(selectors.device_roles(user=request.user, device=device))
    context = {
        "case": device,
        "device": device,
        "procedure": procedure("ultrasound"),
        "procedure_templates": procedure("ultrasound").templates,
        "signatures": object_trail(obj=registration).signatures,
        "see": see,
        "qr_svg": certificate_qr_svg(url),
        "verification_url": url,
        "case_url": selectors.device_url(device),
    }
    return render(request, "cases/certificate.html", context)
