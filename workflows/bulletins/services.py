"""Business rules of the bulletins: compile, review, sign, publish. Every change is audited in its transaction.

The sweep (``bulletins_compile_due``) compiles each county's bulletin once its
period's reports are in: a monthly bulletin after the 10th of the next month
(facilities sign by the 5th, townships check by the 10th), half-yearly
statistics from the 6th of July and of January (due by the 10th). It locks the
county's row before it looks, and the database refuses a second bulletin for
the same county, kind and period, so two dispatchers never compile twice.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import Signature
from audit.services import audit_record
from permissions.models import Facility, Jurisdiction
from workflows.cases import statistics
from workflows.cases.notifications import case_url
from workflows.cases.services import case_decide
from workflows.events import notify

from . import selectors
from .models import Bulletin, Decision, Kind, Stage

MONTHLY_COMPILE_DAY = 11  # after the 10th: the townships have checked the month's reports
HALF_YEARLY_COMPILE_DAY = 6  # after the 5th: the last month's reports are signed; due by the 10th
HALF_YEARLY_DUE_DAY = 10
HISTORY_MONTHS = 12  # the time series shows the year up to the bulletin's period


# --- Periods ------------------------------------------------------------------------------------


def month_add(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, month = [], start.replace(day=1)
    while month < end:
        months.append(month)
        month = month_add(month, 1)
    return months


def monthly_period_due(today: datetime.date) -> tuple[datetime.date, datetime.date, datetime.date]:
    """The latest month whose bulletin is due to be compiled on ``today``: (start, end, due on)."""
    back = 1 if today.day >= MONTHLY_COMPILE_DAY else 2
    start = month_add(today.replace(day=1), -back)
    end = month_add(start, 1)
    return start, end, end.replace(day=MONTHLY_COMPILE_DAY)


def half_year_due(today: datetime.date) -> tuple[datetime.date, datetime.date, datetime.date]:
    """The latest half year whose statistics are due to be compiled on ``today``: (start, end, due on)."""
    if today >= datetime.date(today.year, 7, HALF_YEARLY_COMPILE_DAY):
        start = datetime.date(today.year, 1, 1)
    elif today >= datetime.date(today.year, 1, HALF_YEARLY_COMPILE_DAY):
        start = datetime.date(today.year - 1, 7, 1)
    else:
        start = datetime.date(today.year - 1, 1, 1)
    end = month_add(start, 6)
    return start, end, end.replace(day=HALF_YEARLY_DUE_DAY)


def periods_due(today: datetime.date) -> list[tuple[str, datetime.date, datetime.date, datetime.date]]:
    return [(Kind.MONTHLY, *monthly_period_due(today)), (Kind.HALF_YEARLY, *half_year_due(today))]


# --- What a bulletin says -------------------------------------------------------------------------


def in_every_language(value: Any) -> dict[str, str]:
    """A label as every language of the site reads it: the bulletin keeps both, whoever opens it later."""
    result = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            result[code] = str(value)
    return result


def bulletin_content(*, county: Jurisdiction, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """Everything the bulletin shows, read now and frozen: counts per facility-month, the year's county series,
    late and missing reports, each procedure's figures. Names are kept too (a facility may be renamed later)."""
    counts = sorted(
        statistics.birth_counts(county=county, start=start, end=end),
        key=lambda c: (c.month, c.facility_id),
    )
    history_rows = statistics.birth_counts(county=county, start=month_add(end, -HISTORY_MONTHS), end=end)
    history: dict[datetime.date, list[int]] = {m: [0, 0] for m in months_between(month_add(end, -HISTORY_MONTHS), end)}
    for row in history_rows:
        history.setdefault(row.month, [0, 0])
        history[row.month][0] += row.boys
        history[row.month][1] += row.girls
    reports = [
        status
        for month in months_between(start, end)
        for status in statistics.report_statuses(county=county, month=month)
        if status.late or status.status == "missing"
    ]
    facilities = Facility.objects.filter(county=county).select_related("township").order_by("pk")
    return {
        "county": county.name,
        "period": [start.isoformat(), end.isoformat()],
        "facilities": {str(f.pk): {"name": f.name, "township_id": f.township_id} for f in facilities},
        "townships": {str(f.township_id): f.township.name for f in facilities if f.township is not None},
        "counts": [[c.facility_id, c.township_id, c.month.isoformat(), c.boys, c.girls] for c in counts],
        "history": [[month.isoformat(), boys, girls] for month, (boys, girls) in sorted(history.items())],
        "reports": [
            {
                "facility_id": r.facility_id,
                "month": r.month.isoformat(),
                "status": r.status,
                "status_label": in_every_language(r.status_label),
                "signed_at": r.signed_at.isoformat() if r.signed_at else "",
                "late": r.late,
            }
            for r in sorted(reports, key=lambda r: (r.month, r.facility_id))
        ],
        "figures": [
            {
                "label": in_every_language(label),
                "figures": [{"code": f.code, "label": in_every_language(f.label), "value": f.value} for f in rows],
            }
            for label, rows in statistics.figures(county=county, start=start, end=end)
        ],
    }


def _content_set(bulletin: Bulletin) -> None:
    bulletin.content = bulletin_content(county=bulletin.county, start=bulletin.period_start, end=bulletin.period_end)
    bulletin.content_sha256 = Bulletin.digest(bulletin.content)
    bulletin.compiled_at = timezone.now()


def _births(bulletin: Bulletin) -> int:
    return sum(int(row[3]) + int(row[4]) for row in bulletin.content.get("counts", []))


