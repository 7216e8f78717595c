"""Races on PostgreSQL: one birth entered twice at the same moment, and an entry while the report is held."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, transaction

from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import BirthEntry, MonthlyBirthReport
from workflows.locks import flow_lock

from .conftest import entry_data
from .test_paths import last_month

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Any]) -> list[Any]:
    """Run the calls at the same moment, one thread (and one connection) each; return their responses."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Any) -> None:
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_same_birth_entered_twice_at_once_is_saved_once(driver: Any) -> None:
    w = driver.world
    clients = [driver.client(w.clerk), driver.client(w.director)]
    data = entry_data(w, serial=900)
    url = F.instance.reverse("entry_new")
    responses = race([lambda c=c: c.post(url, data) for c in clients])
    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200)
    assert "already in the register" in refused.content.decode()
    assert BirthEntry.objects.count() == 1


def test_an_entry_while_the_report_is_being_signed_is_busy_and_saves_nothing(driver: Any, monkeypatch: Any) -> None:
    month = last_month()
    assert driver.prepare(month).status_code == 302
    report = driver.report(month)
    monkeypatch.setattr(type(flow_lock), "pause", lambda self, attempt: None)  # give up at once, not in 10 s
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                MonthlyBirthReport.objects.select_for_update().filter(pk=report.pk).exists()
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        when = dt.datetime.combine(month + dt.timedelta(days=2), dt.time(7, 0))
        response = driver.enter(serial=901, occurred_at=when.strftime("%Y-%m-%dT%H:%M"), late_reason="late")
    finally:
        release.set()
        holder.join(30)
    assert response.status_code == 200
    assert "try again" in response.content.decode()
    assert not BirthEntry.objects.exists()


def test_two_corrections_of_one_report_at_once_open_one(driver: Any) -> None:
    from .test_paths import births, through

    month = last_month()
    births(driver, month, "mf")
    report = through(driver, month)
    w = driver.world
    clients = [driver.client(w.clerk), driver.client(w.director)]
    url = f"{F.correct.reverse('execute')}?report={report.pk}"
    responses = race(
        [lambda c=c: c.post(url, {"report": str(report.pk), "reason": "a birth was missed"}) for c in clients]
    )
    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200).content.decode()
    assert "already in progress" in refused or "try again" in refused
    assert MonthlyBirthReport.objects.filter(corrects=report).count() == 1
