"""The county's bulletins: a monthly sex-ratio bulletin and half-yearly statistics (docs/bulletins.md).

A bulletin is a case of the kit (its own viewflow process): compiled by a sweep
after the period's reports are in, reviewed by a bureau officer (who may have
it compiled again), signed by the bureau director, then published. What it
says is frozen in ``content`` when it is compiled: the facility-month birth
counts, late and missing reports and the procedures' figures. The signature
binds to that content's hash, so a recompiled bulletin needs a new signature.
There is no facility and no submitter: the bulletin is the county's own.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from permissions.models import Facility
from workflows.cases.models import Case


class Kind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly bulletin")
    HALF_YEARLY = "half_yearly", _("Half-yearly statistics")


class Stage(models.TextChoices):
    REVIEW = "review", _("Bureau review")
    SIGNING = "signing", _("Awaiting the bureau director's signature")
    PUBLISHED = "published", _("Published")


class Decision(models.TextChoices):
    """The kit's decisions (workflows.cases.models.Decision) under this procedure's labels, and a recompile."""

    FORWARD = "forward", _("Send to the bureau director to sign")
    RECOMPILE = "recompile", _("Compile again from the current reports")
    APPROVE = "approve", _("Sign and publish")
    RETURN = "return", _("Return to the review")


NOT_WITHDRAWABLE: frozenset[str] = frozenset()


class Bulletin(Case):
    """One county's bulletin for one period, from its compilation to its publication."""

    OPEN_STAGES = frozenset({Stage.REVIEW, Stage.SIGNING})
    WITHDRAWABLE_STAGES = NOT_WITHDRAWABLE  # a bulletin is the county's: nobody withdraws it
    RETURNED_STAGE = Stage.REVIEW
    DECISION_STAGE = Stage.SIGNING

    # The county's own record: no facility, and compiled by the sweep, not submitted by a person.
    facility: models.ForeignKey[Any, Any] = models.ForeignKey(  # type: ignore[assignment]
        Facility,
        verbose_name=_("facility"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bulletins_cases",
    )
    submitted_by: models.ForeignKey[Any, Any] = models.ForeignKey(  # type: ignore[assignment]
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent to sign by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.REVIEW)
    last_decision = models.CharField(_("last decision"), max_length=10, choices=Decision.choices, blank=True)
    kind: models.CharField[Any, Any] = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    period_start: models.DateField[Any, Any] = models.DateField(_("period from"))
    period_end: models.DateField[Any, Any] = models.DateField(_("period until (exclusive)"))
    due_on: models.DateField[Any, Any] = models.DateField(_("due by"))
    content: models.JSONField[Any, Any] = models.JSONField(_("content"), default=dict, encoder=DjangoJSONEncoder)
    content_sha256: models.CharField[Any, Any] = models.CharField(_("content digest"), max_length=64, blank=True)
    compiled_at: models.DateTimeField[Any, Any] = models.DateTimeField(_("compiled at"), null=True, blank=True)
    published_at: models.DateTimeField[Any, Any] = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        constraints = [
            # One bulletin per county, kind and period, whatever two sweeps do at once.
            models.UniqueConstraint(fields=["county", "kind", "period_start"], name="bulletins_one_per_period"),
        ]
        indexes = [models.Index(fields=["county", "stage", "period_start"], name="bulletins_county_stage_idx")]

    def __str__(self) -> str:
        return str(_("Bulletin #%(pk)s") % {"pk": self.pk})

    @property
    def period_label(self) -> str:
        if self.kind == Kind.MONTHLY:
            return f"{self.period_start:%Y-%m}"
        last = self.period_end - datetime.timedelta(days=1)
        return f"{self.period_start:%Y-%m} – {last:%Y-%m}"

    @property
    def is_published(self) -> bool:
        return self.stage == Stage.PUBLISHED

    @staticmethod
    def digest(content: dict[str, Any]) -> str:
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
        return hashlib.sha256(canonical.encode()).hexdigest()

    # --- Four-eyes: whoever reviewed or recompiled the bulletin never signs it -------------------
    # (The kit's facility rule stays: a bulletin has no facility, so it refuses nobody.)

    REVIEW_ACTIONS = ("bulletins.review", "bulletins.amend")

    def four_eyes_entered_by(self) -> set[int]:
        from audit.models import AuditEvent
        from audit.services import object_ref

        object_type, object_id = object_ref(self)
        reviewers = AuditEvent.objects.filter(
            object_type=object_type, object_id=object_id, action__in=self.REVIEW_ACTIONS
        ).values_list("actor_id", flat=True)
        return {pk for pk in (self.submitted_by_id, *reviewers) if pk is not None}

    @classmethod
    def four_eyes_entered_condition(cls, *, user_pk: int, case_pk: Any) -> models.Q:
        from django.db.models import Exists
        from django.db.models.functions import Cast

        from audit.models import AuditEvent

        reviewed = AuditEvent.objects.filter(
            object_type=f"{cls._meta.app_label}.{cls._meta.model_name}",
            object_id=Cast(case_pk, models.CharField()),
            action__in=cls.REVIEW_ACTIONS,
            actor_id=user_pk,
        )
        sent = cls._default_manager.filter(pk=case_pk, submitted_by_id=user_pk)
        return models.Q(Exists(sent)) | models.Q(Exists(reviewed))

    def audit_scope(self) -> tuple[int, int]:
        return self.county_id, None  # type: ignore[return-value]

    def signature_content(self) -> dict[str, Any]:
        """What the director's signature binds to: the county, the period and the content as compiled."""
        return {
            "bulletin": self.pk,
            "county": self.county_id,
            "kind": self.kind,
            "period": [self.period_start, self.period_end],
            "revision": self.revision,
            "content_sha256": self.content_sha256,
        }
