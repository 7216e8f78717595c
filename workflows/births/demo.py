"""A year of births in both demo counties, with accepted monthly reports, made in bulk.

For the bulletins' sex-ratio analysis: the 12 months before this one, every delivering facility.
- 东安县人民医院 (hospital_a): about 1,400 births at a sex ratio of about 130 (780 boys, 600 girls):
  its 99.8% Wilson interval on the share of boys lies above 107, so it is flagged;
- 柳河乡卫生院 (centre_a, the only delivering facility of its township): 20 births, 14 boys and 6 girls,
  a raw ratio of 233 whose interval still covers 103-107, so it is not flagged;
- 西平县妇幼保健院 (hospital_b): 600 births, 307 boys and 293 girls (about 105).

Entries are bulk-created and each month's report is created in its accepted state directly (no flow
runs: ``make demo`` stays fast), with one audit event per report that says it was seeded. Idempotent:
a facility-month that has a report is left alone. Mother resident IDs are composed
(core.validators.resident_id_compose) and kept only as digests, like real ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from core.validators import resident_id_compose

from . import selectors
from .flows import MonthlyBirthReportFlow
from .models import BirthEntry, EntryKind, MonthlyBirthReport, Outcome, Sex, Stage, month_of, next_month
from .services import mother_digest_of

# facility key -> (live boys, live girls, stillbirths) over the year, and who enters and signs.
YEAR = {
    "hospital_a": (780, 600, 6),
    "centre_a": (14, 6, 0),
    "hospital_b": (307, 293, 3),
}
STAFF = {
    "hospital_a": ("clerk", "director"),
    "centre_a": ("clerk", "director"),
    "hospital_b": ("clerk_b", "director_b"),
}
REGION = {"hospital_a": "990101", "centre_a": "990101", "hospital_b": "990102"}


def demo_months(today: dt.date) -> list[dt.date]:
    """The 12 months before this one, oldest first."""
    months, month = [], month_of(today)
    for _i in range(12):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        months.append(month)
    return months[::-1]


def _spread(total: int, parts: int, index: int) -> int:
    """The index-th share of ``total`` split as evenly as possible into ``parts``."""
    return total // parts + (1 if index < total % parts else 0)


def _month_entries(*, key: str, facility: Any, month: dt.date, index: int, clerk: Any, serial: int) -> list[BirthEntry]:
    boys, girls, still = (_spread(n, 12, (index + shift) % 12) for n, shift in zip(YEAR[key], (0, 5, 3), strict=True))
    plan = [(Sex.MALE, Outcome.LIVE_BIRTH)] * boys + [(Sex.FEMALE, Outcome.LIVE_BIRTH)] * girls
    plan += [(Sex.MALE if i % 2 else Sex.FEMALE, Outcome.STILLBIRTH) for i in range(still)]
    days = (next_month(month) - month).days
    tz = timezone.get_current_timezone()
    entries = []
    for n, (sex, outcome) in enumerate(plan):
        occurred = dt.datetime.combine(month + dt.timedelta(days=n % days), dt.time(1 + (n * 7) % 22, (n * 13) % 60))
        occurred = occurred.replace(tzinfo=tz)
        k = serial + n  # one mother per entry: her birth date and serial come from k
        born = dt.date(1975, 1, 1) + dt.timedelta(days=k % 12000)
        mother = resident_id_compose(region=REGION[key], born=born.strftime("%Y%m%d"), serial=k // 12000)
        entries.append(
            BirthEntry(
                facility=facility,
                county_id=facility.county_id,
                month=month,
                kind=EntryKind.BIRTH,
                occurred_at=occurred,
                event_date=occurred.date(),
                sex=sex,
                birth_weight_grams=2600 + (n * 37) % 1500,
                plurality=1,
                birth_order=1,
                outcome=outcome,
                mother_township_id=facility.township_id,
                mother_digest=mother_digest_of(mother),
                entered_by=clerk,
                entered_at=occurred + dt.timedelta(hours=3),
            )
        )
    return entries


def _accepted_report(
    *, facility: Any, month: dt.date, clerk: Any, counts: dict[str, int], entry_ids: list[int] | None = None
) -> MonthlyBirthReport:
    due = next_month(month)
    signed = timezone.make_aware(dt.datetime.combine(due.replace(day=3), dt.time(10)))
    accepted = signed + dt.timedelta(days=4)
    report = MonthlyBirthReport(
        flow_class=MonthlyBirthReportFlow,
        status="DONE",
        finished=accepted,
        facility=facility,
        county_id=facility.county_id,
        submitted_by=clerk,
        month=month,
        stage=Stage.ACCEPTED,
        checking_facility=selectors.township_centre_of(facility),
        counts=counts,
        signed_entries=entry_ids,
        signed_at=signed,
        first_signed_at=signed,
        accepted_at=accepted,
        ended_at=accepted,
    )
    report.save()
    audit_record(
        actor=None,
        action="births.accept",
        obj=report,
        changes={"seeded": True, "month": month.isoformat(), "stage": [None, Stage.ACCEPTED]},
    )
    return report


@transaction.atomic
def seed(*, world: Any, log: Any = None) -> int:
    say = log or (lambda message: None)
    created = 0
    months = demo_months(timezone.localdate())
    for key in YEAR:
        facility = world.facilities[key]
        clerk = world.users[STAFF[key][0]]
        existing = set(MonthlyBirthReport.objects.filter(facility=facility).values_list("month", flat=True))
        for index, month in enumerate(months):
            if month in existing:
                continue
            serial = 5_000 * list(YEAR).index(key) + 300 * index
            entries = BirthEntry.objects.bulk_create(
                _month_entries(key=key, facility=facility, month=month, index=index, clerk=clerk, serial=serial)
            )
            entry_ids = sorted(e.pk for e in entries)
            counts = selectors.entry_counts(BirthEntry.objects.filter(pk__in=entry_ids))
            _accepted_report(facility=facility, month=month, clerk=clerk, counts=counts, entry_ids=entry_ids)
            created += len(entries) + 1
    say(f"births: {created} entries and reports")
    return created
