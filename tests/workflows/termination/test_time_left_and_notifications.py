"""Times left read naturally in both languages; notifications name their case and close with their task."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone, translation
from viewflow.workflow.timers import fire_due_timers

from workflows.events import notification_email_render, notify
from workflows.models import Notification
from workflows.templatetags.regflow_time import time_left
from workflows.termination.flows import TerminationFlow as F

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("delta", "english", "chinese"),
    [
        (dt.timedelta(days=2, hours=23, minutes=59), "2 days 23 hours", "2天23小时"),
        (dt.timedelta(days=1), "1 day", "1天"),
        (dt.timedelta(hours=5, minutes=7), "5 hours 7 minutes", "5小时7分钟"),
        (dt.timedelta(seconds=20), "1 minute", "1分钟"),
        (-dt.timedelta(hours=3, minutes=10), "overdue by 3 hours 10 minutes", "已超期3小时10分钟"),
    ],
)
def test_time_left_reads_naturally_in_english_and_chinese(delta: Any, english: str, chinese: str) -> None:
    with translation.override("en"):
        assert time_left(NOW + delta, NOW) == english
    with translation.override("zh-hans"):
        assert time_left(NOW + delta, NOW) == chinese


def test_the_queue_template_uses_the_natural_time_left() -> None:
    deadline = timezone.now() + dt.timedelta(days=2, hours=23, minutes=30)
    with translation.override("zh-hans"):
        rendered = Template("{% load regflow_time %}{{ deadline|time_left }}").render(Context({"deadline": deadline}))
    assert rendered == "2天23小时"
    source = Path("workflows/templates/workflows/queue.html").read_text(encoding="utf-8")
    assert "|time_left" in source and "timeuntil" not in source


@pytest.mark.django_db
def test_the_case_page_shows_the_time_left_in_chinese(driver: Any, world: Any, login: Any) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    case = driver.refresh(case)
    case.decision_due_at = timezone.now() + dt.timedelta(days=2, hours=23, minutes=30)
    case.save(update_fields=["decision_due_at"])
    client = login(world.officer)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(F.instance.reverse("process_detail", args=[case.pk])).content.decode()
    assert "（2天23小时）" in page or "(2天23小时)" in page


@pytest.mark.django_db
def test_notifications_name_the_case_by_number_on_the_page_and_in_the_email(
    driver: Any, world: Any, login: Any
) -> None:
    case = driver.submit(pathway="divorced")
    page = login(world.director).get("/notifications/").content.decode()
    assert f"Termination case #{case.pk}" in page
    assert "测试 Patient" not in page
    notification = Notification.objects.filter(recipient=world.director).latest("id")
    subject, body = notification_email_render(notification=notification)
    assert f"Termination case #{case.pk}" in subject and f"终止妊娠案卷 #{case.pk}" in subject
    assert "测试 Patient" not in subject + body


@pytest.mark.django_db
def test_the_live_script_gets_the_words_to_name_the_case(world: Any, login: Any) -> None:
    page = login(world.clerk).get("/notifications/").content.decode()
    assert '"termination.terminationcase": "Termination case #%(id)s"' in page


@pytest.mark.django_db
def test_task_notifications_are_marked_read_when_the_task_finishes(driver: Any, world: Any) -> None:
    case = driver.submit(pathway="divorced")
    review = Notification.objects.filter(recipient=world.director, kind="task.available", object_id=str(case.pk))
    assert review.get().read_at is None
    # Unrelated to the task: stays unread.
    other = notify(recipients=[world.director], kind="process.approved", url="/", obj=case)[0]
    driver.act(world.director, case, F.review, {"decision": "forward"})
    assert review.get().read_at is not None
    other.refresh_from_db()
    assert other.read_at is None
    # The officers' notifications of the decision task stay unread while it is open.
    decide = Notification.objects.filter(recipient=world.officer, kind="task.available", object_id=str(case.pk))
    assert decide.get().read_at is None


@pytest.mark.django_db
def test_withdrawal_marks_the_cancelled_tasks_notifications_read(driver: Any, world: Any, login: Any) -> None:
    case = driver.submit(pathway="divorced")
    client = login(world.clerk)
    response = client.post(F.instance.reverse("process_detail", args=[case.pk]) + "withdraw/", {"reason": "Changed"})
    assert response.status_code == 302
    assert not Notification.objects.filter(object_id=str(case.pk), kind="task.available", read_at__isnull=True)


@pytest.mark.django_db
def test_escalation_marks_the_officers_withdrawn_task_notifications_read(
    driver: Any, world: Any, county_rules: Any
) -> None:
    case = driver.submit(pathway="divorced")
    driver.act(world.director, case, F.review, {"decision": "forward"})
    decide = Notification.objects.filter(recipient=world.officer, kind="task.available", object_id=str(case.pk))
    assert decide.get().read_at is None
    with time_machine.travel(timezone.now() + dt.timedelta(days=county_rules.decision_deadline_days, hours=1)):
        assert fire_due_timers() == 1
    assert decide.get().read_at is not None
    # The bureau director's new task is announced, unread.
    assert Notification.objects.filter(
        recipient=world.chief, kind="task.available", object_id=str(case.pk), read_at__isnull=True
    ).exists()
