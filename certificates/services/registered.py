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
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.access import scope_for
from agencies.choices import Role
from agencies.validators import nfc
from approvals.choices import ApprovalAction
from approvals.services import (
    approval_needed_in,
    approval_request,
    approval_rule_organization,
    approvals_refuse_holding,
)
from certificates.choices import RevocationReason, RevocationRequester, SubjectKind
from certificates.exceptions import CertificateError
from certificates.models import Certificate, RegisteredRevocation
from certificates.services.common import require_valid
from certificates.services.revocation import certificate_revoke_batch
from certificates.signing.files import max_pdf_bytes, open_pdf
from portal.audit import audit_record
from portal.errors import DomainError
from portal.notifications import notify
from portal.texts import text

OBJECT_TYPE = "registered_revocation"

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
    """Register the requesting letter and revoke its certificates (all or none), or, when
    they include an organisation's certificate or more than one person may revoke, record an
    approval request: a second CA operator's approval then revokes them (docs/approvals.md).

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
    why = _("Theo yêu cầu của %(who)s, văn bản số %(number)s ngày %(date)s") % {
        "who": authority_name or RevocationRequester(requester).label,
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
        registered.certificates.set(certificates)
        selected = Certificate.objects.filter(pk__in=[c.pk for c in certificates])
        try:
            revocation_refuse_held(selected)
        except DomainError as refusal:
            raise CertificateError(refusal.message, code=refusal.code) from None
        action = revocation_approval_action(selected, count=len(certificates))
        if action is not None:
            now = timezone.now()
            for certificate in certificates:  # refused now rather than when approved
                require_valid(certificate, now)
        if action is None:
            _carry_out(registered, by=by)
            return registered
        registered.approval = approval_request(
            action=action,
            object_key=f"{OBJECT_TYPE}:{registered.pk}",
            object_label=_("Thu hồi %(n)d chứng thư theo văn bản số %(number)s")
            % {"n": len(certificates), "number": letter_number},
            by=by,
            reason=f"{why}. {note}".strip(),
            params={"registered_id": registered.pk},
            count=len(certificates),
            rule_organization=revocation_rule_agency(selected, action, count=len(certificates)),
        )
        registered.save(update_fields=["approval"])
        audit_record(
            actor=by,
            action="certificate.revocation_register",
            obj=registered,
            after={**_facts(registered, certificates), "approval": registered.approval.pk},
            reason=why,
        )
    return registered


def revocation_refuse_held(certificates: QuerySet[Certificate]) -> None:
    """Refuse revoking `certificates` by a new bulk job or registration while one of them is
    held by an open approval request (a job or a registration waiting for a second CA
    operator), whatever the rules say by then (docs/approvals.md, "One open request per
    object"): decided on the certificates locked in key order, in the caller's transaction,
    so a request recorded at the same moment (which locks them too) is seen. Raises a
    `DomainError` naming the certificate and the request."""
    ids = list(
        Certificate.objects.select_for_update(of=("self",))
        .filter(pk__in=certificates.values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    approvals_refuse_holding(
        object_type="certificate",
        ids=ids,
        label=lambda pk: (
            _("Chứng thư %(serial)s")
            % {"serial": Certificate.objects.filter(pk=pk).values_list("serial", flat=True).first()}
        ),
    )


def revocation_approval_action(certificates: QuerySet[Certificate], *, count: int | None = None):
    """Which second person's approval revoking `certificates` at once needs (docs/approvals.md),
    by the rules of the agencies they belong to (the strictest of them, `approval_needed_in`):
    `REVOKE_ORGANIZATION` for organisations' certificates (their digital seals), else
    `REVOKE_BATCH` for more certificates than the rule lets one person revoke; None when one
    CA operator may revoke them at once. `count`: their number, when the caller knows it.
    Shared by a registration here and a bulk revocation job (`bulk.actions.revoke`)."""
    certificates = certificates.order_by()
    seals = certificates.filter(subject_kind=SubjectKind.ORGANIZATION)
    seal_agencies = set(seals.values_list("agency_id", flat=True).distinct())
    if seal_agencies and approval_needed_in(
        action=ApprovalAction.REVOKE_ORGANIZATION,
        organization_ids=seal_agencies,
        count=seals.count(),
    ):
        return ApprovalAction.REVOKE_ORGANIZATION
    if approval_needed_in(
        action=ApprovalAction.REVOKE_BATCH,
        organization_ids=set(certificates.values_list("agency_id", flat=True).distinct()),
        count=certificates.count() if count is None else count,
    ):
        return ApprovalAction.REVOKE_BATCH
    return None


def revocation_rule_agency(certificates: QuerySet[Certificate], action: str, *, count: int):
    """The agency whose rule sets how long the request for `action` over `certificates` (`count`
    of them) waits (docs/approvals.md): of the agencies `revocation_approval_action` asked
    (the seals' for `REVOKE_ORGANIZATION`, every certificate's for `REVOKE_BATCH`) and whose
    rule asks for the approval, the one letting it wait the least; None: the national rule.
    The request itself stands at no organisation: CA operators alone see and decide it, as
    only they see a registration."""
    certificates = certificates.order_by()
    if action == ApprovalAction.REVOKE_ORGANIZATION:
        certificates = certificates.filter(subject_kind=SubjectKind.ORGANIZATION)
        count = certificates.count()
    return approval_rule_organization(
        action=action,
        organization_ids=set(certificates.values_list("agency_id", flat=True).distinct()),
        count=count,
    )


def _why(registered: RegisteredRevocation) -> str:
    who = registered.authority_name or RevocationRequester(registered.requester).label
    return _("Theo yêu cầu của %(who)s, văn bản số %(number)s ngày %(date)s") % {
        "who": who,
        "number": registered.letter_number,
        "date": registered.letter_date.strftime("%d/%m/%Y"),
    }


def _facts(registered: RegisteredRevocation, certificates) -> dict:
    return {
        "requester": registered.requester,
        "authority": registered.authority_name,
        "letter_number": registered.letter_number,
        "letter_date": registered.letter_date,
        "reason": registered.reason,
        "certificates": [c.serial for c in certificates],
        "letter_sha256": registered.letter_sha256,
    }


def _carry_out(registered: RegisteredRevocation, *, by, approver=None) -> list[Certificate]:
    """Revoke the registration's certificates (all or none), record when, audit it and tell
    the agencies and holders."""
    why = _why(registered)
    certificates = list(
        registered.certificates.select_related("person__user", "device").order_by("pk")
    )
    revoked = certificate_revoke_batch(
        certificates=certificates,
        by=by,
        reason=registered.reason,
        note=f"{why}. {registered.note}".strip(),
    )
    registered.revoked_at = timezone.now()
    registered.save(update_fields=["revoked_at"])
    after = _facts(registered, revoked)
    if approver is not None:
        after["approved_by"] = approver.get_username()
    audit_record(
        actor=by,
        action="certificate.revocation_register",
        obj=registered,
        after=after,
        reason=why,
    )
    for certificate in revoked:
        _tell_agency_and_holder(certificate, why=why)
    return revoked


def certificate_revocation_carry_out(*, approval, requester, approver) -> str:
    """What an approved registration runs (`certificates.approval_kinds`): its certificates
    revoked as the CA operator who registered it, decided on the locked registration (once:
    a registration already carried out is left alone)."""
    registered = (
        RegisteredRevocation.objects.select_for_update()
        .filter(pk=approval.params.get("registered_id"), approval=approval)
        .first()
    )
    if registered is None:
        raise CertificateError(_("Không còn đăng ký thu hồi của đề nghị này."), code="gone")
    if registered.revoked_at is not None:
        return _("Đăng ký thu hồi đã được thực hiện trước đó.")
    if not scope_for(requester).is_ca:  # the request waited: the role may have been lost since
        raise CertificateError(
            _("Người đề nghị không còn là cán bộ Cục CTS&BMTT: không thu hồi."), code="forbidden"
        )
    revoked = _carry_out(registered, by=requester, approver=approver)
    return _("Đã thu hồi %(n)d chứng thư theo văn bản số %(number)s.") % {
        "n": len(revoked),
        "number": registered.letter_number,
    }


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
        message=text(
            gettext_noop("Chứng thư %(serial)s (%(name)s) đã bị thu hồi: %(reason)s. %(why)s."),
            serial=certificate.serial,
            name=certificate.common_name,
            reason=RevocationReason(certificate.revocation_reason).label,
            why=why,
        ),
        url=reverse("certificates:detail", args=[certificate.serial]),
    )
