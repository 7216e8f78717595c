"""Admin for the reference data. Every save goes through an audited service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from audit.actions import register_audited_model
from audit.services import audit_record, model_changes

from .models import CountyConfig, Facility, Jurisdiction, Profile, RoleAssignment
from .services import county_rules_create, county_rules_update, role_grant, role_revoke, role_scope_validate


class AuditedModelAdmin(admin.ModelAdmin):
    """Writes an audit event with old and new values on every admin save; never deletes."""

    def __init__(self, model: Any, admin_site: Any) -> None:
        super().__init__(model, admin_site)
        register_audited_model(model)  # its "<model>.create"/".update" events are searchable

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        fields = [f for f in form.fields if f in {fld.name for fld in obj._meta.fields}]
        before = model_to_dict(type(obj).objects.get(pk=obj.pk), fields=fields) if change else {}
        super().save_model(request, obj, form, change)
        changes = model_changes(before, model_to_dict(obj, fields=fields))
        action = f"{obj._meta.model_name}.{'update' if change else 'create'}"
        audit_record(actor=request.user, action=action, obj=obj, changes=changes, request=request)


@admin.register(Jurisdiction)
class JurisdictionAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(Facility)
class FacilityAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "county", "township", "is_active"]
    list_filter = ["kind", "is_active", "county"]
    search_fields = ["name", "practice_licence_number", "mch_licence_number"]


@admin.register(Profile)
class ProfileAdmin(AuditedModelAdmin):
    list_display = ["printed_name", "user", "facility", "jurisdiction", "rank"]
    search_fields = ["printed_name", "user__username"]
    list_filter = ["rank"]


class CountyRulesForm(forms.ModelForm):
    reason = forms.CharField(label=_("reason for the change"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("A reason is required to change a county's rules."))
        return cleaned


class CountyRulesAdmin(admin.ModelAdmin):
    """A county's rules: CountyConfig here, a procedure's own rules model in its app (one row per county,
    with RULE_FIELDS and AUDIT_ACTION). Saved through the audited services with a reason; never deleted."""

    form = CountyRulesForm

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return ["county", *self.model.RULE_FIELDS, "reason"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["county"] if obj else []

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        values = {field: form.cleaned_data[field] for field in self.model.RULE_FIELDS}
        if change:
            saved = county_rules_update(
                actor=request.user, rules=obj, values=values, reason=form.cleaned_data["reason"], request=request
            )
        else:
            saved = county_rules_create(
                actor=request.user, model=self.model, county=form.cleaned_data["county"], request=request, **values
            )
        obj.pk = saved.pk


@admin.register(CountyConfig)
class CountyConfigAdmin(CountyRulesAdmin):
    list_display = ["county", *CountyConfig.RULE_FIELDS]


class RoleAssignmentForm(forms.ModelForm):
    revoke_reason = forms.CharField(
        label=_("revoke with this reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "facility", "jurisdiction"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is None and cleaned.get("role"):
            try:
                role_scope_validate(
                    role=cleaned["role"], facility=cleaned.get("facility"), jurisdiction=cleaned.get("jurisdiction")
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "role", "facility", "jurisdiction", "granted_at", "revoked_at"]
    list_filter = ["role", "revoked_at"]
    search_fields = ["user__username"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["user", "role", "facility", "jurisdiction", "granted_at", "revoked_at"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None:
            return ["user", "role", "facility", "jurisdiction"]
        fields = ["user", "role", "facility", "jurisdiction", "granted_at", "revoked_at"]
        return fields if obj.revoked_at else [*fields, "revoke_reason"]

    def save_model(self, request: HttpRequest, obj: RoleAssignment, form: forms.ModelForm, change: bool) -> None:
        if change:
            reason = form.cleaned_data.get("revoke_reason", "")
            if reason.strip():
                role_revoke(actor=request.user, assignment=obj, reason=reason, request=request)
            return
        saved = role_grant(
            actor=request.user,
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
            facility=form.cleaned_data.get("facility"),
            jurisdiction=form.cleaned_data.get("jurisdiction"),
            request=request,
        )
        obj.pk = saved.pk
