"""Idempotency-Key on every POST: a retried filing returns the first response and never files twice.

The record and the filing commit together. The (client, key) unique constraint decides between retries
that race: PostgreSQL makes the second insert wait for the first transaction, then fail, and the second
request reads the committed record and replays it. A filing refused (4xx) rolls back with its record, so
the key stays free and a corrected retry is accepted. The same key with a different body is a 422.

A record is kept ``API_IDEMPOTENCY_HOURS`` (24 by default): a request under an older key is a new request (its
record is replaced), and the dispatcher's sweep ``idempotency_records_expire`` deletes what has expired.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .models import IdempotencyRecord, ServiceAccount
from .problems import PROBLEM_CONTENT_TYPE, problem

KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,200}")
HEADER = "HTTP_IDEMPOTENCY_KEY"


def request_fingerprint(request: Any) -> str:
    """What makes two POSTs the same request: path, fields and the bytes of every uploaded file."""
    digest = hashlib.sha256()
    digest.update(request.path.encode())
    data = request.data
    if hasattr(data, "lists"):
        items = sorted((key, [v for v in values if not hasattr(v, "read")]) for key, values in data.lists())
    else:
        items = data
    digest.update(json.dumps(items, sort_keys=True, default=str).encode())
    for name in sorted(getattr(request, "FILES", {}) or {}):
        for upload in request.FILES.getlist(name):
            digest.update(name.encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def idempotency_key(request: Any) -> str:
    key = request.META.get(HEADER, "")
    if not KEY_PATTERN.fullmatch(key):
        raise ValidationError(
            {"Idempotency-Key": [_("Send an Idempotency-Key header: 1-200 printable ASCII characters.")]}
        )
    return key


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        body = problem(422, detail=_("This Idempotency-Key was used for a different request."))
        return Response(body, status=422, content_type=PROBLEM_CONTENT_TYPE)
    response = Response(record.body, status=record.status_code)
    if record.location:
        response["Location"] = record.location
    response["Idempotent-Replayed"] = "true"
    return response


def expiry_cutoff(now: datetime | None = None) -> datetime:
    """Records created before this have expired."""
    return (now or timezone.now()) - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)


def idempotency_records_expire() -> int:
    """A sweep: delete the records past their time. Safe from two dispatchers at once (a delete is a delete)."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=expiry_cutoff()).delete()
    return deleted


def idempotent(*, client: ServiceAccount, request: Any, perform: Callable[[], Response]) -> Response:
    """Run ``perform`` once per (client, key) within the records' lifetime; replay its response to every retry."""
    key = idempotency_key(request)
    fingerprint = request_fingerprint(request)
    existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
    if existing is not None and existing.created_at >= expiry_cutoff():
        return _replay(existing, fingerprint)
    with transaction.atomic():
        if existing is not None:  # expired, and not yet swept: the key is free again
            IdempotencyRecord.objects.filter(pk=existing.pk, created_at__lt=expiry_cutoff()).delete()
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the outer transaction usable
                record = IdempotencyRecord.objects.create(client=client, key=key, fingerprint=fingerprint)
        except IntegrityError:
            record = None
        if record is None:
            return _replay(IdempotencyRecord.objects.get(client=client, key=key), fingerprint)
        response = perform()  # raises on refusal: the record rolls back with the filing
        record.status_code = response.status_code
        record.body = json.loads(json.dumps(response.data, default=str))
        record.location = response.get("Location", "")
        record.save(update_fields=["status_code", "body", "location"])
    return response
