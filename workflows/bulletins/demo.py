"""The demo county's last complete month's bulletin, compiled, reviewed, signed and published by the services.

Only when the demo has birth counts for that month (the birth register seeds them: it must come first in
INSTALLED_APPS); otherwise nothing. Idempotent: a bulletin already there for the month is left alone.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from workflows.cases import statistics
from workflows.cases.services import case_step_run

from . import services
from .flows import BulletinFlow
from .models import Bulletin, Decision, Kind


def seed(*, world: Any, log: Any) -> int:
    county = world.jurisdictions["county_a"]
    start = services.month_add(timezone.localdate().replace(day=1), -1)
    end = services.month_add(start, 1)
    if Bulletin.objects.filter(county=county, kind=Kind.MONTHLY, period_start=start).exists():
        log("bulletins: already present")
        return 0
    if not statistics.birth_counts(county=county, start=start, end=end):
        log("bulletins: no accepted birth counts for the last month: nothing to compile")
        return 0
    officer, chief = world.users["officer"], world.users["chief"]
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - notifications carry links
    with transaction.atomic():
        bulletin = BulletinFlow.compile.run(
            county=county, kind=Kind.MONTHLY, start=start, end=end, due_on=end.replace(day=11)
        )
        case_step_run(case=bulletin, node=BulletinFlow.review, user=officer, service=services.bulletin_review,
                      decision=Decision.FORWARD, reason="")  # fmt: skip
        case_step_run(case=bulletin, node=BulletinFlow.sign, user=chief, service=services.bulletin_sign,
                      decision=Decision.APPROVE, reason="")  # fmt: skip
    log(f"bulletin #{bulletin.pk}: {county.name} {start:%Y-%m}, published")
    return 1
