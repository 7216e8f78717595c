"""The bulk upload: a preview with row-level errors, and every row saved in one transaction or none."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from workflows.births.flows import MonthlyBirthReportFlow as F
from workflows.births.models import BirthEntry
from workflows.births.upload import COLUMNS

from .scene import resident_id

pytestmark = pytest.mark.django_db


def rows(world, count: int, *, bad_row: int | None = None) -> list[list[str]]:
    when = timezone.localtime(timezone.now() - dt.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    table = [list(COLUMNS)]
    for i in range(count):
        weight = "99999" if i == bad_row else "3100"
        sex = "female" if i % 2 else "男"  # a code, or the Chinese label
        table.append(
            ["birth", when, sex, weight, "1", "1", "live_birth", "", "", world.town_a.code, resident_id(500 + i), ""]
        )
    return table


def csv_file(table: list[list[str]]) -> SimpleUploadedFile:
    text = "\n".join(",".join(row) for row in table)
    return SimpleUploadedFile("births.csv", ("\ufeff" + text).encode(), content_type="text/csv")


def xlsx_file(table: list[list[str]]) -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    for row in table:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("births.xlsx", out.getvalue())


def preview(driver, upload) -> object:
    return driver.client(driver.world.clerk).post(
        F.instance.reverse("upload"), {"facility": str(driver.world.hospital_a.pk), "file": upload}
    )


@pytest.mark.parametrize("make", [csv_file, xlsx_file])
def test_a_valid_file_is_previewed_then_saved_on_confirmation(driver, make) -> None:
    shown = preview(driver, make(rows(driver.world, 3)))
    assert shown.status_code == 200
    page = shown.content.decode()
    assert "Confirm and save every row" in page
    assert resident_id(500) not in page  # the preview never shows a resident ID
    assert not BirthEntry.objects.exists()  # nothing saved before the confirmation
    payload = shown.context["confirm_form"].initial["payload"]
    saved = driver.client(driver.world.clerk).post(F.instance.reverse("upload"), {"payload": payload})
    assert saved.status_code == 302
    assert BirthEntry.objects.count() == 3
    assert sorted(BirthEntry.objects.values_list("sex", flat=True)) == ["female", "male", "male"]
    assert AuditEvent.objects.filter(action="births.entries_upload").count() == 1


def test_a_file_with_one_bad_row_shows_its_row_and_column_and_saves_nothing(driver) -> None:
    shown = preview(driver, csv_file(rows(driver.world, 4, bad_row=2)))
    assert [(row, str(column)) for row, column, _m in shown.context["row_errors"]] == [(4, "Birth weight (grams)")]
    assert "4" in shown.content.decode() and "A birth weight lies between" in shown.content.decode()
    assert "confirm_form" not in shown.context
    assert not BirthEntry.objects.exists()


def test_rows_that_duplicate_each_other_or_the_register_are_errors(driver) -> None:
    table = rows(driver.world, 2)
    table[2][10] = table[1][10]  # the same mother, day and birth order twice in the file
    shown = preview(driver, csv_file(table))
    assert [(r, str(c)) for r, c, _m in shown.context["row_errors"]] == [(3, "Mother's resident ID number")]
    assert not BirthEntry.objects.exists()


def test_a_confirmation_that_no_longer_holds_saves_nothing(driver) -> None:
    shown = preview(driver, csv_file(rows(driver.world, 3)))
    payload = shown.context["confirm_form"].initial["payload"]
    # Meanwhile a colleague enters the third row's birth by hand.
    when = timezone.localtime(timezone.now() - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    assert driver.enter(serial=502, occurred_at=when).status_code == 302
    response = driver.client(driver.world.clerk).post(F.instance.reverse("upload"), {"payload": payload}, follow=True)
    assert "Nothing was saved" in response.content.decode()
    assert BirthEntry.objects.count() == 1


def test_an_altered_or_foreign_payload_is_refused(driver) -> None:
    shown = preview(driver, csv_file(rows(driver.world, 1)))
    payload = shown.context["confirm_form"].initial["payload"]
    tampered = driver.client(driver.world.clerk).post(F.instance.reverse("upload"), {"payload": payload + "x"})
    assert tampered.status_code == 302
    other = driver.client(driver.world.director).post(F.instance.reverse("upload"), {"payload": payload})
    assert other.status_code == 302  # another user's preview: refused
    assert not BirthEntry.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("births.txt", b"hello"), ("births.xlsx", b"not a workbook"), ("births.csv", b"\xff\xfe\x00garbage\x00")],
)
def test_unreadable_files_get_a_clear_error(driver, name, content) -> None:
    shown = preview(driver, SimpleUploadedFile(name, content))
    assert shown.status_code == 200
    assert shown.context["form"].errors.get("file")
    assert not BirthEntry.objects.exists()


def test_a_file_without_the_required_columns_is_refused(driver) -> None:
    shown = preview(driver, csv_file([["sex", "weight"], ["male", "3000"]]))
    assert "resident ID number" in str(shown.context["form"].errors["file"])


def test_the_header_may_name_the_columns_in_chinese(driver) -> None:
    table = rows(driver.world, 1)
    table[0] = [
        "事件类型",
        "日期时间",
        "婴儿性别",
        "出生体重（克）",
        "胎数",
        "胎次",
        "结局",
        "孕周",
        "原因",
        "乡镇代码",
        "母亲居民身份证号码",
        "迟报原因",
    ]
    shown = preview(driver, csv_file(table))
    assert shown.context.get("row_errors") == [], shown.context["form"].errors


def test_a_nul_in_a_cell_is_dropped_not_a_database_error(driver) -> None:
    table = rows(driver.world, 1)
    table[1][0] = "infant_death"
    table[1][6] = ""
    table[1][8] = "asphy\x00xia"
    shown = preview(driver, csv_file(table))
    assert shown.context["row_errors"] == []
    payload = shown.context["confirm_form"].initial["payload"]
    assert driver.client(driver.world.clerk).post(F.instance.reverse("upload"), {"payload": payload}).status_code == 302
    assert BirthEntry.objects.get().cause == "asphyxia"


def test_an_upload_into_a_month_whose_report_awaits_signature_is_counted_when_signed(driver) -> None:
    from workflows.births.models import month_of

    from .test_paths import last_month

    month = last_month()
    assert driver.prepare(month).status_code == 302
    table = rows(driver.world, 2)
    for row in table[1:]:
        row[1] = f"{month:%Y-%m}-03 08:00"
        row[11] = "entered from the paper register"
    shown = preview(driver, csv_file(table))
    assert shown.context["row_errors"] == []
    payload = shown.context["confirm_form"].initial["payload"]
    assert driver.client(driver.world.clerk).post(F.instance.reverse("upload"), {"payload": payload}).status_code == 302
    report = driver.report(month)
    assert report.entries().count() == 2 and all(e.is_late for e in report.entries())
    assert month < month_of(timezone.localdate())
