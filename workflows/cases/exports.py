"""Registers as CSV and Excel files: every procedure's register page offers both (docs/kit.md).

Rows are streamed from an iterable (a queryset's iterator), never counted. A text
cell a spreadsheet would run as a formula is written as text (CSV/formula
injection), and the CSV starts with a BOM so that spreadsheet programs read
UTF-8 Chinese.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

EXPORT_KINDS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """A cell as written: text that starts like a formula is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def table_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(label) for label in header])
    for row in rows:
        writer.writerow([safe_cell(value if isinstance(value, str | int) else str(value)) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([str(label) for label in header])
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_response(
    *, kind: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], filename: str, title: str
) -> HttpResponse:
    """The download of a register: ``kind`` is one of EXPORT_KINDS; ``filename`` has no extension."""
    if kind == "csv":
        response = HttpResponse(table_csv(header, rows), content_type="text/csv; charset=utf-8")
    elif kind == "xlsx":
        response = HttpResponse(table_xlsx(header, rows, title=title), content_type=XLSX_TYPE)
    else:
        raise ValueError(f"unknown export kind {kind!r}")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return response
