"""The two rounds an official document takes at the signer's desk (docs/ca.md, "Signing at the
signer's desk"; docs/domain.md §9): the head's personal signature (`SIGNATURE_FIELD`), then
the agency's seal with its organisation certificate (`SEAL_FIELD`) over the head's signed PDF,
each a request of `desk_signing_prepare` completed by `desk_signing_complete`.

Shared by every document signed this way (a letter, a device document): the caller decides the
right to sign on its locked document, names the rounds with its `purpose` builder (the field
name in, the request's purpose out) and stores the sealed PDF its own way. A document signed
by a second party (the receiving side of a device return's Mẫu 08) names its own two fields
(`signature_field`, `seal_field`) and decides itself whether the seal round follows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.desk.models import DeskSigning, DeskState
from certificates.desk.services import (
    DeskAnswer,
    desk_signing_complete,
    desk_signing_prepare,
    desk_signings_abandon,
)
from certificates.signing.base import Appearance, Position
from certificates.signing.seal import (
    SEAL_FIELD,
    SIGNATURE_FIELD,
    personal_signing_certificate,
    seal_certificate,
    signature_appearance,
)
from portal.errors import DomainError


class CompletedRound(NamedTuple):
    """The field the completed request signed, the PDF with its signature embedded and the
    portal's verification of every signature in it (`desk_signing_complete`)."""

    field_name: str
    pdf: bytes
    reports: list


def desk_round_prepare(
    *,
    pdf: bytes,
    agency,
    position: Position,
    purpose: Callable[[str], str],
    reason: str,
    no_personal_message: str,
    by,
    document_number: str,
    title: str,
    location: str,
    signature_field: str = SIGNATURE_FIELD,
    seal_field: str = SEAL_FIELD,
    seal_optional: bool = False,
) -> DeskSigning:
    """The next round for `pdf`: the head's signature with `by`'s personal certificate
    (`reason`; `no_personal_message` when they have none) in `signature_field`, or, once that
    is done, `agency`'s seal over the head's signed PDF in `seal_field`. Both blocks sit at
    `position`. `seal_optional`: an `agency` without a seal certificate signs with the head's
    signature alone (the caller stores the document after that round).

    The caller asks only while its document waits for its signatures, so a first round done
    whose signed PDF the sweep has emptied, or a last round done (the document was then not
    stored), cannot be carried on: those rounds are set aside (`desk_signings_abandon`) and
    the document is signed again from the head's signature."""
    common = {
        "by": by,
        "document_number": document_number,
        "title": title,
        "location": location,
    }
    head_signed = _carried_on(
        purpose,
        signature_field=signature_field,
        seal_field=seal_field,
        last_without_seal=seal_optional and seal_certificate(agency) is None,
        by=by,
    )
    if head_signed is None:
        personal = personal_signing_certificate(by)
        if personal is None:
            raise DomainError(no_personal_message, code="no_personal_certificate")
        return desk_signing_prepare(
            pdf=pdf,
            certificate=personal,
            field_name=signature_field,
            appearance=signature_appearance(position, personal, agency_name=agency.name),
            reason=reason,
            purpose=purpose(signature_field),
            **common,
        )
    seal = seal_certificate(agency)
    if seal is None:
        raise DomainError(
            _(
                "Cơ quan %(agency)s chưa có chứng thư số cơ quan, tổ chức còn hiệu lực: "
                "không thể đóng dấu số văn bản."
            )
            % {"agency": agency.name},
            code="no_seal_certificate",
        )
    return desk_signing_prepare(
        pdf=bytes(head_signed.signed_pdf),
        certificate=seal,
        field_name=seal_field,
        appearance=Appearance.seal(position, agency=agency.name),
        reason=_("Đóng dấu cơ quan"),
        purpose=purpose(seal_field),
        **common,
    )


def _carried_on(
    purpose: Callable[[str], str], *, signature_field: str, seal_field: str, last_without_seal, by
) -> DeskSigning | None:
    """The done head round the seal carries on from, or None: none done, or the rounds done
    cannot be carried on (see `desk_round_prepare`) and are set aside.

    A last round done a moment ago is normally being stored by its own completion (a second
    click, another tab): it is set aside only once PORTAL_DESK_SIGNING_SECONDS have passed
    without the document being stored; until then the caller is told to wait."""
    purposes = [purpose(signature_field), purpose(seal_field)]
    done = {
        desk.field_name: desk
        for desk in DeskSigning.objects.filter(purpose__in=purposes, state=DeskState.DONE)
    }
    head = done.get(signature_field)
    if head is None:
        return None
    if bytes(head.signed_pdf) and seal_field not in done and not last_without_seal:
        return head
    last = done.get(seal_field, head)
    if bytes(head.signed_pdf) and last.finished_at > timezone.now() - timedelta(
        seconds=settings.PORTAL_DESK_SIGNING_SECONDS
    ):
        raise DomainError(
            _("Văn bản vừa được ký xong và đang được lưu: hãy tải lại trang sau ít giây."),
            code="storing",
        )
    desk_signings_abandon([desk.pk for desk in done.values()], purposes=purposes, by=by)
    return None


def desk_round_complete(
    *,
    purpose: Callable[[str], str],
    answer: DeskAnswer,
    by,
    agency=None,
) -> CompletedRound:
    """Embed the signature of `answer`, to a request of one of the document's rounds (its
    purpose starts with `purpose("")`), and verify the result (for `agency`). A `DomainError`
    when refused: the caller audits it on its document."""
    desk_signing = (
        DeskSigning.objects.filter(pk=answer.desk_signing_id, purpose__startswith=purpose(""))
        .only("pk", "field_name")
        .first()
    )
    if desk_signing is None:
        raise DomainError(
            _("Yêu cầu ký không thuộc văn bản này: không nhận."), code="foreign_request"
        )
    signed = desk_signing_complete(answer=answer, by=by, agency=agency)
    return CompletedRound(
        field_name=desk_signing.field_name, pdf=signed.pdf, reports=signed.reports
    )
