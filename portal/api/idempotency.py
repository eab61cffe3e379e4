"""Idempotency keys on every API POST: a client that retries never acts twice
(docs/api.md, "The API").

`@idempotent` on a write view: a POST carrying `Idempotency-Key` first inserts its key; the
unique (user, key) constraint decides which of two concurrent requests acts — the loser gets a
409 while the first is running, or the stored response once it has finished. A retry with the
same key and the same body gets the stored response; the same key with another body is a 422.
Keys live 24 hours, cleaned lazily when the same user sends a key. A request that fails with an
exception leaves no key behind: nothing was done, so the client may retry.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from portal.errors import DomainError
from portal.models import IdempotencyKey

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_LENGTH = 255


def _canonical(data):
    """The body as plain JSON: a multipart form's fields as lists, an uploaded file as its
    SHA-256 and size, so that another file under the same name is another request."""
    if isinstance(data, QueryDict):
        return {key: [_canonical(v) for v in data.getlist(key)] for key in data}
    if isinstance(data, UploadedFile):
        digest = hashlib.sha256()
        for chunk in data.chunks():
            digest.update(chunk)
        data.seek(0)
        return {"file_sha256": digest.hexdigest(), "size": data.size}
    return data


def fingerprint(request) -> str:
    body = json.dumps(_canonical(request.data), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(request, key: str, print_: str):
    """The stored row when this key was seen before, else None after claiming it."""
    IdempotencyKey.objects.filter(user=request.user, created_at__lt=timezone.now() - TTL).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(user=request.user, key=key, fingerprint=print_)
    except IntegrityError:
        return IdempotencyKey.objects.get(user=request.user, key=key)
    return None


def idempotent(view):
    """Decorate a DRF view method (`def post(self, request, ...)` or an `@action`)."""

    @functools.wraps(view)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if request.method != "POST" or not key or not request.user.is_authenticated:
            return view(self, request, *args, **kwargs)
        if len(key) > MAX_LENGTH:
            raise DomainError(
                _("Khóa Idempotency-Key quá dài (tối đa 255 ký tự)."), code="idempotency_key"
            )
        print_ = fingerprint(request)
        seen = _claim(request, key, print_)
        if seen is not None:
            if seen.fingerprint != print_:
                raise DomainError(
                    _("Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác."),
                    code="idempotency_mismatch",
                )
            if seen.status is None:
                raise DomainError(
                    _("Yêu cầu cùng khóa Idempotency-Key đang được xử lý, hãy thử lại sau."),
                    code="idempotency_in_progress",
                )
            response = Response(seen.body, status=seen.status)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = view(self, request, *args, **kwargs)
        except Exception:
            IdempotencyKey.objects.filter(user=request.user, key=key).delete()
            raise
        if response.status_code >= 500:
            IdempotencyKey.objects.filter(user=request.user, key=key).delete()
        else:
            IdempotencyKey.objects.filter(user=request.user, key=key).update(
                status=response.status_code, body=response.data
            )
        return response

    return wrapper
