"""What a registered procedure must provide for the kit's pages. Ids: cases.E001 and up."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from .models import Case, CaseDocument, CertifiedCase
from .registry import procedures


@register()
def check_procedures(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    for procedure in procedures():
        if not issubclass(procedure.case_model, Case):
            errors.append(
                Error(
                    f"{procedure.code}: its case model does not subclass workflows.cases.models.Case", id="cases.E001"
                )
            )
        if procedure.document_model is not None and not issubclass(procedure.document_model, CaseDocument):
            errors.append(
                Error(f"{procedure.code}: its document model does not subclass CaseDocument", id="cases.E002")
            )
        wanted = ["summary", "styles"]
        if procedure.certificate_kind:
            wanted.append("certificate_facts")
            # Certificates live on the case (CertifiedCase), or where the procedure's certificate_find looks.
            if not issubclass(procedure.case_model, CertifiedCase) and procedure.certificate_find is None:
                errors.append(
                    Error(
                        f"{procedure.code}: it issues certificates but its case is not a CertifiedCase", id="cases.E003"
                    )
                )
        for name in wanted:
            try:
                get_template(procedure.templates[name])
            except TemplateDoesNotExist:
                errors.append(
                    Error(
                        f"{procedure.code}: template {procedure.templates[name]} is missing",
                        hint="The kit's case pages include it (docs/kit.md).",
                        id="cases.E004",
                    )
                )
    return errors
