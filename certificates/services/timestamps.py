"""The time-stamping authority (RFC 3161; docs/ca.md, "Time-stamping authority"): its unit's
certificate made at the key ceremony, and the answers to time-stamp requests. Every answer is a
signing-monitor event (`tsa`, docs/architecture.md §13); every token granted is a `Timestamp`
row, whose key is the token's serial number."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from asn1crypto import cms, tsp
from django.db import transaction
from django.utils.translation import gettext as _

from certificates.backends import get_backend
from certificates.backends.base import TimestampGrant
from certificates.backends.tsa import rejection, reply_status
from certificates.choices import SigningEventKind, SigningOutcome
from certificates.exceptions import CertificateError
from certificates.models import Timestamp, TimestampUnit
from certificates.services.common import day
from certificates.services.monitoring import signing_events_record_bulk
from portal.audit import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


@dataclass(frozen=True)
class TimestampReply:
    """A DER TimeStampResp and what it says: `status` (granted, rejection) and the first
    PKIFailureInfo bit of a rejection (bad_alg, bad_data_format…)."""

    der: bytes
    status: str
    failure: str = ""

    @property
    def granted(self) -> bool:
        return self.status == "granted"


def timestamp_unit_ensure(*, by: User | None = None) -> TimestampUnit | None:
    """Issue the TSA's certificate when there is none valid under the active issuing CA (the
    key ceremony, a rotation, an expiry, or a CA made before the TSA existed); the unit it
    replaces is retired. Audited: `tsa.create`, `tsa.retire`. None when nothing changed."""
    with transaction.atomic():
        previous = TimestampUnit.objects.filter(is_active=True).first()
        created = get_backend().timestamp_unit_ensure()
        if created is None:
            return None
        if previous is not None:
            previous.refresh_from_db(fields=["is_active", "retired_at"])
            audit_record(
                actor=by,
                action="tsa.retire",
                obj=previous,
                before={"is_active": True},
                after={"is_active": False, "retired_at": day(previous.retired_at)},
                reason=_("Cấp lại chứng thư của dịch vụ cấp dấu thời gian"),
            )
        audit_record(
            actor=by,
            action="tsa.create",
            obj=created,
            after={
                "name": created.name,
                "serial": created.serial,
                "issuer": created.issuer_id,
                "key_algorithm": created.key_algorithm,
                "not_after": day(created.not_after),
                **(
                    {"token_serial": created.token_serial, "token_key_id": created.token_key_id}
                    if created.token_serial
                    else {}
                ),
            },
            reason=_("Khởi tạo dịch vụ cấp dấu thời gian"),
        )
    return created


def _event(outcome: str) -> dict:
    return {"kind": SigningEventKind.TSA, "outcome": outcome}


def _timestamp_record(grant: TimestampGrant) -> int:
    """The granted token's row and its monitor event, in the transaction that signs it."""
    row = Timestamp.objects.create(
        unit_id=grant.unit_id,
        hash_algorithm=grant.hash_algorithm,
        message_imprint=grant.message_imprint.hex(),
        gen_time=grant.gen_time,
        policy=grant.policy,
        nonce=format(grant.nonce, "x") if grant.nonce is not None else "",
    )
    signing_events_record_bulk(events=[_event(SigningOutcome.OK)])
    return row.serial


def timestamp_respond(*, request_der: bytes) -> TimestampReply:
    """The TSA's answer to a DER TimeStampReq; never raises on bad input. A granted token is
    recorded with its event when it is signed; a rejection is recorded here (`invalid`)."""
    der = get_backend().timestamp_response(request_der=request_der, record=_timestamp_record)
    status, failure = reply_status(der)
    if status != "granted":
        signing_events_record_bulk(events=[_event(SigningOutcome.INVALID)])
    return TimestampReply(der=der, status=status, failure=failure)


def timestamp_refuse(*, text: str) -> TimestampReply:
    """The answer to a body that is not a time-stamp query (wrong content type, too large):
    a rejection with badDataFormat, recorded like any other."""
    signing_events_record_bulk(events=[_event(SigningOutcome.INVALID)])
    return TimestampReply(
        der=rejection("bad_data_format", text), status="rejection", failure="bad_data_format"
    )


def timestamp_token(*, digest: bytes, hash_algorithm: str = "sha256") -> cms.ContentInfo:
    """A token of the portal's own time-stamping authority over `digest`, asked in process
    (the same answer as at /ca/tsa, recorded and counted the same way), with its certificate
    and a fresh nonce; a `CertificateError` (code `no_timestamp`) when none is granted."""
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": hash_algorithm},
                "hashed_message": digest,
            },
            "nonce": int.from_bytes(secrets.token_bytes(8), "big"),
            "cert_req": True,
        }
    )
    reply = timestamp_respond(request_der=request.dump())
    if not reply.granted:
        raise CertificateError(
            _("Dịch vụ cấp dấu thời gian chưa cấp được dấu thời gian."), code="no_timestamp"
        )
    return tsp.TimeStampResp.load(reply.der)["time_stamp_token"]
