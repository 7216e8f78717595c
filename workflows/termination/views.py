"""Termination's own pages: the request form and its steps' forms (the rest: workflows.cases.views)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from permissions.selectors import facilities_for_user
from workflows.cases.views import CaseDecisionView, CaseDocumentsMixin, CaseStartView, CaseTaskView, form_initial

from . import services
from .forms import (
    AmendForm,
    DocumentFormSet,
    OpinionForm,
    RecordForm,
    SubmitForm,
)
from .models import (
    REQUIRED_DOCUMENTS,
    Decision,
    DocumentType,
    Pathway,
    TerminationCase,
    required_documents,
)
from .rules import designated_facilities


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
                "threshold": getattr(
                    getattr(facility.county, "termination_rules", None), "gestational_threshold_weeks", None
                ),
                "max_weeks": getattr(getattr(facility, "termination_designation", None), "max_weeks", None),
            }
            for facility in facilities.select_related("county__termination_rules", "termination_designation")
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


class SubmitView(CaseDocumentsMixin, CaseStartView):
    """Start node: a clerk (or director) of a designated facility enters the request."""

    template_name = "termination/submit.html"
    success_message = gettext_lazy("Request #%(pk)s submitted.")
    document_formset = DocumentFormSet

    def facilities(self) -> Any:
        staff = facilities_for_user(self.request.user)
        return designated_facilities(staff).order_by("name")

    def make_form(self, data: Any = None, files: Any = None) -> SubmitForm:
        return SubmitForm(data, facilities=self.facilities())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rules = request_rules(self.facilities())
        context["request_rules"] = rules
        only = list(rules["facilities"].values())
        context["single_facility_rules"] = only[0] if len(only) == 1 else None
        return context

    def submit(self, form: Any, extra: dict[str, Any]) -> TerminationCase:
        data = dict(form.cleaned_data)
        return services.termination_submit(
            activation=self.activation,
            user=self.request.user,
            facility=data.pop("facility"),
            data=data,
            documents=self.documents(),
            request=self.request,
        )


class TaskView(CaseTaskView):
    """A termination step's page (workflows.cases.views.CaseTaskView)."""

    template_name = "termination/task.html"


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


class ReviewView(CaseDecisionView):
    decisions = [Decision.FORWARD, Decision.RETURN, Decision.REJECT]
    service = services.termination_review


class DecideView(CaseDecisionView):
    decisions = [Decision.APPROVE, Decision.RETURN, Decision.REJECT]
    service = services.termination_decide


class AmendView(CaseDocumentsMixin, TaskView):
    document_formset = DocumentFormSet

    def make_form(self, data: Any = None, files: Any = None) -> Any:
        return AmendForm(data, initial=form_initial(self.case, AmendForm))

    def perform(self, form: Any) -> None:
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        services.termination_amend(
            activation=self.activation,
            user=self.request.user,
            data=data,
            documents=self.documents(),
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
