"""A bulletin from the sweep to its publication, through the real URLs as the personas would."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from audit.models import AuditEvent, Signature
from workflows.bulletins import services
from workflows.bulletins.flows import BulletinFlow as F
from workflows.bulletins.models import Bulletin, Stage
from workflows.models import Notification

from .conftest import AFTER_THE_10TH, MONTH, a_month_of_births

pytestmark = pytest.mark.django_db


def compiled(births: Any, w: Any) -> Bulletin:
    a_month_of_births(births, w)
    births.report(w.centre_a, MONTH, status="missing", late=True)
    with time_machine.travel(AFTER_THE_10TH, tick=False):
        assert services.bulletins_compile_due() >= 2  # county A and county B, monthly (and the half year)
    return Bulletin.objects.get(county=w.county_a, kind="monthly")


def test_the_sweep_compiles_after_the_10th_once(driver: Any, births: Any) -> None:
    w = driver.world
    a_month_of_births(births, w)
    with time_machine.travel(dt.datetime(2026, 4, 10, 12, 0, tzinfo=dt.UTC), tick=False):
        services.bulletins_compile_due()
        assert not Bulletin.objects.filter(kind="monthly", period_start=MONTH).exists()  # not before the 11th
    with time_machine.travel(AFTER_THE_10TH, tick=False):
        services.bulletins_compile_due()
        assert services.bulletins_compile_due() == 0  # idempotent
    bulletin = Bulletin.objects.get(county=w.county_a, kind="monthly", period_start=MONTH)
    assert (bulletin.period_end, bulletin.stage, bulletin.revision) == (dt.date(2026, 4, 1), Stage.REVIEW, 1)
    assert {row[0] for row in bulletin.content["counts"]} == {w.hospital_a.pk, w.centre_a.pk, w.clinic_a2.pk}
    assert Bulletin.objects.filter(county=w.county_b, kind="monthly", period_start=MONTH).count() == 1
    # The half year: July to December 2025 was due from 6 January.
    assert Bulletin.objects.filter(county=w.county_a, kind="half_yearly", period_start=dt.date(2025, 7, 1)).exists()
    event = AuditEvent.objects.get(action="bulletins.compile", object_id=str(bulletin.pk))
    assert event.changes["births"] == 1000 + 10 + 16
    assert driver.open_task(bulletin, F.review) is not None


def test_periods_due() -> None:
    assert services.monthly_period_due(dt.date(2026, 4, 10))[0] == dt.date(2026, 2, 1)
    assert services.monthly_period_due(dt.date(2026, 4, 11))[0] == dt.date(2026, 3, 1)
    assert services.monthly_period_due(dt.date(2026, 1, 20))[:2] == (dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    assert services.half_year_due(dt.date(2026, 7, 6)) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 7, 1),
        dt.date(2026, 7, 10),
    )
    assert services.half_year_due(dt.date(2026, 7, 5))[0] == dt.date(2025, 7, 1)
    assert services.half_year_due(dt.date(2026, 1, 6)) == (
        dt.date(2025, 7, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 10),
    )
    assert services.half_year_due(dt.date(2026, 1, 5))[0] == dt.date(2025, 1, 1)


def test_review_sign_and_publish(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = compiled(births, w)
    bulletin = driver.publish(bulletin)
    assert bulletin.stage == Stage.PUBLISHED and bulletin.published_at is not None
    signature = Signature.objects.get(object_type="bulletins.bulletin", object_id=str(bulletin.pk))
    assert signature.signer_id == w.chief.pk and signature.meaning == Signature.Meaning.APPROVED
    actions = list(
        AuditEvent.objects.filter(object_id=str(bulletin.pk), object_type="bulletins.bulletin")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    for action in ("bulletins.compile", "bulletins.review", "bulletins.sign", "bulletins.publish"):
        assert action in actions
    told = set(Notification.objects.filter(kind="bulletin.published").values_list("recipient_id", flat=True))
    assert told == {w.director.pk, w.inspector.pk}  # county A's facility director and inspector; not clerks
    notification = Notification.objects.filter(kind="bulletin.published").first()
    assert notification.object_type == "bulletins.bulletin" and notification.object_id == str(bulletin.pk)
    # The facility director now reads the published bulletin; county B's does not.
    assert driver.client(w.director).get(driver.url("process_detail", bulletin)).status_code == 200
    assert driver.client(w.director_b).get(driver.url("process_detail", bulletin)).status_code == 404


def test_whoever_reviewed_may_not_sign(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = compiled(births, w)
    # The director reviews: then another director must sign.
    assert driver.act(w.chief, bulletin, F.review, {"decision": "forward"}).status_code == 302
    task = driver.open_task(bulletin, F.sign)
    assert driver.claim(w.chief, task).status_code == 403
    assert not F.sign.can_assign(w.chief, task)
    assert Bulletin.objects.get(pk=bulletin.pk).stage == Stage.SIGNING


def test_recompiling_reads_the_reports_again_and_keeps_the_recompiler_from_signing(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = compiled(births, w)
    births.add(w.hospital_a, MONTH, 600, 400)  # a late correction accepted after compilation
    response = driver.act(w.chief, bulletin, F.review, {"decision": "recompile", "reason": "corrected report"})
    assert response.status_code == 302
    bulletin = Bulletin.objects.get(pk=bulletin.pk)
    assert bulletin.revision == 2 and bulletin.stage == Stage.REVIEW
    assert [w.hospital_a.pk, w.town_a.pk, "2026-03-01", 600, 400] in bulletin.content["counts"]
    assert AuditEvent.objects.filter(action="bulletins.amend", object_id=str(bulletin.pk), actor=w.chief).exists()
    assert driver.act(w.officer, bulletin, F.review, {"decision": "forward"}).status_code == 302
    assert driver.claim(w.chief, driver.open_task(bulletin, F.sign)).status_code == 403


def test_the_director_returns_with_a_reason_only(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = compiled(births, w)
    assert driver.act(w.officer, bulletin, F.review, {"decision": "forward"}).status_code == 302
    refused = driver.act(w.chief, bulletin, F.sign, {"decision": "return", "reason": ""}, sign=True)
    assert refused.status_code == 200 and Bulletin.objects.get(pk=bulletin.pk).stage == Stage.SIGNING
    wrong_password = driver.act(w.chief, bulletin, F.sign, {"decision": "approve", "password": "nope"})
    assert wrong_password.status_code == 200 and not Signature.objects.filter(object_id=str(bulletin.pk)).exists()
    returned = driver.act(w.chief, bulletin, F.sign, {"decision": "return", "reason": "check Centre A"}, sign=True)
    assert returned.status_code == 302
    bulletin = Bulletin.objects.get(pk=bulletin.pk)
    assert bulletin.stage == Stage.REVIEW and driver.open_task(bulletin, F.review) is not None
    assert Notification.objects.filter(kind="process.returned", recipient=w.officer).exists()


# --- Small cells in every published output ------------------------------------------------------


def test_small_cells_show_as_under_5_on_the_page(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = driver.publish(compiled(births, w))
    page = driver.client(w.director).get(driver.url("process_detail", bulletin)).content.decode()
    assert "&lt;5" in page
    row = page[page.index("Centre A") :][:600]
    assert "&lt;5" in row and ">3<" not in row and "233" not in row and ">10<" not in row
    assert ">560<" in page and ">440<" in page  # large counts are shown
    assert "<script" not in page[page.index("bulletin-charts") :].split("</section>")[0]
    assert 'class="bulletin-chart"' in page


def test_small_cells_show_as_under_5_in_the_excel_file(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = driver.publish(compiled(births, w))
    response = driver.client(w.director).get(driver.url("export", bulletin, fmt="xlsx"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    cells = [list(row) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)]
    centre = next(row for row in cells if row and row[0] == "Centre A")
    assert list(centre[1:5]) == ["7", "<5", "—", "—"]
    hospital = next(row for row in cells if row and row[0] == "Hospital A")
    assert list(hospital[1:5]) == ["560", "440", "1000", "127.3"]


def test_small_cells_show_as_under_5_in_the_pdf(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = driver.publish(compiled(births, w))
    response = driver.client(w.inspector).get(driver.url("export", bulletin, fmt="pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "<5" in text and "127.3" in text and "Centre A" in text
    centre = text[text.index("Centre A") :].split("\n")[0:2]
    assert "233" not in " ".join(centre)
    # The charts are embedded as images.
    assert any(page.images for page in reader.pages)


@pytest.mark.fonts
def test_the_pdf_embeds_its_chinese_font(driver: Any, births: Any) -> None:
    w = driver.world
    w.hospital_a.name = "县人民医院"
    w.hospital_a.save()
    bulletin = driver.publish(compiled(births, w))
    client = driver.client(w.inspector)
    client.cookies["django_language"] = "zh-hans"
    reader = PdfReader(io.BytesIO(client.get(driver.url("export", bulletin, fmt="pdf")).content))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            glyphs = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            assert {"/FontFile2", "/FontFile3"} & set(glyphs["/FontDescriptor"].get_object())
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")  # narrow cells wrap
    assert "县人民医院" in text and "乡镇" in text
