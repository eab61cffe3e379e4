"""A revocation asked for by a competent authority, or decided by the CA itself (Decree 68
Art. 18, docs/domain.md §5.5): no Mẫu 05 from the agency, but a requesting letter the CA
operator registers. The certificates go through `certificate_revoke_batch`, as a Mẫu 05 row's
do: the same status, history, audit event, device return, CRL and OCSP; then the managing
agency's clerks and the holder are told, as they are when a Mẫu 05 is done."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import Role
from agencies.validators import nfc
from certificates.choices import RevocationReason, RevocationRequester
from certificates.exceptions import CertificateError
from certificates.models import Certificate, RegisteredRevocation
from certificates.services.revocation import certificate_revoke_batch
from certificates.signing.files import max_pdf_bytes, open_pdf
from portal.audit import audit_record
from portal.notifications import notify

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


def _read(uploaded) -> bytes:
    if isinstance(uploaded, bytes | bytearray):
        return bytes(uploaded)
    uploaded.seek(0)
    return uploaded.read(max_pdf_bytes() + 1)  # one byte over the cap is enough to refuse


def certificate_revocation_register(
    *,
    certificates: Sequence[Certificate],
    requester: str,
    authority_name: str,
    letter_number: str,
    letter_date: date,
    reason: str,
    letter,
    by: User,
    letter_name: str = "",
    note: str = "",
) -> RegisteredRevocation:
    """Register the requesting letter and revoke its certificates (all or none).

    Only a CA operator may; `letter` is the uploaded PDF (or its bytes), inspected as every
    PDF upload is (`certificates.signing.files.open_pdf`: size cap, PDF signature, parsable,
    not encrypted). Raises `CertificateError` with a Vietnamese message for anything refused.
    """
    if not scope_for(by).is_ca:
        raise CertificateError(
            _("Chỉ cán bộ Cục CTS&BMTT được đăng ký thu hồi theo yêu cầu."), code="forbidden"
        )
    authority_name = nfc(authority_name or "").strip()
    letter_number = nfc(letter_number or "").strip()
    note = nfc(note or "").strip()
    if requester not in RevocationRequester.values:
        raise CertificateError(_("Hãy chọn bên yêu cầu thu hồi."), code="requester")
    if requester == RevocationRequester.AUTHORITY and not authority_name:
        raise CertificateError(
            _("Hãy ghi tên cơ quan có thẩm quyền yêu cầu thu hồi."), code="authority_name"
        )
    if requester == RevocationRequester.CA:
        authority_name = ""
    if not letter_number:
        raise CertificateError(_("Hãy ghi số văn bản yêu cầu thu hồi."), code="letter_number")
    if letter_date > timezone.localdate():
        raise CertificateError(_("Ngày văn bản không thể sau hôm nay."), code="letter_date")
    if not certificates:
        raise CertificateError(_("Hãy chọn ít nhất một chứng thư."), code="certificates")
    pdf = _read(letter)
    open_pdf(pdf)
    who = authority_name or RevocationRequester(requester).label
    why = _("Theo yêu cầu của %(who)s, văn bản số %(number)s ngày %(date)s") % {
        "who": who,
        "number": letter_number,
        "date": letter_date.strftime("%d/%m/%Y"),
    }
    with transaction.atomic():
        registered = RegisteredRevocation.objects.create(
            requester=requester,
            authority_name=authority_name[:255],
            letter_number=letter_number[:64],
            letter_date=letter_date,
            reason=reason if reason in RevocationReason.values else "",
            note=note,
            letter_name=(nfc(letter_name) or "van-ban.pdf")[:255],
            letter_pdf=pdf,
            letter_sha256=hashlib.sha256(pdf).hexdigest(),
            created_by=by,
        )
        revoked = certificate_revoke_batch(
            certificates=certificates, by=by, reason=reason, note=f"{why}. {note}".strip()
        )
        registered.certificates.set(revoked)
        audit_record(
            actor=by,
            action="certificate.revocation_register",
            obj=registered,
            after={
                "requester": requester,
                "authority": authority_name,
                "letter_number": letter_number,
                "letter_date": letter_date,
                "reason": reason,
                "certificates": [c.serial for c in revoked],
                "letter_sha256": registered.letter_sha256,
            },
            reason=why,
        )
        for certificate in revoked:
            _tell_agency_and_holder(certificate, why=why)
    return registered


def _tell_agency_and_holder(certificate: Certificate, *, why: str) -> None:
    clerks = (
        get_user_model()
        .objects.filter(
            memberships__role=Role.AGENCY_CLERK,
            memberships__organization=certificate.agency_id,
            is_active=True,
        )
        .distinct()
    )
    holder = certificate.person.user if certificate.person_id else None
    notify(
        users=[*clerks, holder],
        message=_("Chứng thư %(serial)s (%(name)s) đã bị thu hồi: %(reason)s. %(why)s.")
        % {
            "serial": certificate.serial,
            "name": certificate.common_name,
            "reason": RevocationReason(certificate.revocation_reason).label,
            "why": why,
        },
        url=reverse("certificates:detail", args=[certificate.serial]),
    )
