"""Personal API tokens: a machine (a provincial e-office, the CA's tools) acts as the token's
owner, with the owner's current roles and scope and nothing more (docs/architecture.md, "The
API").

The token is `cap_<prefix>_<secret>`, shown once at creation. Only the SHA-256 of the whole
token is stored, beside the visible prefix that finds its row; it expires (at most
MAX_DAYS days) and may be revoked. Every request made with it is audited (`api_token.use`).
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from agencies.models import ApiToken
from portal.audit import audit_record
from portal.errors import DomainError

MAX_DAYS = 365
SCHEME = "Bearer"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, owner, name: str, days: int, by) -> tuple[ApiToken, str]:
    """Create a token for `owner` valid `days` days; returns the row and the token itself,
    which is never stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Hãy đặt tên cho khóa API."), code="name_missing")
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(
            _("Thời hạn của khóa API từ 1 đến %(n)d ngày.") % {"n": MAX_DAYS}, code="days"
        )
    if by.pk != owner.pk:
        raise DomainError(_("Chỉ người dùng tự tạo khóa API của mình."), code="forbidden")
    prefix = secrets.token_hex(4)
    token = f"cap_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        row = ApiToken.objects.create(
            owner=owner,
            name=name[:100],
            prefix=prefix,
            digest=_digest(token),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(
            actor=by,
            action="api_token.create",
            obj=row,
            after={"name": row.name, "prefix": prefix, "expires_at": row.expires_at.isoformat()},
        )
    return row, token


def api_token_revoke(*, token: ApiToken, by) -> ApiToken:
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if by.pk != locked.owner_id and not by.is_superuser:
            raise DomainError(_("Bạn không thể thu hồi khóa API của người khác."), code="forbidden")
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(
                actor=by, action="api_token.revoke", obj=locked, after={"prefix": locked.prefix}
            )
    return locked


def _refuse():
    raise exceptions.AuthenticationFailed(
        _("Khóa API không hợp lệ, đã hết hạn hoặc đã bị thu hồi."), code="token_invalid"
    )


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer cap_…`: the request acts as the token's owner."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != SCHEME:
            return None
        if len(header) != 2:
            _refuse()
        token = header[1]
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "cap":
            _refuse()
        row = ApiToken.objects.select_related("owner").filter(prefix=parts[1]).first()
        now = timezone.now()
        if (
            row is None
            or not hmac.compare_digest(row.digest, _digest(token))
            or row.revoked_at is not None
            or row.expires_at <= now
            or not row.owner.is_active
        ):
            _refuse()
        with transaction.atomic():
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
            audit_record(
                actor=row.owner,
                action="api_token.use",
                obj=row,
                after={"method": request.method, "path": request.path[:200]},
            )
        return row.owner, row

    def authenticate_header(self, request):
        return SCHEME


class TokenScheme(OpenApiAuthenticationExtension):
    """Documents the Bearer token in the OpenAPI schema."""

    target_class = "agencies.accounts.tokens.TokenAuthentication"
    name = "khoaApi"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(_("Khóa API cá nhân: Authorization: Bearer cap_…")),
        }
