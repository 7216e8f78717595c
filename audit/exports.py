"""CSV and PDF copies of audit trails, with signature manifestations and the verification result.

For case pages: ``object_trail_csv(obj, request=request)`` and
``object_trail_pdf(obj, request=request)`` return a download response for one
record's trail and log the read (``audit_read``). The caller has already
checked that the user may see ``obj`` (permissions.access).

PDFs embed a subset of one TrueType font with Chinese and Latin glyphs
(settings.AUDIT_PDF_FONT, Debian's fonts-wqy-microhei by default), so that a
copy looks the same in every reader, years later, whatever fonts it has. No
other font is used: not even the PDF standard fonts, which readers substitute.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from .actions import action_label, record_label, step_label
from .display import changes_text, local_datetime, signature_manifestation, validity_label
from .models import AuditEvent, Signature
from .selectors import ObjectTrail, TrailCheck, events_check, object_trail
from .services import audit_read

FONT = "RegflowAuditFont"
FALLBACK_FONT = "STSong-Light"
logger = logging.getLogger(__name__)
PDF_CELL_MAX_CHARS = 500  # per table cell; a row must fit on one page
PDF_CELL_MAX_LINES = 30
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --- Shared formatting --------------------------------------------------------


def event_status(event: AuditEvent) -> str:
    intact = getattr(event, "intact", None)
    if intact is None:
        return ""
    return _("intact") if intact else _("TAMPERED: does not match the chain")


def trail_verification_text(check: TrailCheck) -> str:
    if check.ok:
        return _(
            "Chain check: all %(count)s events of this record match their hashes and are linked to their "
            "neighbours in the audit chain (chain head: %(head)s). Whole-chain verification: manage.py verify_audit."
        ) % {"count": check.checked, "head": check.head_sequence}
    return _(
        "Chain check FAILED: events %(sequences)s do not match the audit chain. The trail has been tampered with."
    ) % {"sequences": ", ".join(str(s) for s in check.bad_sequences)}


def _safe_cell(value: Any) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_PREFIXES) else text


def _filename(stem: str, extension: str) -> str:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in stem)[:80]
    return f"{safe}-{stamp}.{extension}"


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"


# --- CSV ----------------------------------------------------------------------


def _csv_header() -> list[str]:
    return [
        _("Entry"),
        _("Sequence"),
        _("Date and time (with offset)"),
        _("Time (UTC)"),
        _("Name"),
        _("Action or meaning"),
        _("Record"),
        _("Changes"),
        _("Reason"),
        _("Request id"),
        _("Client address"),
        _("Status"),
        _("Hash"),
        _("Action code"),
    ]


def _event_csv_row(event: AuditEvent) -> list[str]:
    return [
        _("event"),
        str(event.sequence),
        local_datetime(event.occurred_at),
        event.occurred_at.isoformat(timespec="microseconds"),
        event.actor_name,
        action_label(event.action),
        record_label(event.object_type, event.object_id) if event.object_type else "",
        changes_text(event.changes, event.object_type),
        event.reason,
        event.request_id,
        event.client_address or "",
        event_status(event),
        event.hash,
        event.action,
    ]


def _signature_csv_row(signature: Signature) -> list[str]:
    return [
        _("signature"),
        "",
        local_datetime(signature.signed_at),
        signature.signed_at.isoformat(timespec="microseconds"),
        signature.printed_name,
        str(signature.get_meaning_display()),
        record_label(signature.object_type, signature.object_id),
        signature_manifestation(signature),
        signature.reason,
        "",
        "",
        validity_label(getattr(signature, "valid", None)),
        signature.content_hash,
        "",
    ]


def _csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"  # a byte-order mark, so that spreadsheet programs read the UTF-8 (Chinese) correctly
    for row in rows:
        writer.writerow([_safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def trail_csv_response(trail: ObjectTrail) -> HttpResponse:
    def rows() -> Iterator[list[str]]:
        yield _csv_header()
        for signature in trail.signatures:
            yield _signature_csv_row(signature)
        for event in trail.events:
            yield _event_csv_row(event)
        yield [
            _("verification"),
            "",
            local_datetime(timezone.now()),
            "",
            "",
            "",
            "",
            trail_verification_text(trail.check),
        ]

    response = HttpResponse("".join(_csv_lines(rows())), content_type="text/csv; charset=utf-8")
    _attachment(response, _filename(f"audit-{trail.object_type}-{trail.object_id}", "csv"))
    return response


def events_csv_response(events: Iterable[AuditEvent], *, stem: str = "audit-search") -> StreamingHttpResponse:
    """A search result as CSV, streamed: it can be the whole trail of a county."""

    def rows() -> Iterator[list[str]]:
        yield _csv_header()
        for event in events:
            yield _event_csv_row(event)

    response = StreamingHttpResponse(_csv_lines(rows()), content_type="text/csv; charset=utf-8")
    _attachment(response, _filename(stem, "csv"))
    return response


# --- PDF ----------------------------------------------------------------------


def _register_font() -> str:
    """Register the embedded font and return the name to set text in.

    Without the font file (a development machine without Debian's fonts-wqy-microhei) the PDF falls back to
    reportlab's built-in STSong-Light, which readers must supply, and says so in the log once; production refuses
    to start without the font (deploy check audit.E003), so shipped copies always embed theirs.
    """
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    if FALLBACK_FONT in pdfmetrics.getRegisteredFontNames():
        return FALLBACK_FONT
    path = settings.AUDIT_PDF_FONT
    try:
        font = TTFont(FONT, str(path), subfontIndex=settings.AUDIT_PDF_FONT_INDEX)
    except (OSError, TTFError) as error:
        if not Path(path).exists():
            logger.warning(
                "audit PDF font %s is missing: PDFs use the built-in %s, not embedded (install fonts-wqy-microhei)",
                path,
                FALLBACK_FONT,
            )
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
            return FALLBACK_FONT
        raise ImproperlyConfigured(
            f"The audit PDF font {path} cannot be used ({error}). Install Debian's fonts-wqy-microhei, or set "
            "AUDIT_PDF_FONT to a TrueType-outline font (.ttf or .ttc) with Chinese glyphs."
        ) from error
    pdfmetrics.registerFont(font)
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _register_font()  # paragraphs resolve their font when they are created
    base = ParagraphStyle("base", fontName=font, fontSize=8.5, leading=11, alignment=TA_LEFT, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "title": ParagraphStyle("title", parent=base, fontSize=15, leading=19, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4),
        "ok": ParagraphStyle("ok", parent=base, textColor=colors.HexColor("#1b5e20")),
        "bad": ParagraphStyle("bad", parent=base, textColor=colors.HexColor("#b71c1c"), fontSize=10, leading=13),
    }


def _pdf_text(text: Any) -> str:
    return "" if text is None else str(text)


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(_pdf_text(text)).replace("\n", "<br/>"), style)


def _cell(text: Any, style: ParagraphStyle, *, limit: int = PDF_CELL_MAX_CHARS) -> Paragraph:
    """A table cell, cut short if needed: a row taller than a page would stop the PDF from being drawn."""
    value = _pdf_text(text)
    if len(value) > limit or value.count("\n") > PDF_CELL_MAX_LINES:
        value = "\n".join(value[:limit].split("\n")[:PDF_CELL_MAX_LINES])
        value += " … " + _("(cut here; the CSV export has it in full)")
    return _p(value, style)


class _NumberedCanvas(Canvas):
    """Writes 'page N of M' and the generation time on every page (needs all pages first)."""

    footer_text = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            self.setFont(_register_font(), 7.5)
            self.setFillColor(colors.HexColor("#555555"))
            width, _height = self._pagesize
            self.drawString(12 * mm, 8 * mm, _pdf_text(self.footer_text))
            self.drawRightString(
                width - 12 * mm, 8 * mm, _("Page %(page)s of %(total)s") % {"page": self._pageNumber, "total": total}
            )
            super().showPage()
        super().save()


def _table(rows: list[list[Any]], widths: list[float], *, highlight: dict[int, Any] | None = None) -> Table:
    table = LongTable(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), _register_font(), 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b7c0")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for row, colour in (highlight or {}).items():
        style.append(("BACKGROUND", (0, row), (-1, row), colour))
    table.setStyle(TableStyle(style))
    return table


def _signature_flowables(signatures: list[Signature], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    flow: list[Flowable] = [_p(_("Electronic signatures"), styles["h2"])]
    if not signatures:
        return [*flow, _p(_("No signatures on this record."), styles["base"])]
    rows: list[list[Any]] = [
        [
            _p(h, styles["base"])
            for h in (_("Name"), _("Date and time"), _("Meaning"), _("Step"), _("Reason"), _("Validity"))
        ]
    ]
    highlight = {}
    for index, signature in enumerate(signatures, start=1):
        valid = getattr(signature, "valid", None)
        rows.append(
            [
                _cell(signature.printed_name, styles["base"]),
                _cell(local_datetime(signature.signed_at), styles["base"]),
                _cell(signature.get_meaning_display(), styles["base"]),
                _cell(step_label(signature.object_type, signature.step), styles["base"]),
                _cell(signature.reason, styles["base"]),
                _cell(validity_label(valid), styles["bad"] if valid is False else styles["base"]),
            ]
        )
        if valid is False:
            highlight[index] = colors.HexColor("#ffebee")
    flow.append(_table(rows, [45 * mm, 42 * mm, 45 * mm, 30 * mm, 50 * mm, 60 * mm], highlight=highlight))
    return flow


def _event_flowables(events: list[AuditEvent], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    header = (
        _("Seq."),
        _("Date and time"),
        _("Actor"),
        _("Action"),
        _("Record"),
        _("Changes"),
        _("Reason"),
        _("Status"),
    )
    rows: list[list[Any]] = [[_p(h, styles["base"]) for h in header]]
    highlight = {}
    for index, event in enumerate(events, start=1):
        status = event_status(event)
        rows.append(
            [
                _cell(event.sequence, styles["small"]),
                _cell(local_datetime(event.occurred_at), styles["small"]),
                _cell(event.actor_name, styles["small"]),
                _cell(action_label(event.action), styles["small"]),
                _cell(record_label(event.object_type, event.object_id) if event.object_type else "", styles["small"]),
                _cell(changes_text(event.changes, event.object_type), styles["small"], limit=1200),
                _cell(event.reason, styles["small"]),
                _cell(status, styles["small"]),
            ]
        )
        if getattr(event, "intact", True) is False:
            highlight[index] = colors.HexColor("#ffebee")
    widths = [14 * mm, 34 * mm, 32 * mm, 36 * mm, 38 * mm, 66 * mm, 36 * mm, 16 * mm]
    return [_table(rows, widths, highlight=highlight)]


def _pdf_response(story: list[Flowable], *, title: str, stem: str, request: HttpRequest | None) -> HttpResponse:
    _register_font()
    buffer = io.BytesIO()
    who = getattr(getattr(request, "user", None), "get_username", lambda: "")()
    footer = _("%(site)s · %(title)s · generated %(when)s by %(user)s") % {
        "site": settings.SITE_NAME,
        "title": title,
        "when": local_datetime(timezone.now()),
        "user": who,
    }

    class Canvas_(_NumberedCanvas):
        footer_text = footer

    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=settings.SITE_NAME,
        creator=settings.SITE_NAME,
        initialFontName=_register_font(),  # or every page names Helvetica, a font that is not embedded
    )
    document.build(story, canvasmaker=Canvas_)
    response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
    _attachment(response, _filename(stem, "pdf"))
    return response


def trail_pdf_response(trail: ObjectTrail, *, request: HttpRequest | None) -> HttpResponse:
    styles = _styles()
    title = _("Audit trail: %(record)s") % {"record": trail.title}
    story: list[Flowable] = [
        _p(title, styles["title"]),
        _p(
            _("Record %(ref)s · %(count)s events · times in %(zone)s, shown with their UTC offset")
            % {
                "ref": record_label(trail.object_type, trail.object_id),
                "count": len(trail.events),
                "zone": settings.TIME_ZONE,
            },
            styles["base"],
        ),
        Spacer(1, 3 * mm),
        _p(trail_verification_text(trail.check), styles["ok"] if trail.check.ok else styles["bad"]),
    ]
    if trail.invalid_signatures:
        story.append(
            _p(
                _("WARNING: %(count)s signature(s) on this record are INVALID.")
                % {"count": len(trail.invalid_signatures)},
                styles["bad"],
            )
        )
    story += _signature_flowables(trail.signatures, styles)
    story += [_p(_("Events"), styles["h2"]), *_event_flowables(trail.events, styles)]
    return _pdf_response(story, title=title, stem=f"audit-{trail.object_type}-{trail.object_id}", request=request)


def events_pdf_response(
    events: list[AuditEvent], *, total: int, filters: list[tuple[str, str]], request: HttpRequest | None
) -> HttpResponse:
    styles = _styles()
    title = _("Audit trail search")
    summary = "; ".join(f"{label}: {value}" for label, value in filters) or _("no filters")
    story: list[Flowable] = [
        _p(title, styles["title"]),
        _p(_("Filters: %(filters)s") % {"filters": summary}, styles["base"]),
        _p(
            _("%(count)s events · times in %(zone)s, shown with their UTC offset")
            % {"count": total, "zone": settings.TIME_ZONE},
            styles["base"],
        ),
    ]
    if total > len(events):
        story.append(
            _p(
                _("This copy shows the first %(shown)s of %(total)s events. Narrow the search, or export CSV for all.")
                % {"shown": len(events), "total": total},
                styles["bad"],
            )
        )
    check = events_check(events)
    story += [Spacer(1, 3 * mm), _p(_search_verification_text(check), styles["ok"] if check.ok else styles["bad"])]
    story += [Spacer(1, 3 * mm), *_event_flowables(events, styles)]
    return _pdf_response(story, title=title, stem="audit-search", request=request)


def _search_verification_text(check: TrailCheck) -> str:
    if check.ok:
        return _("Chain check: all %(count)s events listed match their hashes and their neighbours in the chain.") % {
            "count": check.checked
        }
    return _("Chain check FAILED for events %(sequences)s: the trail has been tampered with.") % {
        "sequences": ", ".join(str(s) for s in check.bad_sequences)
    }


# --- For case pages -----------------------------------------------------------


def object_trail_csv(obj: models.Model, *, request: HttpRequest) -> HttpResponse:
    """One record's trail and signatures as CSV. Logs the read."""
    audit_read(user=request.user, obj=obj, request=request)
    return trail_csv_response(object_trail(obj=obj))


def object_trail_pdf(obj: models.Model, *, request: HttpRequest) -> HttpResponse:
    """One record's trail, signature manifestations and chain check as a paginated PDF. Logs the read."""
    audit_read(user=request.user, obj=obj, request=request)
    return trail_pdf_response(object_trail(obj=obj), request=request)
