"""A bulletin as a PDF (reportlab, the font embedded, the charts as images) and as an Excel file (openpyxl).

Both show exactly what the bulletin's page shows: every count as published
(srb.published: under 5 it reads "<5", and a small count's total and ratio are
withheld; a count that a total would give away is withheld too, Row.withheld),
and the charts without the units whose ratio is withheld.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from . import charts, selectors
from .selectors import BulletinView, Row

FONT = "RegflowBulletinFont"
FALLBACK_FONT = "STSong-Light"


def _safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula is written as text (formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _note() -> str:
    return _(
        'Counts under 5 are shown as "<5"; a total or ratio that would give one away is withheld (—), and so is '
        "a second count wherever a total less the counts shown would give a small one away. So is a flag that "
        "would narrow a withheld count down: the bureau's analysis names every unit it flags."
    )


def _headers() -> list[str]:
    return [_("Unit"), _("Boys"), _("Girls"), _("Births"), _("Boys per 100 girls"), _("95% interval"), _("Flag")]


def _row(row: Row, name: str | None = None) -> list[str]:
    shown = row.shown
    flag = str(selectors.FLAG_LABELS.get(shown.flag, shown.flag)) if shown.flag else ""
    return [name or row.name, shown.boys, shown.girls, shown.births, shown.ratio, shown.interval, flag]


def sections(view: BulletinView) -> list[tuple[str, list[list[str]]]]:
    """The bulletin's tables, titled, header first: the one list both exports write."""
    header = _headers()
    result = [
        (_("County"), [header, *([_row(view.county)] if view.county else [])]),
        (_("By month"), [header, *(_row(r, r.period_label) for r in view.months)]),
        (_("Townships"), [header, *(_row(r) for r in view.townships)]),
        (_("Facilities"), [header, *(_row(r) for r in view.facilities)]),
        (_("Flagged units"), [header, *(_row(r) for r in view.flagged)]),
        (
            _("Late and missing reports"),
            [
                [_("Facility"), _("Month"), _("Report"), _("Late")],
                *([r["facility"], r["month"], r["status"], _("yes") if r["late"] else _("no")] for r in view.reports),
            ],
        ),
        (
            _("Other procedures"),
            [
                [_("Procedure"), _("Figure"), _("Number")],
                *([group["label"], label, str(value)] for group in view.figures for label, value in group["figures"]),
            ],
        ),
    ]
    return result


def _title(view: BulletinView) -> str:
    bulletin = view.bulletin
    return f"{bulletin.county.name} · {bulletin.get_kind_display()} · {bulletin.period_label}"


def _attachment(response: HttpResponse, view: BulletinView, extension: str) -> HttpResponse:
    bulletin = view.bulletin
    name = f"bulletin-{bulletin.county.code}-{bulletin.kind}-{bulletin.period_start:%Y-%m}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Excel -------------------------------------------------------------------------------------


def bulletin_xlsx(view: BulletinView) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, rows in sections(view):
        sheet = workbook.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([_safe_cell(value) for value in row])
    notes = workbook.create_sheet(title=_("Notes")[:31])
    notes.append([_title(view)])
    notes.append([_note()])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def bulletin_xlsx_response(view: BulletinView) -> HttpResponse:
    response = HttpResponse(
        bulletin_xlsx(view), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return _attachment(response, view, "xlsx")


# --- PDF ---------------------------------------------------------------------------------------


def _register_font() -> str:
    """The audit PDF's font (settings.AUDIT_PDF_FONT, TrueType outlines with Chinese glyphs), embedded as a
    subset; without the file (a development machine) reportlab's built-in CID font, which is not embedded."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    registered = pdfmetrics.getRegisteredFontNames()
    if FONT in registered:
        return FONT
    path = Path(settings.AUDIT_PDF_FONT)
    if not path.exists():
        if FALLBACK_FONT not in registered:
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        return FALLBACK_FONT
    pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=settings.AUDIT_PDF_FONT_INDEX))
    return FONT


def bulletin_pdf(view: BulletinView) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _register_font()
    base = ParagraphStyle("base", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=base, fontSize=12, leading=16, spaceBefore=6, spaceAfter=4)
    title_style = ParagraphStyle("title", parent=base, fontSize=15, leading=20, spaceAfter=6)
    bulletin = view.bulletin

    def para(text: Any, style: ParagraphStyle = base) -> Paragraph:
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)), style)

    story: list[Any] = [para(_title(view), title_style)]
    status = (
        _("Published %(when)s") % {"when": f"{bulletin.published_at:%Y-%m-%d}"}
        if bulletin.published_at
        else _("Draft: not yet signed and published")
    )
    story.append(para(status))
    story.append(para(_note()))
    story.append(Spacer(1, 4 * mm))
    for title, rows in sections(view):
        story.append(para(title, heading))
        if len(rows) == 1:
            story.append(para(_("None.")))
            continue
        table = Table([[para(cell) for cell in row] for row in rows], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), font, 8.5),  # the cells' own font, or Helvetica is named
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    figures = selectors.bulletin_chart_figures(view)
    for title, build, args, ratio in figures:
        story.append(para(title, heading))
        image = charts.render(build, *args, fmt="png")
        story.append(Image(io.BytesIO(image), width=170 * mm, height=170 * mm * ratio))
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=_title(view),
        author=settings.SITE_NAME,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        initialFontName=font,  # or every page names Helvetica, a font that is not embedded
    )

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.drawString(18 * mm, 8 * mm, f"{settings.SITE_NAME} · {_title(view)}")
        canvas.drawRightString(A4[0] - 18 * mm, 8 * mm, _("Page %(page)s") % {"page": document.page})
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def bulletin_pdf_response(view: BulletinView) -> HttpResponse:
    return _attachment(HttpResponse(bulletin_pdf(view), content_type="application/pdf"), view, "pdf")
