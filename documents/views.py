"""Serving a document's content to someone a procedure's view has already let see it."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from .models import StoredDocument
from .services import ContentCorrupt, ContentUnavailable, blob_content

logger = logging.getLogger(__name__)

# A document whose content was never stored (lost before it reached the database) is not found;
# one whose content no longer matches its hash is gone: it must not be served.
UNAVAILABLE_STATUS = {"missing": 404, "corrupt": 410}


def document_response(request: HttpRequest, *, document: StoredDocument, filename: str, back_url: str) -> HttpResponse:
    """The content as an attachment, or our own page saying it cannot be served (and an error in the log).

    The content is checked against the hash the record holds (and its
    signatures cover) before a byte is sent, and is held in memory once.
    """
    try:
        content = blob_content(sha256=document.blob_id)
        if document.blob_id != document.sha256:  # the database constraint forbids it; never serve it anyway
            raise ContentCorrupt
    except ContentUnavailable as problem:
        logger.error(
            "document content %s: %s %s (recorded sha256 %s)",
            problem.reason,
            document._meta.label_lower,
            document.pk,
            document.sha256,
        )
        return render(
            request,
            "documents/unavailable.html",
            {"reason": problem.reason, "back_url": back_url, "document": document},
            status=UNAVAILABLE_STATUS[problem.reason],
        )
    response = HttpResponse(content, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