# --- The sweep: compile what is due ------------------------------------------------------------


def bulletins_compile_due() -> int:
    """Compile every county's bulletins that are due and not compiled yet (a sweep; idempotent).

    Only the latest due period of each kind: a county added today does not get a year of old bulletins.
    """
    from django.urls import get_resolver

    from .flows import BulletinFlow

    get_resolver().url_patterns  # noqa: B018 - the new task's notification links to it: load the URLconf first
    today = timezone.localdate()
    compiled = 0
    counties = Jurisdiction.objects.filter(level=Jurisdiction.Level.COUNTY, facilities__isnull=False).distinct()
    for kind, start, end, due_on in periods_due(today):
        compiled_already = Bulletin.objects.filter(kind=kind, period_start=start).values("county_id")
        for pk in counties.exclude(pk__in=compiled_already).values_list("pk", flat=True):
            with transaction.atomic():
                county = Jurisdiction.objects.select_for_update().get(pk=pk)
                if Bulletin.objects.filter(county=county, kind=kind, period_start=start).exists():
                    continue  # another sweep compiled it while this one waited for the lock
                BulletinFlow.compile.run(county=county, kind=kind, start=start, end=end, due_on=due_on)
                compiled += 1
    return compiled


@transaction.atomic
def bulletin_compile_start(
    *, activation: Any, county: Jurisdiction, kind: str, start: datetime.date, end: datetime.date, due_on: Any
) -> Bulletin:
    """The flow's StartHandle: the new bulletin, its content read now."""
    bulletin = Bulletin.of(activation)
    bulletin.county, bulletin.kind = county, kind
    bulletin.period_start, bulletin.period_end, bulletin.due_on = start, end, due_on
    bulletin.stage = Stage.REVIEW
    _content_set(bulletin)
    bulletin.save()
    audit_record(
        actor=None,
        action="bulletins.compile",
        obj=bulletin,
        changes={
            "kind": kind,
            "period": [start, end],
            "births": _births(bulletin),
            "content_sha256": bulletin.content_sha256,
        },
    )
    return bulletin


# --- The bureau officer's review -----------------------------------------------------------------


@transaction.atomic
def bulletin_review(
    *, activation: Any, user: Any, decision: str, reason: str = "", request: HttpRequest | None = None
) -> Bulletin:
    """Send the bulletin to the director to sign, or compile it again from the reports as they are now.

    Whoever does either may not sign it (Bulletin.four_eyes_entered_by reads these events).
    """
    bulletin = Bulletin.of(activation)
    if decision not in {Decision.FORWARD, Decision.RECOMPILE}:
        raise ValidationError({"decision": [_("Choose one of the decisions offered.")]})
    if decision == Decision.RECOMPILE:
        before = bulletin.content_sha256
        _content_set(bulletin)
        bulletin.revision += 1
        bulletin.last_decision, bulletin.last_reason = decision, reason
        bulletin.save(
            update_fields=["content", "content_sha256", "compiled_at", "revision", "last_decision", "last_reason"]
        )
        audit_record(
            actor=user,
            action="bulletins.amend",
            obj=bulletin,
            changes={
                "content_sha256": [before, bulletin.content_sha256],
                "births": _births(bulletin),
                "revision": bulletin.revision,
            },
            reason=reason,
            request=request,
        )
    else:
        bulletin.stage, bulletin.submitted_by = Stage.SIGNING, user
        bulletin.last_decision, bulletin.last_reason = decision, reason
        bulletin.save(update_fields=["stage", "submitted_by", "last_decision", "last_reason"])
        audit_record(
            actor=user,
            action="bulletins.review",
            obj=bulletin,
            changes={"decision": decision, "stage": [Stage.REVIEW, Stage.SIGNING]},
            reason=reason,
            request=request,
        )
    activation.execute()
    return bulletin


# --- The bureau director's signature, and publication ------------------------------------------------


@transaction.atomic
def bulletin_sign(
    *, activation: Any, user: Any, decision: str, reason: str, request: HttpRequest | None = None
) -> Bulletin:
    """The bureau director signs the bulletin for publication, or returns it to the review with a reason."""
    bulletin = case_decide(
        activation=activation,
        user=user,
        decision=decision,
        reason=reason,
        request=request,
        allowed={Decision.APPROVE, Decision.RETURN},
        action="bulletins.sign",
        next_stage=Stage.SIGNING,  # publication (the flow's next step) moves it on
        meanings={Decision.APPROVE: Signature.Meaning.APPROVED},
    )
    return Bulletin.objects.get(pk=bulletin.pk)


@transaction.atomic
def bulletin_publish(*, bulletin: Bulletin) -> Bulletin:
    """Publish a signed bulletin: its page and exports open to the county's facility directors, who hear of it
    with its inspectors (ids and a link only). Runs as the flow's step, under its lock, on the process itself
    (the end of the flow saves that instance: a copy loaded here would be overwritten)."""
    now = timezone.now()
    bulletin.stage, bulletin.published_at, bulletin.ended_at = Stage.PUBLISHED, now, now
    bulletin.save(update_fields=["stage", "published_at", "ended_at"])
    recipients = selectors.recipients_of_publication(bulletin.county)
    audit_record(
        actor=None,
        action="bulletins.publish",
        obj=bulletin,
        changes={"stage": [Stage.SIGNING, Stage.PUBLISHED], "recipients": len(recipients)},
    )
    notify(recipients=recipients, kind="bulletin.published", url=case_url(bulletin), obj=bulletin)
    return bulletin
